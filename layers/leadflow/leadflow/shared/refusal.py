"""What the admin services refuse, and why, in words both their doors understand: the
admin API answers a refusal with a 4xx in the APIs' error shape (functions/api), the
`leadflow` command lists its problems and exits 1. Each refusal has a stable `code` and,
when fields are at fault, one FieldError per field.

Three kinds, because a client acts differently on each: something named does not exist
(NotFound), it exists already or changed meanwhile (Conflict), the input breaks a rule
(Invalid)."""

from __future__ import annotations

from typing import ClassVar, TypeVar

from pydantic import BaseModel, ValidationError

from leadflow.shared.http import FieldError

M = TypeVar("M", bound=BaseModel)


class Refused(Exception):
    """A request an admin service refuses; nothing was written."""

    code: ClassVar[str] = "refused"

    def __init__(self, message: str, errors: list[FieldError] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or [FieldError(field=None, code=self.code, message=message)]


class NotFound(Refused):
    code = "not_found"


class Conflict(Refused):
    code = "conflict"


class Invalid(Refused):
    """Input that breaks a rule: every problem at once, each naming its field."""

    code = "invalid"

    def __init__(self, errors: list[FieldError], message: str = "the input is not valid") -> None:
        super().__init__(message, errors)


def field_errors(error: ValidationError, prefix: tuple[str | int, ...] = ()) -> list[FieldError]:
    """pydantic's errors as FieldErrors: the field's path (`allowed_origins.0`), pydantic's
    error type as the code, its message. Never the value that was sent."""
    return [FieldError(field=".".join(str(p) for p in (*prefix, *e["loc"])) or None, code=e["type"],
                       message=e["msg"]) for e in error.errors(include_url=False, include_input=False)]


def parsed(model: type[M], data: object, refusal: type[Invalid] = Invalid) -> M:
    """`data` (a JSON object, a line of a file) as `model`, or the refusal naming every
    field at fault: what the `leadflow` command calls where the API's resolver validates."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise refusal(field_errors(error)) from None
