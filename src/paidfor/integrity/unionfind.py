"""Disjoint sets of hashable items: the near-duplicate clusters and the declared relations join
with it. Apart from the graph, which needs NumPy and igraph, so that these need neither."""

from __future__ import annotations

from typing import Generic, TypeVar

H = TypeVar("H")


class UnionFind(Generic[H]):
    """Disjoint sets of hashable items (an item never joined is its own set); a set's root
    is its smallest item."""

    def __init__(self) -> None:
        self.parent: dict[H, H] = {}

    def find(self, x: H) -> H:
        root = x
        while self.parent.get(root, root) != root:
            root = self.parent[root]
        while x != root:  # path compression
            nxt = self.parent.get(x, x)
            self.parent[x] = root
            x = nxt
        return root

    def union(self, a: H, b: H) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            lo, hi = (ra, rb) if ra < rb else (rb, ra)  # type: ignore[operator]
            self.parent[hi] = lo
