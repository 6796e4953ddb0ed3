"""MANIFEST.json: what a disclosure package holds, signed with Ed25519, and its verification.

A package is a folder (or a ``.zip`` of one, the folder's name as its top directory) with a
``MANIFEST.json`` listing every other file by path, SHA-256 and size, and a
``MANIFEST.json.sig`` holding the base64 Ed25519 signature of MANIFEST.json's exact bytes.
``docs/disclosure.md`` describes the format and how a recipient checks it without paidfor.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
import stat
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path, PurePath
from typing import IO, Any, Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from paidfor import errors
from paidfor.disclosure.keys import raw_public

FORMAT = "paidfor-disclosure/1"
MANIFEST = "MANIFEST.json"
SIGNATURE = "MANIFEST.json.sig"
_RESERVED = frozenset({MANIFEST, SIGNATURE})
_MANIFEST_KEYS = frozenset({"format", "files", "public_key"})
# MANIFEST.json of the 3,517 IRA ads with their images is about 2 MB; refuse to parse
# anything absurd (a zip bomb posing as a manifest).
_MAX_MANIFEST = 256 * 1024 * 1024
_CHUNK = 1024 * 1024
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip can hold: no build time leaks
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_DRIVE = re.compile(r"^[A-Za-z]:")


class NotAPackage(errors.Invalid):
    """A path that is not a disclosure package (no such path, not a folder or a zip, an
    unreadable zip, or no MANIFEST.json nor MANIFEST.json.sig in it)."""


# --- canonical JSON -------------------------------------------------------------------------


def _json_default(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, PurePath):
        return value.as_posix()
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} cannot go into MANIFEST.json: {value!r}")


def canonical_json(value: Any) -> bytes:
    """``value`` as paidfor writes MANIFEST.json: sorted keys, UTF-8 (not \\u escapes), two
    spaces of indent, a final newline. Datetimes and dates become ISO 8601, Decimals strings."""
    text = json.dumps(
        value, sort_keys=True, ensure_ascii=False, indent=2, default=_json_default, allow_nan=False
    )
    return (text + "\n").encode("utf-8")


# --- file names -----------------------------------------------------------------------------


def _unsafe(name: str) -> str | None:
    """Why ``name`` (a package-relative POSIX path) is not a safe file name, or None."""
    if not name:
        return "an empty name"
    if "\x00" in name:
        return "a NUL character in the name"
    if "\\" in name:
        return "a backslash in the name (a Windows path separator)"
    if name.startswith("/") or _DRIVE.match(name):
        return "an absolute path"
    parts = name.split("/")
    if ".." in parts:
        return "a '..' component (it would escape the package)"
    if any(part in ("", ".") for part in parts):
        return "an empty or '.' path component"
    return None


def _digest(stream: IO[bytes], limit: int | None = None) -> tuple[str, int]:
    """SHA-256 (hex) and length of ``stream``; with ``limit``, read at most ``limit + 1``
    bytes (enough to know the file is longer than it should be)."""
    h = hashlib.sha256()
    n = 0
    while True:
        want = _CHUNK if limit is None else min(_CHUNK, limit + 1 - n)
        if want <= 0:
            break
        chunk = stream.read(want)
        if not chunk:
            break
        h.update(chunk)
        n += len(chunk)
    return h.hexdigest(), n


def _walk(folder: Path) -> Iterator[tuple[str, Path | None, str | None]]:
    """Every entry under ``folder`` as (relative POSIX path, its path or None, why it is
    refused or None), sorted by path. Symbolic links and special files are refused, not
    followed."""
    found: list[tuple[str, Path | None, str | None]] = []
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        base = Path(dirpath)
        for d in list(dirnames):
            if (base / d).is_symlink():
                dirnames.remove(d)
                filenames.append(d)  # reported below as a symbolic link
        for f in filenames:
            p = base / f
            rel = p.relative_to(folder).as_posix()
            try:
                rel.encode("utf-8")
            except UnicodeEncodeError:
                found.append((rel.encode("utf-8", "replace").decode(), None, "not UTF-8"))
                continue
            mode = p.lstat().st_mode
            if stat.S_ISLNK(mode):
                found.append((rel, None, "a symbolic link"))
            elif not stat.S_ISREG(mode):
                found.append((rel, None, "not a regular file"))
            else:
                found.append((rel, p, None))
    found.sort(key=lambda item: item[0])
    return iter(found)


# --- writing --------------------------------------------------------------------------------


def write_manifest(folder: Path, info: dict[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    """List every file under ``folder`` (but MANIFEST.json and its signature) with its SHA-256
    and size, write ``MANIFEST.json`` (``info`` embedded as is, the signer's public key) and
    ``MANIFEST.json.sig``, and return the manifest. Raises ValueError for a file that cannot
    be listed safely (a symbolic link, a special file, a name with a backslash or not in
    UTF-8) and for ``info`` keys that the manifest itself uses."""
    folder = Path(folder)
    if not folder.is_dir():
        raise NotADirectoryError(f"{folder} is not a folder")
    clash = _MANIFEST_KEYS & info.keys()
    if clash:
        raise ValueError(f"info may not set {', '.join(sorted(clash))}: MANIFEST.json's own keys")
    files: list[dict[str, Any]] = []
    for rel, path, refused in _walk(folder):
        if rel in _RESERVED:
            continue
        why = refused or _unsafe(rel)
        if why or path is None:
            raise ValueError(f"cannot put {rel!r} in a disclosure package: {why}")
        with path.open("rb") as f:
            sha, size = _digest(f)
        files.append({"path": rel, "sha256": sha, "bytes": size})
    manifest: dict[str, Any] = {
        "format": FORMAT,
        **info,
        "files": files,
        "public_key": base64.b64encode(raw_public(key.public_key())).decode("ascii"),
    }
    body = canonical_json(manifest)
    signature = base64.b64encode(key.sign(body)) + b"\n"
    _write_atomic(folder / MANIFEST, body)
    _write_atomic(folder / SIGNATURE, signature)
    result: dict[str, Any] = json.loads(body)
    return result


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def zip_folder(folder: Path, out: Path | None = None) -> Path:
    """Zip ``folder`` into ``out`` (default ``<folder>.zip`` beside it), the folder's name as
    the top directory, and return ``out``. The zip is deterministic (sorted entries, fixed
    times and permissions, the same compression) and written atomically (a temporary file
    renamed into place); the folder stays."""
    folder = Path(folder)
    if not folder.is_dir():
        raise NotADirectoryError(f"{folder} is not a folder")
    out = Path(out) if out is not None else folder.parent / f"{folder.name}.zip"
    if out.resolve().is_relative_to(folder.resolve()):
        raise ValueError(f"the zip {out} cannot be written inside the folder it zips")
    entries = list(_walk(folder))
    for rel, path, refused in entries:
        why = refused or _unsafe(rel)
        if why or path is None:
            raise ValueError(f"cannot zip {rel!r}: {why}")
    top = folder.resolve().name
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as raw:
            zf = zipfile.ZipFile(raw, "w")
            dirs: set[str] = set()
            for rel, path, _ in entries:
                assert path is not None
                # the folders, each once, before the first file in them (for unzip tools
                # that want them), then the file
                parts = rel.split("/")[:-1]
                for i in range(len(parts) + 1):
                    d = "/".join([top, *parts[:i]]) + "/"
                    if d not in dirs:
                        dirs.add(d)
                        zf.writestr(_zip_info(d, 0o40755), b"")
                info = _zip_info(f"{top}/{rel}", 0o100644)
                info.compress_type = zipfile.ZIP_DEFLATED
                with path.open("rb") as src, zf.open(info, "w") as dst:
                    while chunk := src.read(_CHUNK):
                        dst.write(chunk)
            zf.close()
            raw.flush()
            os.fsync(raw.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out


def _zip_info(name: str, mode: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
    info.create_system = 3  # Unix, so the permissions below mean what they say
    info.external_attr = mode << 16
    if name.endswith("/"):
        info.external_attr |= 0x10  # MS-DOS directory flag
    return info


# --- reading a package (a folder or a zip) --------------------------------------------------


class _Package(Protocol):
    label: str

    def entries(self) -> tuple[dict[str, int], dict[str, str]]:
        """(path → size of every readable file, path → why it is refused)."""
        ...

    def read(self, name: str, limit: int) -> bytes: ...

    def digest(self, name: str, limit: int) -> tuple[str, int]: ...


class _Folder:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.label = str(root)

    def entries(self) -> tuple[dict[str, int], dict[str, str]]:
        sizes: dict[str, int] = {}
        refused: dict[str, str] = {}
        for rel, path, why in _walk(self.root):
            if why or path is None:
                refused[rel] = why or "unreadable"
            else:
                sizes[rel] = path.stat().st_size
        return sizes, refused

    def read(self, name: str, limit: int) -> bytes:
        with (self.root / name).open("rb") as f:
            return f.read(limit + 1)

    def digest(self, name: str, limit: int) -> tuple[str, int]:
        with (self.root / name).open("rb") as f:
            return _digest(f, limit)


class _Zip:
    """A zip read in place. Entries outside the package's top folder, with unsafe names
    (absolute, ``..``, backslashes) or duplicated are refused, never read."""

    def __init__(self, path: Path) -> None:
        self.label = str(path)
        try:
            self.zf = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise NotAPackage(f"{path} is not a readable zip: {exc}") from exc
        self.members: dict[str, zipfile.ZipInfo] = {}
        self.refused: dict[str, str] = {}
        infos = [i for i in self.zf.infolist() if not i.is_dir()]
        names = {i.filename for i in infos}
        if MANIFEST in names or SIGNATURE in names:
            prefix = ""
        else:
            tops = sorted(
                {
                    n.split("/", 1)[0]
                    for n in names
                    if "/" in n and n.split("/", 1)[1] in _RESERVED and not _unsafe(n)
                }
            )
            if len(tops) != 1:
                self.zf.close()
                if not tops:
                    raise NotAPackage(f"{path} holds no {MANIFEST}: not a disclosure package")
                raise NotAPackage(f"{path} holds several packages ({', '.join(tops)})")
            prefix = tops[0] + "/"
        # Entries are named by their path inside the package (the top folder taken off), or
        # by their whole name when they are outside it.
        counts: dict[str, int] = {}
        for info in infos:
            counts[info.filename] = counts.get(info.filename, 0) + 1
        for info in infos:
            name = info.filename
            if not name.startswith(prefix):
                self.refused[name] = f"outside the package's top folder {prefix.rstrip('/')!r}"
                continue
            rel = name[len(prefix) :]
            why = _unsafe(rel) or _unsafe(name)
            if why:
                self.refused[rel] = why
            elif counts[name] > 1:
                # which copy is "the" file depends on the tool that reads the zip: neither
                # can be trusted
                self.refused[rel] = f"{counts[name]} entries under this one name"
            else:
                self.members[rel] = info

    def close(self) -> None:
        self.zf.close()

    def entries(self) -> tuple[dict[str, int], dict[str, str]]:
        return {n: i.file_size for n, i in self.members.items()}, dict(self.refused)

    def read(self, name: str, limit: int) -> bytes:
        with self.zf.open(self.members[name]) as f:
            return f.read(limit + 1)

    def digest(self, name: str, limit: int) -> tuple[str, int]:
        with self.zf.open(self.members[name]) as f:
            return _digest(f, limit)


# --- verification ---------------------------------------------------------------------------


@dataclass
class VerifyReport:
    """What ``verify`` found. ``ok`` only when the signature holds and every file matches."""

    path: str
    ok: bool = False
    signature_ok: bool = False
    trusted_key: bool = False  # checked against a key the caller trusts, not the embedded one
    signer: str | None = None  # the raw Ed25519 public key in MANIFEST.json, base64
    files_checked: int = 0
    changed: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # unsafe zip entries, symbolic links
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # true, but no reason to fail
    info: dict[str, Any] = field(default_factory=dict)  # the manifest but its file list

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def as_json(self) -> str:
        return json.dumps(self.as_dict(), ensure_ascii=False, indent=2, default=_json_default)

    @property
    def verdict(self) -> str:
        """One line: what ``paidfor disclosure verify`` ends with."""
        if self.ok:
            who = "the trusted key" if self.trusted_key else "the key embedded in it (not checked)"
            return f"OK: signature by {who} holds; all {self.files_checked} files match"
        counts = [
            f"{len(items)} {what}"
            for items, what in (
                (self.changed, "changed"),
                (self.added, "added"),
                (self.removed, "removed"),
                (self.refused, "refused"),
            )
            if items
        ]
        sig = "signature valid" if self.signature_ok else "signature INVALID"
        return f"FAILED: {sig}" + (f"; files {', '.join(counts)}" if counts else "")


def _open(path: Path) -> _Package:
    path = Path(path)
    if path.is_dir():
        if not (path / MANIFEST).exists() and not (path / SIGNATURE).exists():
            raise NotAPackage(f"{path} holds no {MANIFEST}: not a disclosure package")
        return _Folder(path)
    if path.is_file():
        return _Zip(path)
    if path.exists():
        raise NotAPackage(f"{path} is neither a folder nor a zip")
    raise NotAPackage(f"{path} does not exist")


def verify(path: Path, public_key: Ed25519PublicKey | None = None) -> VerifyReport:
    """Check the package at ``path`` (a folder or a zip of one): the signature of
    MANIFEST.json (against ``public_key`` when given, else the key embedded in the manifest,
    which proves only that the package is intact, not who made it), then every listed file's
    SHA-256 and size; name every file changed, added (present, not listed) or removed (listed,
    missing). Raises :class:`NotAPackage` for a path that is not a package."""
    package = _open(Path(path))
    try:
        return _verify(package, public_key)
    finally:
        if isinstance(package, _Zip):
            package.close()


def _verify(package: _Package, trusted: Ed25519PublicKey | None) -> VerifyReport:
    report = VerifyReport(path=package.label, trusted_key=trusted is not None)
    sizes, refused = package.entries()
    for name, why in sorted(refused.items()):
        report.refused.append(name)
        report.problems.append(f"{name}: refused, {why}")

    manifest, body = _read_manifest(package, sizes, refused, report)
    signature = _read_signature(package, sizes, refused, report)
    if body is not None and signature is not None:
        _check_signature(body, signature, manifest, trusted, report)
    if trusted is None:
        report.notes.append(
            "the signer was not checked against a trusted key: the signature was checked with "
            "the public key inside MANIFEST.json, which shows the package is intact but not who "
            "made it (give the signer's public key to check that)"
        )

    listed: set[str] = set()
    if manifest is not None:
        if not report.signature_ok:
            report.notes.append(
                "the files were checked against a MANIFEST.json whose signature does not hold"
            )
        for entry in _entries(manifest, report):
            name, sha, size = entry
            listed.add(name)
            if name not in sizes:
                if name not in refused:
                    report.removed.append(name)
                    report.problems.append(f"{name}: listed in {MANIFEST} but missing")
                continue
            report.files_checked += 1
            if sizes[name] != size:
                report.changed.append(name)
                report.problems.append(
                    f"{name}: changed ({sizes[name]} bytes, {MANIFEST} says {size})"
                )
                continue
            try:
                actual, n = package.digest(name, size)
            except (zipfile.BadZipFile, zlib.error, OSError, EOFError, RuntimeError) as exc:
                report.changed.append(name)
                report.problems.append(f"{name}: changed (cannot be read: {exc})")
                continue
            if n != size or actual != sha:
                report.changed.append(name)
                report.problems.append(f"{name}: changed (its SHA-256 differs from {MANIFEST})")
        for name in sorted(set(sizes) - listed - _RESERVED):
            report.added.append(name)
            report.problems.append(f"{name}: added (present but not listed in {MANIFEST})")
    elif MANIFEST in sizes:
        report.problems.append(f"no file can be checked without a readable {MANIFEST}")

    for items in (report.changed, report.added, report.removed, report.refused):
        items[:] = sorted(dict.fromkeys(items))
    report.ok = (
        report.signature_ok
        and not (report.changed or report.added or report.removed or report.refused)
        and not report.problems
    )
    return report


def _read_manifest(
    package: _Package, sizes: dict[str, int], refused: dict[str, str], report: VerifyReport
) -> tuple[dict[str, Any] | None, bytes | None]:
    """(the parsed manifest or None, its exact bytes or None)."""
    if MANIFEST in refused:
        return None, None
    if MANIFEST not in sizes:
        report.removed.append(MANIFEST)
        report.problems.append(f"{MANIFEST}: missing")
        return None, None
    if sizes[MANIFEST] > _MAX_MANIFEST:
        report.changed.append(MANIFEST)
        report.problems.append(f"{MANIFEST}: changed (too large to be a manifest)")
        return None, None
    try:
        body = package.read(MANIFEST, _MAX_MANIFEST)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, RuntimeError) as exc:
        report.changed.append(MANIFEST)
        report.problems.append(f"{MANIFEST}: changed (cannot be read: {exc})")
        return None, None
    try:
        parsed = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        report.changed.append(MANIFEST)
        report.problems.append(f"{MANIFEST}: changed (no longer valid JSON: {exc})")
        return None, body
    if not isinstance(parsed, dict) or parsed.get("format") != FORMAT:
        report.changed.append(MANIFEST)
        report.problems.append(f"{MANIFEST}: changed (not a {FORMAT} manifest)")
        return None, body
    report.info = {k: v for k, v in parsed.items() if k != "files"}
    return parsed, body


def _read_signature(
    package: _Package, sizes: dict[str, int], refused: dict[str, str], report: VerifyReport
) -> bytes | None:
    if SIGNATURE in refused:
        return None
    if SIGNATURE not in sizes:
        report.removed.append(SIGNATURE)
        report.problems.append(f"{SIGNATURE}: missing, so the package cannot be trusted")
        return None
    try:
        text = package.read(SIGNATURE, 1024)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, RuntimeError) as exc:
        report.changed.append(SIGNATURE)
        report.problems.append(f"{SIGNATURE}: changed (cannot be read: {exc})")
        return None
    try:
        signature = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        signature = b""
    if len(signature) != 64 or base64.b64encode(signature) + b"\n" != text:
        report.changed.append(SIGNATURE)
        report.problems.append(
            f"{SIGNATURE}: changed (not the base64 of a 64-byte Ed25519 signature)"
        )
        return None
    return signature


def _check_signature(
    body: bytes,
    signature: bytes,
    manifest: dict[str, Any] | None,
    trusted: Ed25519PublicKey | None,
    report: VerifyReport,
) -> None:
    if manifest is None:  # unreadable, already named as changed
        return
    embedded: Ed25519PublicKey | None = None
    encoded = manifest.get("public_key")
    report.signer = encoded if isinstance(encoded, str) else None
    try:
        embedded = Ed25519PublicKey.from_public_bytes(base64.b64decode(str(encoded), validate=True))
    except (binascii.Error, ValueError):
        embedded = None
    key = trusted or embedded
    if key is None:
        report.changed.append(MANIFEST)
        report.problems.append(f"{MANIFEST}: changed (its public_key is not an Ed25519 key)")
        return
    try:
        key.verify(signature, body)
        report.signature_ok = True
    except InvalidSignature:
        pass
    if trusted is not None and embedded is not None and raw_public(embedded) != raw_public(trusted):
        if _holds(embedded, signature, body):
            report.problems.append(
                f"{MANIFEST}: signed by another key than the trusted one (its signer is "
                f"{report.signer}, the trusted key is "
                f"{base64.b64encode(raw_public(trusted)).decode()})"
            )
            return
        report.problems.append(f"{MANIFEST}: names another signer than the trusted key")
    if report.signature_ok:
        return
    if canonical_json(manifest) != body:
        # paidfor writes canonical JSON: bytes that are not are what was changed
        report.changed.append(MANIFEST)
        report.problems.append(f"{MANIFEST}: changed (its signature no longer holds)")
        return
    report.changed.extend([MANIFEST, SIGNATURE])
    report.problems.append(
        f"the signature in {SIGNATURE} does not hold for {MANIFEST}: one of the two was "
        "changed, or they were signed by another key"
    )


def _holds(key: Ed25519PublicKey, signature: bytes, body: bytes) -> bool:
    try:
        key.verify(signature, body)
    except InvalidSignature:
        return False
    return True


def _entries(manifest: dict[str, Any], report: VerifyReport) -> Iterator[tuple[str, str, int]]:
    files = manifest.get("files")
    if not isinstance(files, list):
        report.changed.append(MANIFEST)
        report.problems.append(f"{MANIFEST}: changed (its file list is missing)")
        return
    seen: set[str] = set()
    for entry in files:
        if not isinstance(entry, dict):
            report.problems.append(f"{MANIFEST}: a file entry is not an object: {entry!r}")
            continue
        name, sha, size = entry.get("path"), entry.get("sha256"), entry.get("bytes")
        if (
            not isinstance(name, str)
            or not isinstance(sha, str)
            or not _SHA256.match(sha)
            or not isinstance(size, int)
            or isinstance(size, bool)
            or size < 0
        ):
            report.problems.append(f"{MANIFEST}: a malformed file entry: {entry!r}")
            continue
        why = _unsafe(name)
        if why or name in _RESERVED:
            report.problems.append(
                f"{MANIFEST}: lists {name!r}, {why or 'a name the manifest reserves'}; not read"
            )
            continue
        if name in seen:
            report.problems.append(f"{MANIFEST}: lists {name!r} twice")
            continue
        seen.add(name)
        yield name, sha, size
