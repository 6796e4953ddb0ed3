"""The investigator's loop: what detection does with findings investigators have marked.

A member an investigator marked ``legitimate`` (coordination a declared relationship or a
reason explains) is not raised again while its evidence is what it was when marked: a later
detection that finds it with the same shared attributes leaves it out of the network, and a
network left with fewer than two actors is not reported. New evidence (an attribute it did
not share then) raises it again, saying it was marked legitimate before. A member marked
``confirmed`` stays, with its verdict beside it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from paidfor.integrity.model import EntityKey, Link, Network


class MarkLike(Protocol):
    """What detection reads of a mark (``integrity.mark_store.Mark``)."""

    @property
    def verdict(self) -> str: ...
    @property
    def evidence(self) -> frozenset[str]: ...
    @property
    def case_id(self) -> int: ...


def member_evidence(links: list[Link], key: EntityKey) -> frozenset[str]:
    return frozenset(
        f"{e.kind}|{e.value}" for link in links if key in (link.a, link.b) for e in link.evidence
    )


@dataclass
class Reviewed:
    """Networks after the marks, and what the marks held back."""

    networks: list[Network]
    held_back: dict[EntityKey, int] = field(default_factory=dict)  # member -> its mark's case
    raised_again: dict[EntityKey, int] = field(default_factory=dict)  # new evidence since


def apply_marks(
    networks: list[Network],
    marks: Mapping[str, MarkLike],
    actor_of: Mapping[EntityKey, EntityKey],
) -> Reviewed:
    """Leave out members marked legitimate with no new evidence (see the module's
    docstring); drop networks left with fewer than two actors."""
    out = Reviewed([])
    for net in networks:
        keep = []
        for m in net.members:
            mark = marks.get(str(m.key))
            if mark is None or mark.verdict != "legitimate":
                keep.append(m)
                continue
            if member_evidence(net.links, m.key) <= mark.evidence:
                out.held_back[m.key] = mark.case_id
            else:
                out.raised_again[m.key] = mark.case_id
                keep.append(m)
        if len(keep) == len(net.members):
            out.networks.append(net)
            continue
        inside = {m.key for m in keep}
        if len({actor_of.get(k, k) for k in inside}) < 2:
            continue
        net.members = keep
        net.links = [x for x in net.links if x.a in inside and x.b in inside]
        net.summary += f"; {len(net.members)} members left after investigators' verdicts"
        out.networks.append(net)
    return out
