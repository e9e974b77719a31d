"""Syndicated copies: one story carried by several outlets, told in nearly the same words.

Retrieval gives a story's passages one place in the ranking, and the extractive answerer quotes
one sentence for it and cites every outlet beside it. Both measure how alike two texts are by the
words they share (`overlap`) and group the copies in order (`CopyGroups`), each with its own kind
of words and threshold.
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


def overlap(a: Set[str], b: Set[str], *, min_length_ratio: float = 0.0) -> float:
    """The share of the smaller set's words that the other has too: 1 when one holds the other.

    With `min_length_ratio`, sets whose sizes differ more than that are 0: a short passage inside
    a long one is a quotation, not a copy of the story.
    """
    if not a or not b or min(len(a), len(b)) < min_length_ratio * max(len(a), len(b)):
        return 0.0
    return len(a & b) / min(len(a), len(b))


@dataclass
class CopyGroup(Generic[T]):
    """An item and the copies of it found after it, each from another file."""

    words: Set[str]  # the first item's, which every later one is compared with
    items: list[T] = field(default_factory=list)  # the first item, then its copies
    files: list[str] = field(default_factory=list)  # the file of each item

    @property
    def first(self) -> T:
        return self.items[0]

    @property
    def copies(self) -> list[T]:
        return self.items[1:]


class CopyGroups(Generic[T]):
    """Items grouped, in the order they are added, with their copies from other files.

    An item whose words overlap a group's first item by `threshold` or more is a copy: it joins
    that group (the first such) unless the group already has an item of its file, and opens no
    group of its own.
    """

    def __init__(self, threshold: float, *, min_length_ratio: float = 0.0) -> None:
        self.threshold = threshold
        self.min_length_ratio = min_length_ratio
        self.groups: list[CopyGroup[T]] = []

    def __len__(self) -> int:
        return len(self.groups)

    def add(self, item: T, file: str, words: Set[str], *, may_open: bool = True) -> None:
        """Place `item` of `file`: with the group it copies, else in a new group if `may_open`."""
        group = self.group_copied_by(words)
        if group is None:
            if may_open:
                self.groups.append(CopyGroup(words, [item], [file]))
        elif file not in group.files:
            group.items.append(item)
            group.files.append(file)

    def group_copied_by(self, words: Set[str]) -> CopyGroup[T] | None:
        """The first group whose first item these words copy, or None."""
        return next(
            (
                group
                for group in self.groups
                if overlap(group.words, words, min_length_ratio=self.min_length_ratio)
                >= self.threshold
            ),
            None,
        )
