"""Python's cyclic garbage collector paused for a stream of chunks (bulk linking, decision 0540; provider
progress runs, decision 0580)."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable, Iterator
from functools import partial


@contextlib.contextmanager
def collected_per_chunk() -> Iterator[Callable[[], None]]:
    """Python's cyclic garbage collector paused for a stream, its young generations collected once a chunk.

    Left to itself the collector runs every 700 allocations and, as a chunk's few thousand rows survive
    into the oldest generation, passes over every object of the process (Django and the project: a few
    hundred thousand) again and again: 0.15-0.2 s of the 0.8 s of Python of 100,000 rows (decision 0540).
    Here it is off for the stream; the function yielded, called before each chunk, collects the two young
    generations (what the chunks before made, as the previous chunk is dropped: a pass over one chunk's
    objects), so reference cycles made by a chunk are still freed and memory stays bounded by the chunk.
    The collector is back on when the stream ends, if it was on before (nested or concurrent streams never
    leave it off: only the one that switched it off switches it on).
    """
    if not gc.isenabled():
        yield lambda: None
        return
    gc.disable()
    try:
        yield partial(gc.collect, 1)
    finally:
        gc.enable()
