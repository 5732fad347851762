"""Everything moto holds in this process, copied at one moment and put back later.

For tests: deploying and seeding a stack takes a second or two, putting moto back to
the state right after it takes a few milliseconds. `MotoSnapshot.take()` deep-copies
the state (`__dict__`) of every service backend moto has created (every account and
region), all in one copy so that references between them (SES v2 → SES, a stream's
iterators → its table's shard) stay references; `restore()` gives each of those
backends a fresh deep copy of its state and empties any backend created since.
The backend objects themselves are kept: moto and its patches look them up, never
hold a copy. Locks cannot be copied: a copied lock (or Condition) is a new, released one.

Relies on moto internals (tests/local/test_moto_state.py checks them):
`BackendDict._instances` (every service's backends in use), each a dict of account →
`AccountSpecificBackend` (a dict of region → backend), and backends whose whole state
is their `__dict__`."""

from __future__ import annotations

import copy
import copyreg
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from leadflow_local.moto_patches.serialized_requests import REQUEST_LOCK

# Each lock type and how to make a new one of it. A Condition holds bound methods of its
# lock, which deepcopy would share with the original: a new Condition (moto's SQS queues
# each have one with a lock of its own, and nobody waits on a copy being made).
_NEW_LOCKS: dict[type, Any] = {type(threading.Lock()): threading.Lock, type(threading.RLock()): threading.RLock,
                               threading.Condition: threading.Condition}
# A backend's place: (its BackendDict, account id, region).
_Place = tuple[Any, str, str]


@dataclass(frozen=True)
class MotoSnapshot:
    """moto's backends and a private copy of each one's state."""

    backends: dict[_Place, Any]  # place -> the backend object
    states: dict[_Place, dict[str, Any]]  # place -> a copy of its __dict__, not shared with moto

    @classmethod
    def take(cls) -> MotoSnapshot:
        """Copy the state of every backend moto has now."""
        with REQUEST_LOCK:  # no request half-way through what is copied
            backends = dict(_backends_in_use())
            return cls(backends, _copy_states({place: b.__dict__ for place, b in backends.items()}, backends))

    def restore(self) -> None:
        """Put every backend back as it was when taken; a backend created since is
        dropped (moto makes a new, empty one when it is next used)."""
        from moto.core.model_instances import reset_model_data

        with REQUEST_LOCK:
            states = _copy_states(self.states, self.backends)
            for place, backend in list(_backends_in_use()):
                if self.backends.get(place) is not backend:
                    backend_dict, account_id, region = place
                    dict.__delitem__(backend_dict[account_id], region)
            for place, backend in self.backends.items():
                backend_dict, account_id, region = place
                backend.__dict__ = states[place]
                dict.__setitem__(backend_dict[account_id], region, backend)  # back, should a reset have dropped it
            # moto's dashboard keeps every model object ever made; nothing reads it here.
            reset_model_data()


def _backends_in_use() -> Iterator[tuple[_Place, Any]]:
    from moto.core.base_backend import BackendDict

    for backend_dict in list(BackendDict._instances):
        for account_id, account_backends in list(backend_dict.items()):
            for region, backend in list(account_backends.items()):
                yield (backend_dict, account_id, region), backend


def _copy_states(states: dict[_Place, dict[str, Any]], backends: dict[_Place, Any]) -> dict[_Place, dict[str, Any]]:
    """One deep copy of every state. A reference to a backend object stays a reference to
    that same object (whose state is put back beside it), never a copy of it."""
    memo: dict[int, Any] = {id(backend): backend for backend in backends.values()}
    with _locks_copied_as_new():
        return copy.deepcopy(states, memo)


_copyreg_lock = threading.Lock()


@contextmanager
def _locks_copied_as_new() -> Iterator[None]:
    """deepcopy refuses locks (moto's SQS holds some); within this block a copied lock
    is a new one. Only for this copy: the process's copyreg table is put back afterwards."""
    with _copyreg_lock:
        saved = {t: copyreg.dispatch_table.get(t) for t in _NEW_LOCKS}
        for lock_type in _NEW_LOCKS:
            copyreg.pickle(lock_type, _new_lock)
        try:
            yield
        finally:
            for lock_type, reducer in saved.items():
                if reducer is None:
                    copyreg.dispatch_table.pop(lock_type, None)
                else:
                    copyreg.dispatch_table[lock_type] = reducer


def _new_lock(lock: Any) -> tuple[Any, tuple[()]]:
    return _NEW_LOCKS[type(lock)], ()
