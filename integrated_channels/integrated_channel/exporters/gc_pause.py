"""Selections run with Python's cyclic garbage collector paused (decision 0506).

A selection of 100,000 enrollments makes a few hundred thousand tuples, dicts and records that all
stay alive until it returns; each allocation past the collector's threshold starts a collection,
and the oldest generation's passes walk every one of them again. Those passes were a third of a
channel's selection CPU; nothing in a selection makes reference cycles worth collecting early
(its objects are freed by reference counting or returned). The collector is switched back on when
the selection returns, whatever happens.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


def gc_paused(function: Callable[P, R]) -> Callable[P, R]:
    """Run ``function`` with the cyclic garbage collector off; back on afterwards, if it was on before.

    The collector is process-wide: another thread's work also goes without cyclic collection for the
    time of the call (its memory is collected afterwards). Nested or concurrent calls never leave it
    off: only the call that found it on switches it off, and that call switches it back on.
    """

    @functools.wraps(function)
    def paused(*args: P.args, **kwargs: P.kwargs) -> R:
        if not gc.isenabled():
            return function(*args, **kwargs)
        gc.disable()
        try:
            return function(*args, **kwargs)
        finally:
            gc.enable()

    return paused
