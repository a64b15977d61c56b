"""`GET /v1/typeahead/<category>?prefix=&limit=`: the records a form's typeahead field offers.

SpiffArena's backend calls this at `SPIFFWORKFLOW_BACKEND_CONNECTOR_PROXY_TYPEAHEAD_URL` and hands
the status and the body to the browser, whose widget shows the records and stores the one chosen.
The answer is a JSON array of the records' JSON as the lists hold it, joined, never re-encoded.
Private categories need the API key as the usual header or as the HTTP Basic password, because the
backend sends no header but requests sends a URL's `user:key@`.
"""

from __future__ import annotations

from .. import logs
from ..auth import check_api_key, expected_api_key, has_api_key
from ..errors import NotFound
from ..messages import Request, Response
from ..router import Call
from .catalogue import Catalogue
from .matching import fold
from .names import is_category_name
from .query import read_query
from .settings import TypeaheadSettings


def answer(request: Request, call: Call) -> Response:
    settings = TypeaheadSettings.current()
    query = read_query(request, call.path_params["category"])
    catalogue = Catalogue.current()
    category = catalogue.categories.get(query.category)
    if category is None:
        raise _unknown(query.category, request, call, catalogue, settings)
    if not catalogue.is_public(category, settings):
        check_api_key(request, expected_api_key(call.settings), basic_password=True)
    records = category.lookup(fold(query.prefix), query.limit)
    # The category and how many records: never the prefix, which is what someone typed.
    logs.facts().note_typeahead(category.name, len(records))
    return Response(200, b"[" + b",".join(records) + b"]", content_type="application/json")


def _unknown(
    name: str, request: Request, call: Call, catalogue: Catalogue, settings: TypeaheadSettings
) -> NotFound:
    categories = list(catalogue.categories.values())
    public = [c.name for c in categories if catalogue.is_public(c, settings)]
    hidden = len(categories) - len(public)
    # Private lists' names are for those who may read them.
    if hidden and has_api_key(request, expected_api_key(call.settings), basic_password=True):
        public, hidden = [c.name for c in categories], 0
    shown = name if is_category_name(name) else repr(name[:60])
    if not categories:
        return NotFound(
            f"There is no typeahead category {shown}: this proxy has none. make zip bundles the built-in "
            "countries, states and cities (unless TYPEAHEAD_BUILTINS=0) and a team's lists from its "
            "typeahead/ folder; see docs/typeahead.md.",
            error_code="unknown_category",
        )
    listed = ", ".join(public) if public else "none without the API key"
    more = (
        f" (and {hidden} more that need{'s' if hidden == 1 else ''} the API key)" if hidden and public else ""
    )
    return NotFound(
        f"There is no typeahead category {shown}. Categories: {listed}{more}.", error_code="unknown_category"
    )
