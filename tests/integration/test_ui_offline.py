"""The UI works offline (issue 6: vendored assets, no CDN): every page a logged-in user can GET refers
only to its own site, and carries a Content-Security-Policy that keeps it so (default-src 'self').

The pages come from ``app.url_map`` with the tenancy matrix's parameter fillers, here pointing at the
user's own objects: a page added later is walked without touching this test."""

from __future__ import annotations

from html.parser import HTMLParser

from gateway.services.drafts import save_draft
from gateway.web import certificate_form as cf
from tests.integration.test_route_tenancy_matrix import ROUTES, _path, _plant_declarant_documents
from tests.integration.ui_world import AGENT, UiWorld

URL_ATTRIBUTES = {"src", "href", "action", "formaction", "srcset", "poster", "data", "xlink:href"}
OFF_SITE = ("http:", "https:", "//")
PAGES = {"text/html", "image/svg+xml"}


class _Links(HTMLParser):
    """Every URL-valued attribute of a page, with the tag it sits on."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in URL_ATTRIBUTES and value is not None:
                urls = [part.split()[0] for part in value.split(",") if part.strip()] if name == "srcset" else [value]
                self.urls.extend((tag, name, url) for url in urls)


def off_site(url: str) -> bool:
    # browsers ignore surrounding blanks and read a backslash as a slash ("\\\\cdn" is "//cdn")
    return url.strip().replace("\\", "/").lower().startswith(OFF_SITE)


def test_off_site_check_catches_every_form_of_an_external_url() -> None:
    page = _Links()
    page.feed('<link href="/static/app.css"><script src=" HTTPS://cdn.example/x.js"></script><img srcset="/a.png 1x, '
              '//cdn.example/b.png 2x"><a href="\\\\cdn.example/">x</a><form action="http://evil.example/">')
    assert [url for _, _, url in page.urls if off_site(url)] == [" HTTPS://cdn.example/x.js", "//cdn.example/b.png",
                                                                 "\\\\cdn.example/", "http://evil.example/"]


def _ui_get_paths(world: UiWorld) -> list[str]:
    paths = ["/login"]  # the one page before logging in; the rest are the "ui" routes of the matrix
    for rule in world.app.url_map.iter_rules():
        if ROUTES[rule.rule] != "ui" or "GET" not in (rule.methods or ()):
            continue
        if rule.rule == "/ui/certificates/new/<cert_type>":
            paths += [f"/ui/certificates/new/{t}" for t in cf.FORM_TYPES]  # each entry form
        else:
            paths.append(_path(rule.rule, world))
    return paths


def test_every_ui_page_is_offline_and_has_a_same_origin_content_security_policy(ui_world: UiWorld) -> None:
    c = ui_world.container  # the user's own draft 1, verification record, uploaded file and supplement
    save_draft(c.drafts, c.clock, scope=(AGENT.id,), enterprise_id=AGENT.id, cert_type="E",
               data={"head": {"DocumentNo": "AG-DRAFT"}}, user="agent-declarant")
    _plant_declarant_documents(ui_world)
    paths = _ui_get_paths(ui_world)
    served: set[str] = set()
    for username in ("agent-admin", "agent-engineer", "agent-declarant"):
        client = ui_world.client(username)
        for path in paths:
            with client.get(path) as r:  # closed: downloads stream from files and generators
                body = r.get_data(as_text=True) if r.mimetype in PAGES else None
            where = f"GET {path} as {username}: {r.status_code}"
            assert r.status_code < 500, where
            csp = r.headers.get("Content-Security-Policy", "")
            assert "default-src 'self'" in [d.strip() for d in csp.split(";")], f"{where}: CSP {csp!r}"
            if body is None:
                continue
            links = _Links()
            links.feed(body)
            external = [f"<{tag} {name}={url!r}>" for tag, name, url in links.urls if off_site(url)]
            assert not external, f"{where} refers off-site: {external}"
            if r.status_code == 200:
                served.add(path)
    # the walk reached the pages themselves, not only login redirects and refusals
    for page in ("/ui/dashboard", "/ui/messages", f"/ui/messages/{ui_world.agent_msg}", "/ui/certificates",
                 f"/ui/certificates/{ui_world.agent_msg}", "/ui/certificates/new/C", "/ui/certificates/new/E",
                 "/ui/certificates/new/RC", "/ui/certificates/drafts/1", "/ui/statistics", "/ui/users",
                 "/ui/verifications", "/ui/supplements", "/ui/seals", "/login"):
        assert page in served, page
    assert len(served) >= 25, sorted(served)


def test_the_vendored_stylesheet_loads_nothing_from_elsewhere(ui_world: UiWorld) -> None:
    with ui_world.client().get("/static/app.css") as css:
        assert css.status_code == 200 and css.mimetype == "text/css"
        text = css.get_data(as_text=True).lower()
    assert "@import" not in text and "url(http" not in text and "url(//" not in text
    assert "url('http" not in text and 'url("http' not in text
