"""Reading posts for content coordination, and writing its edges.

Two input layouts, both CSV with a header row, UTF-8:

* ``cnt``: the coordination-network-toolkit's ``message_id,user_id,username,repost_id,
  reply_id,message,timestamp,urls`` (timestamp in seconds, urls space-separated). Columns are
  taken by position, as CNT does, but the header must name them (a file of another layout is
  refused instead of misread). With ``cnt_compat`` the file is read as CNT reads it: universal
  newlines (a ``\\r`` inside a quoted cell becomes ``\\n``) and ``urls.split(" ")`` (an empty
  cell is the URL ``""``); otherwise newlines are kept and ``urls`` split on any whitespace.
* ``ira538``: the FiveThirtyEight release of the IRA tweets (``author_id`` or
  ``external_author_id``, ``author``, ``content``, ``publish_date``, ``post_type``, ``retweet``,
  ...). What it lacks is filled in: the message id is ``tweet_id`` when present, else the
  line number; ``publish_date`` (``2016-02-09 17:39:00`` or ``2/9/2016 17:39``, UTC, whole
  minutes) becomes epoch seconds; URLs are taken from the text; a retweet (``post_type``
  ``R``/``RETWEET``, ``retweet`` 1 without a post type, or a text starting ``RT @user:``)
  gets as ``repost_id`` the retweeted text (without ``RT @user:``), since the release names no
  retweeted tweet, so two retweets of the same words count as one shared post. A quote tweet
  (``Q``/``QUOTE_TWEET``) is the quoting account's own text, not a repost. There are no reply
  ids (co_reply is empty).

A row that cannot be read is reported as ``FILE:LINE: reason`` (``RowError``) and skipped.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from paidfor.coordination.edges import CNT_KIND, Edge, Post, no_gc
from paidfor.domain.serialize import csv_text
from paidfor.errors import Invalid
from paidfor.ingest.base import RowError

LAYOUTS = ("cnt", "ira538")
CNT_COLUMNS = ("message_id", "user_id", "username", "repost_id", "reply_id", "message",
               "timestamp", "urls")  # fmt: skip
IRA_DATES = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S")
URL = re.compile(r"https?://[^\s<>\"]+")
RT = re.compile(r"RT @\w{1,15}:\s?")
MAX_TIME = 2.0**53  # beyond it float seconds lose whole seconds
Progress = Callable[[int], None]  # called with the bytes read so far


class LayoutError(Invalid):
    """A file that is not of the layout asked for (or not a CSV text at all)."""


@no_gc()
def read_posts(
    path: Path, layout: str, *, cnt_compat: bool = False, progress: Progress | None = None
) -> tuple[list[Post], list[RowError]]:
    """Every post of ``path`` and the rows skipped; raises LayoutError for a wrong layout.
    ``progress`` is called now and then with the bytes read so far."""
    if layout not in LAYOUTS:
        raise LayoutError(f"unknown layout {layout!r}; one of {', '.join(LAYOUTS)}")
    posts: list[Post] = []
    errors: list[RowError] = []
    # CNT opens its CSV without newline="": keep that in compat mode only.
    with open(path, encoding="utf-8", newline=None if cnt_compat else "") as f:
        rows = csv.reader(f)
        tell = f.buffer.tell  # type: ignore[attr-defined]  # the text layer reads ahead a bit
        try:
            header = next(rows)
            read = _cnt_posts if layout == "cnt" else _ira_posts
            read(str(path), header, rows, posts, errors, cnt_compat, progress, tell)
        except StopIteration:
            raise LayoutError(f"{path}: empty file, no header row") from None
        except UnicodeDecodeError as exc:
            raise LayoutError(f"{path}: not UTF-8 text ({exc.reason})") from None
        except csv.Error as exc:
            raise LayoutError(f"{path}:{rows.line_num}: not a readable CSV ({exc})") from None
        if progress is not None:
            progress(tell())
    return posts, errors


def _time_problem(value: str) -> str:
    try:
        float(value)
    except ValueError:
        return f"timestamp {value!r} is not a number of seconds"
    return f"timestamp {value!r} is out of range"


def _cnt_posts(
    path: str,
    header: list[str],
    rows: Any,
    posts: list[Post],
    errors: list[RowError],
    cnt_compat: bool,
    progress: Progress | None,
    tell: Callable[[], int],
) -> None:
    names = tuple(h.strip().lstrip("\ufeff").lower() for h in header)
    if names != CNT_COLUMNS:
        raise LayoutError(f"{path}: the header is not CNT's {','.join(CNT_COLUMNS)}")
    add = posts.append
    end = rows.line_num  # a record starts on the line after the previous one ended
    for n, row in enumerate(rows):
        if len(row) != 8:
            errors.append(RowError(path, end + 1, f"{len(row)} columns instead of 8"))
        else:
            message_id, user_id, username, repost_id, reply_id, message, ts, urls = row
            try:
                t = float(ts)
                if not -MAX_TIME <= t <= MAX_TIME:
                    raise ValueError
            except ValueError:
                errors.append(RowError(path, end + 1, _time_problem(ts)))
            else:
                split = urls.split(" ") if cnt_compat else urls.split()
                add(Post(message_id, user_id, username, repost_id or None, reply_id or None,
                         message, t, tuple(split)))  # fmt: skip
        end = rows.line_num
        if progress is not None and not n & 0xFFF:
            progress(tell())


def _ira_posts(
    path: str,
    header: list[str],
    rows: Any,
    posts: list[Post],
    errors: list[RowError],
    cnt_compat: bool,
    progress: Progress | None,
    tell: Callable[[], int],
) -> None:
    col = {h.strip().lstrip("\ufeff").lower(): k for k, h in enumerate(header)}
    user_col = col.get("author_id", col.get("external_author_id"))
    missing = [c for c in ("author", "content", "publish_date") if c not in col]
    if user_col is None or missing:
        raise LayoutError(
            f"{path}: not the FiveThirtyEight IRA tweets layout (no "
            f"{', '.join(missing or ['author_id'])} column)"
        )
    width = len(header)
    id_col, type_col, rt_col = col.get("tweet_id"), col.get("post_type"), col.get("retweet")
    end = rows.line_num
    for n, row in enumerate(rows):
        line, end = end + 1, rows.line_num
        if progress is not None and not n & 0xFFF:
            progress(tell())
        if len(row) != width:
            errors.append(RowError(path, line, f"{len(row)} columns instead of {width}"))
            continue
        content = row[col["content"]]
        try:
            t = _ira_time(row[col["publish_date"]])
        except ValueError as exc:
            errors.append(RowError(path, line, str(exc)))
            continue
        post_type = row[type_col].strip().upper() if type_col is not None else ""
        flagged = rt_col is not None and row[rt_col].strip() == "1"
        prefix = RT.match(content)
        repost = None
        if prefix or post_type in ("R", "RETWEET") or (flagged and not post_type):
            repost = content[prefix.end() :] if prefix else content
        message_id = row[id_col].strip() if id_col is not None else ""
        urls = tuple(u.rstrip(".,;:!?)]}'…") for u in URL.findall(content))
        user = row[user_col].strip()
        posts.append(Post(message_id or str(line), user, row[col["author"]].strip(),
                          repost or None, None, content, t, urls))  # fmt: skip


def _ira_time(value: str) -> float:
    for fmt in IRA_DATES:
        try:
            return datetime.strptime(value.strip(), fmt).replace(tzinfo=UTC).timestamp()
        except ValueError:
            continue
    raise ValueError(f"publish_date {value!r} is not a date like 2016-02-09 17:39:00")


def write_posts_csv(posts: Iterable[Post], path: Path) -> int:
    """``posts`` in the ``cnt`` layout (what CNT's ``preprocess`` reads); returns the count."""
    n = 0
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(CNT_COLUMNS)
        for p in posts:
            ids = [p.message_id, p.user_id, p.username, p.repost_id or "", p.reply_id or ""]
            cells = [*ids, p.message, repr(p.timestamp), " ".join(p.urls)]
            writer.writerow([csv_text(c) for c in cells])
            n += 1
    return n


def write_edges_csv(edges: Iterable[Edge], path: Path, kind: str) -> int:
    """CNT's edge CSV (``output_gephi_csv``): source,target,weight,edge_type, every cell
    quoted, edge_type CNT's name of the kind; returns the number of edges written."""
    n = 0
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, quoting=csv.QUOTE_ALL)
        writer.writerow(["source", "target", "weight", "edge_type"])
        for user_1, user_2, weight in edges:
            writer.writerow([csv_text(str(user_1)), csv_text(str(user_2)), weight, CNT_KIND[kind]])
            n += 1
    return n
