"""Why a post is refused: an HTTP status and stable, machine-readable codes; one
exception handler in the capture function turns them into answers (capture.http)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from leadflow.shared.http import FieldError

if TYPE_CHECKING:
    from leadflow.shared.models import FormConfig


class CaptureError(Exception):
    """A submission we refuse, with why. Never a 500: the visitor can fix it.

    `form` (when known) decides the language and where a browser is sent back to;
    `retry_after` (seconds) goes with a 429."""

    def __init__(self, status: int, errors: list[FieldError], *, form: FormConfig | None = None,
                 retry_after: int | None = None) -> None:
        super().__init__(", ".join(e.code for e in errors))
        self.status = status
        self.errors = errors
        self.form = form
        self.retry_after = retry_after

    @classmethod
    def single(cls, status: int, code: str, message: str, field: str | None = None, *,
               form: FormConfig | None = None, retry_after: int | None = None) -> CaptureError:
        return cls(status, [FieldError(field=field, code=code, message=message)], form=form, retry_after=retry_after)
