"""The console's files as its function answers them (leadflow.console.site)."""

from pathlib import Path

import pytest

from leadflow.console.site import IMMUTABLE, ConsoleConfig, ConsoleSite

ROOT = Path(__file__).resolve().parents[2] / "console"
DEPLOYED = ConsoleConfig.from_stage({"publicApiUrl": "https://abc.execute-api.us-east-1.amazonaws.com/v1",
                                     "loginUrl": "https://leadflow-1-2.auth.us-east-1.amazoncognito.com",
                                     "consoleClientId": "client123"})


@pytest.fixture(scope="module")
def site() -> ConsoleSite:
    return ConsoleSite(ROOT)


def test_the_page_names_this_versions_assets_under_the_stage_and_is_never_cached(site):
    answer = site.answer("/console", DEPLOYED)
    assert answer.status == 200 and answer.headers["Cache-Control"] == "no-cache"
    assert f'src="/v1/console/v/{site.version}/js/app.js"'.encode() in answer.body
    assert b"{{assets}}" not in answer.body


@pytest.mark.parametrize("path", ["/console/", "/console/leads/L-123", "/console/callback", "/console/queue"])
def test_app_routes_answer_the_page(site, path):
    assert site.answer(path, DEPLOYED).body == site.answer("/console", DEPLOYED).body


def test_an_asset_of_this_version_is_cached_for_a_year_another_versions_is_not(site):
    current = site.answer(f"/console/v/{site.version}/js/app.js", DEPLOYED)
    assert current.status == 200 and current.headers["Cache-Control"] == IMMUTABLE
    assert current.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert site.answer("/console/v/0123456789ab/js/app.js", DEPLOYED).headers["Cache-Control"] == "no-cache"


@pytest.mark.parametrize("path", ["/console/v/x/app.py", "/console/v/x/../app.py", "/console/missing.js",
                                  "/console/v/x/js/nothing.js", "/consolex", "/console/index.html"])
def test_nothing_else_is_served_and_a_missing_file_is_not_the_page(site, path):
    assert site.answer(path, DEPLOYED).status == 404


def test_every_answer_forbids_frames_inline_script_and_sniffing(site):
    for path in ("/console", f"/console/v/{site.version}/css/console.css", "/console/config.json", "/console/x.js"):
        headers = site.answer(path, DEPLOYED).headers
        csp = headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self';" in csp and "unsafe" not in csp
        assert "connect-src 'self' https://leadflow-1-2.auth.us-east-1.amazoncognito.com;" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"


def test_config_tells_the_browser_its_stack(site):
    import json

    config = json.loads(site.answer("/console/config.json", DEPLOYED).body)
    assert config == {"apiUrl": "https://abc.execute-api.us-east-1.amazonaws.com/v1",
                      "loginUrl": "https://leadflow-1-2.auth.us-east-1.amazoncognito.com",
                      "clientId": "client123", "consolePath": "/v1/console"}


def test_the_handler_answers_the_sample_event_with_the_page_under_the_stage():
    import importlib.util

    from support import load_event

    spec = importlib.util.spec_from_file_location("console_handler", ROOT / "app.py")
    assert spec is not None and spec.loader is not None
    handler = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(handler)
    answer = handler.lambda_handler(load_event("console-page"), None)
    assert answer["statusCode"] == 200 and answer["isBase64Encoded"] is False
    assert f'src="/v1/console/v/{handler.site.version}/js/app.js"' in answer["body"]
    assert "frame-ancestors 'none'" in answer["headers"]["Content-Security-Policy"]


def test_vendored_libraries_are_served_with_the_console_and_every_one_a_page_loads_is_there(site):
    # The reports page imports Chart.js from vendor/ (no CDN at run time): the file it names
    # exists, is served as JavaScript for a year, its licence beside it.
    import re

    named = {match for module in (ROOT / "js").rglob("*.js")
             for match in re.findall(r"vendor/([\w.-]+\.js)", module.read_text("utf-8"))}
    assert named == {"chart.js-4.6.2.umd.min.js"}
    for name in named:
        answer = site.answer(f"/console/v/{site.version}/vendor/{name}", DEPLOYED)
        assert answer.status == 200 and answer.headers["Content-Type"] == "text/javascript; charset=utf-8"
        assert answer.headers["Cache-Control"] == IMMUTABLE
        assert answer.body.startswith(b"/*!\n * Chart.js v4.6.2")
    licence = site.answer(f"/console/v/{site.version}/vendor/chart.js-4.6.2-LICENSE.txt", DEPLOYED)
    assert licence.status == 200 and b"MIT License" in licence.body
