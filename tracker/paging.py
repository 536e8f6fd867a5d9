"""Pages of a list already in memory, with what the `pagination` macro reads (the same
attributes as Flask-SQLAlchemy's pages of a query)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Optional


@dataclass
class ListPage:
    """One page of `rows`; a page number past the end shows the last page."""

    rows: Sequence[Any]
    page: int
    per_page: int

    def __post_init__(self) -> None:
        self.page = min(max(self.page, 1), self.pages)

    @property
    def total(self) -> int:
        return len(self.rows)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def items(self) -> Sequence[Any]:
        start = (self.page - 1) * self.per_page
        return self.rows[start : start + self.per_page]

    @property
    def first(self) -> int:
        """The position (from 1) of the page's first row."""
        return (self.page - 1) * self.per_page + 1

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> Optional[int]:
        return self.page - 1 if self.has_prev else None

    @property
    def next_num(self) -> Optional[int]:
        return self.page + 1 if self.has_next else None

    def iter_pages(
        self, left_edge: int = 1, left_current: int = 2, right_current: int = 2, right_edge: int = 1
    ) -> Iterator[Optional[int]]:
        """Page numbers to link, None for a gap: the edges and those around the current one."""
        shown = [
            number
            for number in range(1, self.pages + 1)
            if number <= left_edge
            or number > self.pages - right_edge
            or self.page - left_current <= number <= self.page + right_current
        ]
        previous = 0
        for number in shown:
            if number != previous + 1:
                yield None
            yield number
            previous = number
