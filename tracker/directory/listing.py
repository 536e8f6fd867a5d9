"""The directory pages' lists: a page of entries matching the search box, most used first,
each with its number of visible activities (from the lookup's cached entries)."""

from __future__ import annotations

from flask import current_app, request
from sqlalchemy import select

from tracker.auth.permissions import can_see_internal
from tracker.directory.lookup import LOOKUP_KINDS, entries_of, matching
from tracker.extensions import db
from tracker.paging import ListPage

MAX_DIRECTORY_QUERY = 100


def directory_page(kind_name: str, options=()) -> tuple[ListPage, str, list]:
    """(the page of matching entries, the query, [(entry, activities)] of the page)."""
    kind = LOOKUP_KINDS[kind_name]
    query = (request.args.get("q") or "").strip()[:MAX_DIRECTORY_QUERY]
    found = matching(entries_of(kind, can_see_internal()), query)
    page = ListPage(
        found,
        request.args.get("page", 1, type=int) or 1,
        current_app.config["DIRECTORY_ENTRIES_PER_PAGE"],
    )
    ids = [entry.id for entry in page.items]
    loaded = {
        entry.id: entry
        for entry in db.session.scalars(
            select(kind.model).where(kind.model.id.in_(ids)).options(*options)
        )
    }
    rows = [(loaded[entry.id], entry.activities) for entry in page.items if entry.id in loaded]
    return page, query, rows
