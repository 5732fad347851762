"""The console's files as the console function answers them, with their headers.

The console is plain files (console/ in the repository, the function's CodeUri): no
build step. What a build step would do is done here, once per cold start: every file is
read and one version is the hash of them all, so an asset's URL
(`<console>/v/<version>/js/app.js`) changes whenever any file does and may be cached for
a year (`immutable`); the HTML page, which names that version, is never cached. Any other
path without a file extension is an app route (`/console/leads/<id>`): the page, whose
router reads the path (history API)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from leadflow.shared.brand import FAVICON_DATA_URI

# The folders whose files are served; nothing else in the function's folder (its Python).
ASSET_DIRS = ("css", "js", "vendor")
CONTENT_TYPES = {
    ".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
    ".json": "application/json; charset=utf-8", ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
}
HTML = "text/html; charset=utf-8"
INDEX = "index.html"
ASSETS_PLACEHOLDER = "{{assets}}"
FAVICON_PLACEHOLDER = "{{favicon}}"  # Leadflow's icon, a data URI (leadflow.shared.brand)
CONSOLE_PREFIX = "/console"
IMMUTABLE = "public, max-age=31536000, immutable"
# The page and config.json: revalidated every time, so a deploy shows at once.
NO_CACHE = "no-cache"


@dataclass(frozen=True)
class ConsoleConfig:
    """What the console's JavaScript needs to know of its stack (`/console/config.json`):
    the API's base URL, the user pool's sign-in domain and the console's app client."""

    api_url: str
    login_url: str
    client_id: str

    @classmethod
    def from_stage(cls, variables: dict[str, str] | None) -> ConsoleConfig:
        """From the API stage's variables (the template's `LeadsApi.Variables`): stage
        variables, because the API names this function, so its environment cannot name
        the API or the app client whose callback URLs name the API."""
        variables = variables or {}
        return cls(api_url=variables.get("publicApiUrl", "").rstrip("/"),
                   login_url=variables.get("loginUrl", "").rstrip("/"),
                   client_id=variables.get("consoleClientId", ""))

    @property
    def console_url(self) -> str:
        """The stack's console (the ConsoleUrl output); empty without the API's URL."""
        return self.api_url + CONSOLE_PREFIX if self.api_url else ""

    @property
    def console_path(self) -> str:
        """The console's path on the API's host: the stage's path, then /console."""
        return urlsplit(self.api_url).path.rstrip("/") + CONSOLE_PREFIX

    def as_json(self) -> bytes:
        return json.dumps({"apiUrl": self.api_url, "loginUrl": self.login_url, "clientId": self.client_id,
                           "consolePath": self.console_path}).encode("utf-8")


@dataclass(frozen=True)
class SiteAnswer:
    status: int
    headers: dict[str, str]
    body: bytes = b""


def content_security_policy(config: ConsoleConfig) -> str:
    """Scripts and styles from the console's own files only (no inline script, no CDN);
    fetches to the API (same origin) and the sign-in domain's token endpoint; never in a
    frame (clickjacking)."""
    login = _origin(config.login_url)
    extra = f" {login}" if login else ""
    return ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
            f"connect-src 'self'{extra}; form-action 'self'{extra}; base-uri 'none'; manifest-src 'self'; "
            "frame-ancestors 'none'")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


@dataclass
class ConsoleSite:
    """The files under `root` (the function's folder), read once."""

    root: Path
    files: dict[str, bytes] = field(init=False)
    index: str = field(init=False)
    version: str = field(init=False)

    def __post_init__(self) -> None:
        self.files = {path.relative_to(self.root).as_posix(): path.read_bytes()
                      for folder in ASSET_DIRS for path in sorted((self.root / folder).rglob("*"))
                      if path.is_file() and path.suffix in CONTENT_TYPES}
        self.index = (self.root / INDEX).read_text("utf-8")
        digest = hashlib.sha256(self.index.encode("utf-8"))
        for name, content in sorted(self.files.items()):
            digest.update(name.encode("utf-8") + b"\0" + hashlib.sha256(content).digest())
        self.version = digest.hexdigest()[:12]

    def answer(self, path: str, config: ConsoleConfig) -> SiteAnswer:
        """The answer to a GET of `path` (the API's path: /console, /console/...)."""
        if path != CONSOLE_PREFIX and not path.startswith(CONSOLE_PREFIX + "/"):
            return self._not_found(config)
        rest = path[len(CONSOLE_PREFIX):].strip("/")
        if rest == "config.json":
            return SiteAnswer(200, self._headers(config, "application/json; charset=utf-8", NO_CACHE),
                              config.as_json())
        parts = rest.split("/")
        if len(parts) > 2 and parts[0] == "v":
            return self._asset(parts[1], "/".join(parts[2:]), config)
        if PurePosixPath(rest).suffix:
            return self._not_found(config)  # a file that is not there, never the page in its place
        page = (self.index.replace(ASSETS_PLACEHOLDER, f"{config.console_path}/v/{self.version}")
                .replace(FAVICON_PLACEHOLDER, FAVICON_DATA_URI))
        return SiteAnswer(200, self._headers(config, HTML, NO_CACHE), page.encode("utf-8"))

    def _asset(self, version: str, name: str, config: ConsoleConfig) -> SiteAnswer:
        content = self.files.get(name)
        if content is None:
            return self._not_found(config)
        # An old page asking for its version gets today's file, but not cached for a year.
        cache = IMMUTABLE if version == self.version else NO_CACHE
        return SiteAnswer(200, self._headers(config, CONTENT_TYPES[PurePosixPath(name).suffix], cache), content)

    def _not_found(self, config: ConsoleConfig) -> SiteAnswer:
        return SiteAnswer(404, self._headers(config, "text/plain; charset=utf-8", NO_CACHE), b"Not found")

    @staticmethod
    def _headers(config: ConsoleConfig, content_type: str, cache: str) -> dict[str, str]:
        return {"Content-Type": content_type, "Cache-Control": cache,
                "Content-Security-Policy": content_security_policy(config),
                "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
                "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
                "Cross-Origin-Opener-Policy": "same-origin"}
