"""console: the lead console's files (this folder), on GET /console and /console/{proxy+}.

No authorizer: the files are public, like any web app's; the data behind them is the
leads API's, which wants the user's ID token. The stack's URLs and the app client come
from the stage's variables (leadflow.console.site.ConsoleConfig)."""

from pathlib import Path
from typing import Any

from leadflow.console.site import ConsoleConfig, ConsoleSite

site = ConsoleSite(Path(__file__).resolve().parent)


def lambda_handler(event: dict[str, Any], _context: Any) -> dict[str, Any]:
    answer = site.answer(event.get("path") or "", ConsoleConfig.from_stage(event.get("stageVariables")))
    return {"statusCode": answer.status, "headers": answer.headers, "body": answer.body.decode("utf-8"),
            "isBase64Encoded": False}
