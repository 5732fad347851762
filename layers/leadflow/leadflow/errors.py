"""Domain errors. Each carries an HTTP status and stable, machine-readable codes;
one exception handler in the capture function turns them into responses."""

from __future__ import annotations

from pydantic import BaseModel


class FieldError(BaseModel):
    field: str | None
    code: str
    message: str


class CaptureError(Exception):
    """A submission we refuse, with why. Never a 500: the visitor can fix it."""

    def __init__(self, status: int, errors: list[FieldError]) -> None:
        super().__init__(", ".join(e.code for e in errors))
        self.status = status
        self.errors = errors

    @classmethod
    def single(cls, status: int, code: str, message: str, field: str | None = None) -> CaptureError:
        return cls(status, [FieldError(field=field, code=code, message=message)])
