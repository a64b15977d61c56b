"""Issue 23's reproduction in a real browser: a page the developer opens attacks `make serve`.

Headless Chromium opens a page served from another loopback port (`http://localhost:<port>`). The
page sends `http/GetRequestV2` to `make serve` on 127.0.0.1 the two ways that need no preflight: a
`fetch(..., {mode: "no-cors"})` with a `text/plain` body, and an auto-submitted
`enctype="text/plain"` form. A second page plays DNS rebinding: a host name of the attacker's that
resolves to 127.0.0.1 (Chromium's resolver rules stand in for the attacker's DNS). Nothing may run:
the upstream the command would call gets nothing, while the page's own request to it arrives (the
browser really ran the page and could reach loopback), and the server refused each attack.
Skipped, saying why, where no Chromium is installed (`make browser` installs it; `make test` starts
that in the background).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import browser as support
from support.browser import chromium, dump_dom
from support.local_server import Served, local_env
from support.upstream import Reply, Upstream

from tools import chromium as installer

REBINDING_HOST = "rebind.attacker.test"


@pytest.fixture(scope="module")
def browser() -> str:
    found, why_not = chromium()
    if found is None:
        pytest.skip(why_not)
    return found


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    server = Upstream()
    for path in ("/by-fetch", "/by-form", "/by-rebinding", "/by-image", "/control"):
        server.script(path, Reply.json({"hit": path}))
    yield server
    server.close()


@pytest.fixture
def served(upstream: Upstream) -> Iterator[Served]:
    """The real `python -m tools.local serve` (what `make serve` runs), with loopback upstreams allowed,
    so a command that got through would really call the upstream."""
    server = Served.module("--reload", "0", env=local_env({"HTTP_CONNECTOR_ALLOWED_HOSTS": "127.0.0.1"}))
    yield server
    server.stop()


@pytest.fixture
def pages() -> Iterator[Upstream]:
    server = Upstream()
    yield server
    server.close()


def attack_page(target: str, upstream: Upstream) -> str:
    """Runs GetRequestV2 at `target` (make serve's base URL) every way a page can without a preflight."""
    command = f"{target}/v1/do/http/GetRequestV2"
    by_fetch = json.dumps({"url": upstream.url("/by-fetch")})
    # A text/plain form sends "name=value": this name and value make the body the JSON object
    # {"url": ".../by-form?a=b"}.
    form_name = json.dumps({"url": upstream.url("/by-form") + "?a"})[:-2]
    form_value = 'b"}'
    image = f"{command}?url={upstream.url('/by-image')}"
    return f"""<!doctype html>
<html><body>
<p id="fetch">fetch pending</p><p id="control">control pending</p>
<iframe name="sink"></iframe>
<form id="form" method="POST" enctype="text/plain" target="sink" action="{command}">
  <input type="hidden" name='{form_name}' value='{form_value}'>
</form>
<img src="{image}">
<script>
  const say = (id, text) => document.getElementById(id).textContent = text;
  fetch({json.dumps(command)}, {{method: "POST", mode: "no-cors",
                                 headers: {{"Content-Type": "text/plain"}}, body: {json.dumps(by_fetch)}}})
    .then(() => say("fetch", "fetch sent"), (error) => say("fetch", "fetch failed " + error));
  fetch({json.dumps(upstream.url("/control"))}, {{mode: "no-cors"}})
    .then(() => say("control", "control sent"), (error) => say("control", "control failed " + error));
  document.getElementById("form").submit();
</script>
</body></html>"""


@pytest.mark.slow
def test_a_web_page_cannot_make_make_serve_run_anything(
    browser: str, served: Served, upstream: Upstream, pages: Upstream, tmp_path: Path
) -> None:
    url = served.url()
    proxy_port = url.rsplit(":", 1)[1]
    pages.script("/attack.html", Reply(200, attack_page(url, upstream).encode(), "text/html"))
    rebinding = attack_page(f"http://{REBINDING_HOST}:{proxy_port}", upstream).replace(
        "/by-fetch", "/by-rebinding"
    )
    pages.script("/rebinding.html", Reply(200, rebinding.encode(), "text/html"))

    dom = dump_dom(browser, pages.url("/attack.html").replace("127.0.0.1", "localhost"), tmp_path / "one")
    rebound = dump_dom(
        browser,
        f"http://{REBINDING_HOST}:{pages.port}/rebinding.html",
        tmp_path / "two",
        resolver_rules=f"MAP {REBINDING_HOST} 127.0.0.1",
    )
    output = served.stop()
    # The browser ran both pages, and reached this machine's loopback from them.
    assert "fetch sent" in dom and "control sent" in dom, dom
    assert "control sent" in rebound, rebound
    # Nothing ran: the upstream got the pages' own requests only,
    assert set(upstream.paths()) == {"/control"}, upstream.paths()
    # because the server refused each attack: the fetch and the form of localhost's page (another
    # site; its image's GET is refused by the proxy itself), and those of the rebinding page (a Host
    # that is not this machine's).
    refusals = [line for line in output.split("\n") if "tools.local: refused" in line]
    from_localhost = [line for line in refusals if "Host 127.0.0.1" in line]
    from_rebinding = [line for line in refusals if f"Host {REBINDING_HOST}" in line]
    assert len(from_localhost) >= 2 and all("browser_origin_not_allowed" in line for line in from_localhost)
    assert len(from_rebinding) >= 2 and all("misdirected_request" in line for line in from_rebinding)


@pytest.mark.parametrize(
    ("status", "said"),
    [
        (None, "none on PATH, and make browser has not run"),
        ({"state": "unavailable", "reason": "this user cannot install one", "pid": 1}, "cannot install one"),
        # A pid beyond Linux's largest: an installer that is gone.
        ({"state": "installing", "reason": "", "pid": 2**22 + 1}, "its install stopped before it finished"),
    ],
)
def test_without_a_browser_the_skip_says_why_and_what_to_do(
    status: dict[str, object] | None, said: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(installer, "find", lambda: None)
    monkeypatch.setattr(installer, "STATUS_FILE", tmp_path / "status")
    if status is not None:
        (tmp_path / "status").write_text(json.dumps(status))
    found, why = support.chromium()
    assert found is None
    assert (
        why.startswith("no headless Chromium: ") and said in why and why.endswith("make browser installs it.")
    )
