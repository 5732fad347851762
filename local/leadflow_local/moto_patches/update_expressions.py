"""Make moto's UpdateExpression handling cost less per write, with the same answers.

Every UpdateItem, and every Update of a TransactWriteItems, had moto parse its
UpdateExpression twice (once in the response layer to check the names and values it
uses, once in the backend) and then run ten validating passes over a copy of the tree,
each pass rebuilding its node-type table at every node. Writes were most of the local
pipeline's CPU (the report counters are a transaction of many updates). Two changes,
neither touching what moto decides:

- a parsed expression is kept by its text (`UpdateExpressionParser.make`): the tree
  is only read by moto's response layer (`find_clauses`) and copied by the validator
  (`Validator.__init__` deep-copies it) before anything is resolved or executed on
  it, so a shared tree is never changed. An expression that does not parse raises as
  before (errors are not kept).
- each validating pass (`DepthFirstTraverser`) builds its node-type table once per
  pass instead of once per node, and which entry a node class falls under is found
  once per (pass class, node class) instead of by isinstance on moto's ABCs at every
  node: the tables are class-level constants (node class → the pass's own bound
  method); the walk itself (children first, then the node, replaced in its parent)
  is moto's, unchanged; the clause counts of the first pass (ActionCountValidator)
  are computed once per node instead of by a walk of each node's subtree;
- the validator's copy of the tree is made by walking the tree (`copy_tree`), not by
  `copy.deepcopy`'s generic reduce-and-rebuild: the same fresh nodes, scalars shared
  as deepcopy shares them; anything unexpected in a tree is left to deepcopy.

Relies on moto internals (tests/local/test_moto_patches.py checks each one):
`UpdateExpressionParser.make(expression_str)`; `Validator.__init__` deep-copying the
expression it is given with the `deepcopy` name of `moto.dynamodb.parsing.validators`
(whose other use copies a DynamoType, left to `copy.deepcopy`); `Node` keeping its
state in `type`, `children` and `parent`; `DepthFirstTraverser._processing_map`, `nodes_to_be_processed`,
`process` and `traverse_node_recursively` as moto defines them;
`ActionCountValidator.verify_action_counts` counting `find_clauses` of the ADD, REMOVE
and SET clause classes and returning the node; `Node.find_clauses` entering
Expressions and functions."""

from __future__ import annotations

import copy
import functools
import threading
from typing import Any

_lock = threading.Lock()
_patched = False
# moto's own methods, as they were before the patch (their tests read them).
original_make: Any = None
original_nodes_to_be_processed: Any = None
original_process: Any = None
original_traverse: Any = None
original_verify_action_counts: Any = None
# Per (pass class, node class): whether the pass processes such nodes, and under which
# key of its table (the tables are per class, the answers per class too). moto's node
# classes are ABCs, whose isinstance is slow; a node class's answer never changes.
_processed: dict[tuple[type, type], bool] = {}
_handled_as: dict[tuple[type, type], Any] = {}
_node_classes: dict[type, bool] = {}
_UNKNOWN = object()


_node_class: list[type] = []  # moto's Node, once the patch is installed


def _is_node(value: Any) -> bool:
    """isinstance(value, Node), answered once per class."""
    known = _node_classes.get(type(value))
    if known is None:
        known = _node_classes[type(value)] = isinstance(value, _node_class[0])
    return known


def parse_update_expressions_once() -> None:
    """Install the patch (once per process)."""
    global _patched, original_make, original_nodes_to_be_processed, original_process, original_traverse  # noqa: PLW0603
    with _lock:
        if _patched:
            return
        from moto.dynamodb.parsing.ast_nodes import DepthFirstTraverser, Node
        from moto.dynamodb.parsing.expressions import UpdateExpressionParser

        original_make = UpdateExpressionParser.make.__func__  # a classmethod
        cached_make = functools.lru_cache(maxsize=1024)(lambda expression: original_make(UpdateExpressionParser,
                                                                                          expression))

        def make(cls: Any, expression_str: str) -> Any:
            if cls is not UpdateExpressionParser or not isinstance(expression_str, str):
                return original_make(cls, expression_str)
            return cached_make(expression_str)

        make.leadflow_cached = True  # type: ignore[attr-defined]
        UpdateExpressionParser.make = classmethod(make)  # type: ignore[method-assign,assignment]

        original_nodes_to_be_processed = DepthFirstTraverser.nodes_to_be_processed
        original_process = DepthFirstTraverser.process

        # The validator's copy of the tree, made by walking the tree itself.
        from moto.dynamodb.parsing import validators

        validators.deepcopy = copy_tree  # type: ignore[attr-defined]

        _node_class.append(Node)
        _count_clauses_once()
        _nodes_to_be_processed.leadflow_cached = True  # type: ignore[attr-defined]
        original_traverse = DepthFirstTraverser.traverse_node_recursively
        DepthFirstTraverser.nodes_to_be_processed = _nodes_to_be_processed  # type: ignore[method-assign]
        DepthFirstTraverser.process = _process  # type: ignore[method-assign]
        DepthFirstTraverser.traverse_node_recursively = _traverse_node_recursively  # type: ignore[method-assign]
        _patched = True


def _processing_map_once(self: Any) -> dict[type, Any]:
    found = self.__dict__.get("_leadflow_map")
    if found is None:
        found = self.__dict__["_leadflow_map"] = self._processing_map()
        self.__dict__["_leadflow_types"] = tuple(found)
    return found  # type: ignore[no-any-return]

def _nodes_to_be_processed(self: Any) -> tuple[type, ...]:
    types = self.__dict__.get("_leadflow_types")
    if types is None:
        _processing_map_once(self)
        types = self.__dict__["_leadflow_types"]
    return types  # type: ignore[no-any-return]

def _process(self: Any, node: Any) -> Any:
    table = _processing_map_once(self)
    key = (type(self), type(node))
    class_key = _handled_as.get(key, _UNKNOWN)
    if class_key is _UNKNOWN:
        class_key = _handled_as[key] = next((c for c in table if isinstance(node, c)), None)
    return None if class_key is None else table[class_key](node)

def _traverse_node_recursively(self: Any, node: Any, child_id: int = -1) -> Any:
    if _is_node(node):
        parent_node = node.parent
        if node.children is not None:
            for i, child_node in enumerate(node.children):
                self.pre_processing_of_child(node, i)
                self.traverse_node_recursively(child_node, i)
        key = (type(self), type(node))
        handled = _processed.get(key)
        if handled is None:
            handled = _processed[key] = isinstance(node, self.nodes_to_be_processed())
        if handled:
            node = self.process(node)
            node.parent = parent_node
            if parent_node:
                parent_node.children[child_id] = node
    return node


def _count_clauses_once() -> None:
    """ActionCountValidator, which asks every UpdateExpression node of the tree (nearly
    all of them) for its ADD, REMOVE and SET clauses, each a walk of the node's subtree:
    the counts are computed once per node, exactly as `find_clauses` walks (a clause
    of the kind asked counts and is not entered; any other Expression or function is
    entered); moto's own check runs, and raises as it does, whenever one exceeds one."""
    global original_verify_action_counts  # noqa: PLW0603 - one process-wide patch
    from moto.dynamodb.parsing.ast_nodes import (
        Expression,
        UpdateExpressionAddClause,
        UpdateExpressionFunction,
        UpdateExpressionRemoveClause,
        UpdateExpressionSetClause,
    )
    from moto.dynamodb.parsing.validators import ActionCountValidator

    entered = (Expression, UpdateExpressionFunction)

    def counts(node: Any, memo: dict[int, tuple[int, int, int]]) -> tuple[int, int, int]:
        found = memo.get(id(node))
        if found is None:
            add = remove = set_ = 0
            for child in node.children or []:
                kind = type(child)
                inner = counts(child, memo) if isinstance(child, entered) else (0, 0, 0)
                add += 1 if kind is UpdateExpressionAddClause else inner[0]
                remove += 1 if kind is UpdateExpressionRemoveClause else inner[1]
                set_ += 1 if kind is UpdateExpressionSetClause else inner[2]
            found = memo[id(node)] = (add, remove, set_)
        return found

    original = original_verify_action_counts = ActionCountValidator.verify_action_counts

    def verify_action_counts(self: Any, node: Any) -> Any:
        memo = self.__dict__.setdefault("_leadflow_counts", {})
        if max(counts(node, memo)) > 1:
            return original(self, node)  # raises, as moto does
        return node

    verify_action_counts.leadflow_counted = True  # type: ignore[attr-defined]
    ActionCountValidator.verify_action_counts = verify_action_counts  # type: ignore[method-assign]


def copy_tree(node: Any, memo: dict[int, Any] | None = None) -> Any:
    """`copy.deepcopy` of a parsed UpdateExpression tree, without deepcopy's generic
    walk: each node's own attributes copied, its children copied in turn, parents
    pointing at the copies. Anything but a plain tree of nodes over str/int/float/
    bool/None leaves (what a parse produces) is left to `copy.deepcopy`."""
    from moto.dynamodb.parsing.ast_nodes import Node

    if not isinstance(node, Node) or node.__dict__.get("parent") is not None:
        return copy.deepcopy(node, memo)
    copied = _copy_node(node, Node)
    return copy.deepcopy(node, memo) if copied is None else copied


_SCALARS = (str, int, float, bool, type(None))


def _copy_node(node: Any, node_type: type) -> Any:
    """A copy of `node` and its subtree with parents re-linked (the copy's own parent
    None), or None if it holds anything but nodes and scalars."""
    copied = object.__new__(type(node))
    new_state: dict[str, Any] = {}
    for name, value in node.__dict__.items():
        if name == "parent":
            new_state[name] = None
        elif name == "children" and type(value) is list:
            children = []
            for child in value:
                if isinstance(child, node_type):
                    if child.__dict__.get("parent") is not node:
                        return None
                    child_copy = _copy_node(child, node_type)
                    if child_copy is None:
                        return None
                    child_copy.__dict__["parent"] = copied
                    children.append(child_copy)
                elif isinstance(child, _SCALARS):
                    children.append(child)
                else:
                    return None
            new_state[name] = children
        elif isinstance(value, _SCALARS):
            new_state[name] = value
        else:
            return None
    copied.__dict__.update(new_state)
    return copied
