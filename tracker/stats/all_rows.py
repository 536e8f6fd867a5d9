"""Every row of a long statistics breakdown (organisations, locations), a page at a time:
the overview shows the top rows and links here ("查看全部"); exports carry every row."""

from __future__ import annotations

from flask import render_template, request

from tracker.directory.lookup import filter_pickers
from tracker.events.queries import filter_selects
from tracker.paging import ListPage
from tracker.stats import blueprint
from tracker.stats.queries import STATS_FILTER_NAMES
from tracker.stats.views import _scope, _statistics

ROWS_PER_PAGE = 50


def _all_rows(section: str):
    scope = _scope()
    statistics = _statistics(scope, None)
    rows = statistics.by_organization if section == "organizations" else statistics.by_location
    page = ListPage(rows, request.args.get("page", 1, type=int) or 1, ROWS_PER_PAGE)
    return render_template(
        "stats/all_rows.html",
        section=section,
        scope=scope,
        page=page,
        selects=filter_selects(scope.filters, ("category",)),
        pickers=filter_pickers(scope.filters, STATS_FILTER_NAMES),
    )


@blueprint.route("/organizations")
def all_organizations():
    """Every organisation of the statistics for the filters, most activities first, paginated."""
    return _all_rows("organizations")


@blueprint.route("/locations")
def all_locations():
    """Every location of the statistics for the filters, most activities first, paginated."""
    return _all_rows("locations")
