"""Lex each ConditionExpression text once, not on every write that carries it.

moto lexes a ConditionExpression (or FilterExpression) with a list of regular
expressions, character run by character run, every time it parses one: twice for each
conditioned write of a transaction (in the response layer and in the backend), for
the same few texts the functions always send. The tokens depend on the text alone,
so they are kept by text; each parse gets fresh tokens (new, empty `children` lists,
as the lexer makes them), and everything after the lexing (paths, names, values,
the operator tree) is moto's own, per call. A text that does not lex raises as
before (errors are not kept).

Relies on moto internals (tests/local/test_moto_patches.py checks each one):
`ConditionExpressionParser._lex_condition_expression(self)` reading only
`self.condition_expression` and returning a deque of `ConditionExpressionParser.Node`
namedtuples whose `children` are empty lists."""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

_lock = threading.Lock()
_patched = False
_MAX_KEPT = 4096
# moto's own lexer, as it was before the patch (its test compares with it).
original_lex: Any = None


def lex_condition_expressions_once() -> None:
    """Install the patch (once per process)."""
    global _patched, original_lex  # noqa: PLW0603 - one process-wide patch
    with _lock:
        if _patched:
            return
        from moto.dynamodb.comparisons import ConditionExpressionParser

        original = original_lex = ConditionExpressionParser._lex_condition_expression
        kept: dict[str, tuple[Any, ...]] = {}

        def _lex_condition_expression(self: Any) -> deque[Any]:
            text = self.condition_expression
            tokens = kept.get(text) if isinstance(text, str) else None
            if tokens is None:
                lexed = original(self)
                if not isinstance(text, str) or any(node.children for node in lexed):
                    return lexed  # not what the patch knows how to keep: as moto made it
                tokens = tuple(lexed)
                if len(kept) < _MAX_KEPT:
                    kept[text] = tokens
            return deque(node._replace(children=[]) for node in tokens)

        _lex_condition_expression.leadflow_cached = True  # type: ignore[attr-defined]
        ConditionExpressionParser._lex_condition_expression = _lex_condition_expression  # type: ignore[method-assign]
        _patched = True
