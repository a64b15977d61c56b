"""Typeahead under `make serve`, over real HTTP, called the way SpiffArena's backend calls it: requests
with the key in the URL (`http://spiff:<key>@host/...`) and the prefix put into the URL as typed."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from support.local_server import Served, local_env
from support.typeahead_lists import write_lists

pytestmark = pytest.mark.slow
KEY = "serve-typeahead-key-3c"


def spiffarena_get(
    url: str, category: str, prefix: str, limit: int = 100, key: str | None = KEY
) -> requests.Response:
    """What `_remote_typeahead` does with SPIFFWORKFLOW_BACKEND_CONNECTOR_PROXY_TYPEAHEAD_URL=http://spiff:<key>@..."""
    base = url.replace("http://", f"http://spiff:{key}@") if key else url
    return requests.get(f"{base}/v1/typeahead/{category}?prefix={prefix}&limit={limit}", timeout=30)


def test_built_in_and_team_lists_with_the_key_in_the_url_and_a_reload(tmp_path: Path) -> None:
    team = write_lists(tmp_path / "typeahead", {"customers.csv": "name,id\nAcme Corp,1\nBeta,2\n"})
    served = Served.module(
        *("--typeahead-builtins", "1", "--typeahead-cache", str(tmp_path / "cache")),
        *("--typeahead-dir", str(team)),
        env=local_env({"CONNECTOR_PROXY_API_KEY": KEY}),
    )
    try:
        url = served.url()
        assert served.wait_for("TYPEAHEAD_URL=").endswith(
            f"=http://spiff:<the key>@localhost:{url.rsplit(':', 1)[1]}"
        )
        banner = served.wait_for("Typeahead: ")
        assert "cities 150,619, countries 250, states 5,072 (built in)" in banner
        assert "customers 2 (typeahead/customers.csv)" in banner

        cities = spiffarena_get(url, "cities", "San Fr")
        assert cities.status_code == 200 and cities.headers["Content-Type"] == "application/json"
        assert {"name": "San Francisco", "state": "California", "country": "United States"} in cities.json()
        # Built-in lists are public: no key needed.
        assert spiffarena_get(url, "countries", "united st", key=None).json()[0] == {"name": "United States"}

        assert spiffarena_get(url, "customers", "acme").json() == [{"name": "Acme Corp", "id": "1"}]
        refused = spiffarena_get(url, "customers", "acme", key=None)
        assert refused.status_code == 401 and "Acme" not in refused.text
        assert spiffarena_get(url, "customers", "acme", key="wrong").status_code == 401

        # A change to the team's folder is served after the reload it starts.
        (team / "customers.csv").write_text("name,id\nAcme Labs,9\n")
        served.wait_for("Reloaded after a change to")
        assert spiffarena_get(url, "customers", "ACME").json() == [{"name": "Acme Labs", "id": "9"}]
        (team / "projects.json").write_text('[{"name": "Apollo"}, {"id": 2}]')
        served.wait_for("Reloaded after a change to")
        broken = spiffarena_get(url, "projects", "a")
        assert broken.status_code == 500
        assert "projects.json: record 2 has no 'name'" in broken.json()["error"]["message"]
    finally:
        output = served.stop()
    # Each start says what it serves, and names the broken list.
    assert "projects BROKEN: typeahead/projects.json: record 2 has no 'name'" in output
