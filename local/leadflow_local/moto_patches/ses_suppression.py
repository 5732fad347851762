"""SES v2's account-level suppression list, which moto lacks.

moto raises NotImplementedError for GetSuppressedDestination; notify asks it before
every email. Here it is answered from `SES_SUPPRESSED` (tests add addresses to it):
NotFoundException means "not suppressed", as in AWS.

Relies on moto internals (tests/local/test_moto_patches.py checks each one): the
`SESV2Response` class (a `path` attribute, `dispatch`), `JsonRESTError`, and the url
table `moto.sesv2.urls.url_paths` that moto's server routes by (`make dev`)."""

from __future__ import annotations

import json
import threading
import time
from typing import Any
from urllib.parse import unquote

# Addresses the local SES treats as on its account-level suppression list (bounced or
# complained), lowercase. Tests add to it (and the test fixtures empty it).
SES_SUPPRESSED: set[str] = set()
# The path of GetSuppressedDestination in moto's url table (a regular expression).
SUPPRESSED_DESTINATION_PATH = "{0}/v2/email/suppression/addresses/(?P<EmailAddress>[^/]+)$"

_lock = threading.Lock()
_patched = False
# Whether moto answered GetSuppressedDestination itself when the patch was installed:
# then this patch would hide moto's own answer, and its test says so.
moto_had_its_own: bool | None = None


def support_ses_suppression_list() -> None:
    """Install the patch (once per process)."""
    global _patched, moto_had_its_own  # noqa: PLW0603 - one process-wide patch
    with _lock:
        if _patched:
            return
        from moto.core.exceptions import JsonRESTError
        from moto.sesv2 import urls
        from moto.sesv2.responses import SESV2Response

        moto_had_its_own = "get_suppressed_destination" in vars(SESV2Response)

        def get_suppressed_destination(self: Any) -> str:
            address = unquote(self.path.rstrip("/").rsplit("/", 1)[-1])
            if address.lower() not in SES_SUPPRESSED:
                raise JsonRESTError("NotFoundException", f"{address} is not on the suppression list")
            return json.dumps({"SuppressedDestination": {"EmailAddress": address, "Reason": "BOUNCE",
                                                         "LastUpdateTime": time.time()}})

        SESV2Response.get_suppressed_destination = get_suppressed_destination  # type: ignore[attr-defined]
        # moto's server (make dev) routes only the paths its url table lists.
        urls.url_paths[SUPPRESSED_DESTINATION_PATH] = SESV2Response.dispatch
        _patched = True
