"""The cyclic garbage collector around work that leaves many long-lived objects (a run, its result files)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def objects_frozen() -> Iterator[None]:
    """The objects alive on entry go to the collector's permanent generation for the block, so its
    collections walk only what the block makes; on exit the block's survivors join them and all of them
    go to the oldest generation unexamined (restoring them to the young one made the next collection walk
    them all only to promote them). A caller's frozen objects (a forked worker's) stay frozen."""
    frozen = gc.get_freeze_count()
    gc.freeze()
    try:
        yield
    finally:
        if not frozen:
            gc.freeze()
            gc.unfreeze()
