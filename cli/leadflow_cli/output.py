"""What every subcommand prints and how it fails.

Tables for people by default; with `--json`, one JSON document on stdout with stable
keys, for scripts. Exit codes: 0 done; 1 refused (the input, every problem listed one
per line naming the field or rule, or AWS refusing the call); 2 usage (argparse's own
errors, a missing or ambiguous target, a file that cannot be read)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import Any, TextIO

from pydantic import BaseModel, ValidationError

OK, REFUSED, USAGE = 0, 1, 2
_NUMBER = re.compile(r"^(-|[-+]?\d[\d.,]*%?)$")


class UsageError(Exception):
    """The command cannot run as given (exit 2)."""


class Problem(BaseModel):
    """One reason the input was refused: where (a field, a rule, a line), a stable code
    when there is one, and what is wrong. Never the refused value itself: it may be a
    person's email."""

    field: str | None = None
    code: str | None = None
    message: str

    def line(self) -> str:
        where = f"{self.field}: " if self.field and not self.message.startswith(self.field) else ""
        return f"{where}{self.message}" + (f" [{self.code}]" if self.code else "")


class Refused(Exception):
    """The input was refused (exit 1), with every problem found."""

    def __init__(self, problems: Sequence[Problem], *, shown: bool = False) -> None:
        super().__init__("; ".join(p.line() for p in problems))
        self.problems = list(problems)
        self.shown = shown  # the command's --json answer already holds them: not printed again

    @classmethod
    def one(cls, message: str, *, field: str | None = None, code: str | None = None) -> Refused:
        return cls([Problem(field=field, code=code, message=message)])

    @classmethod
    def of_validation(cls, error: ValidationError) -> Refused:
        """pydantic's errors, by field; messages only (pydantic's own text would repeat the input)."""
        return cls([Problem(field=".".join(str(part) for part in e["loc"]) or None, code=e["type"], message=e["msg"])
                    for e in error.errors()])


class Printer:
    """Where a command's answer goes: a table or text for people, JSON with `--json`."""

    def __init__(self, out: TextIO, err: TextIO, as_json: bool) -> None:
        self.out = out
        self.err = err
        self.as_json = as_json

    def answer(self, data: Any, text: str | Callable[[], str]) -> None:
        """The command's answer: `data` (plain JSON types) with --json, else `text`."""
        if self.as_json:
            print(json.dumps(data, indent=2, ensure_ascii=False), file=self.out)
        else:
            print(text() if callable(text) else text, file=self.out)

    def note(self, text: str) -> None:
        """A remark for the person at the terminal (stderr: never mixed into an answer)."""
        if not self.as_json:
            print(text, file=self.err)

    def refused(self, prog: str, error: Refused) -> None:
        if self.as_json and error.shown:
            return
        if self.as_json:
            print(json.dumps({"errors": [p.model_dump() for p in error.problems]}, indent=2, ensure_ascii=False),
                  file=self.out)
        else:
            for problem in error.problems:
                print(f"{prog}: {problem.line()}", file=self.err)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain-text table: columns of numbers (and percentages, `-` for none) aligned
    right, everything else left."""
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    numeric = [bool(rows) and all(_NUMBER.match(row[i]) for row in cells[1:]) for i in range(len(headers))]
    return "\n".join("  ".join(cell.rjust(w) if right else cell.ljust(w)
                               for cell, w, right in zip(row, widths, numeric, strict=True)).rstrip()
                     for row in cells)


def percent(rate: float | None) -> str:
    return "-" if rate is None else f"{rate:.1%}"
