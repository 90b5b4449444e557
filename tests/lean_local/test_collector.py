"""``lean_local.collector.objects_frozen``: the objects alive on entry frozen for the block, everything left
in the oldest generation after it, a caller's frozen objects kept frozen."""

from __future__ import annotations

import gc

from lean_local.collector import objects_frozen


def test_the_block_sees_the_objects_before_it_frozen_and_leaves_nothing_young():
    gc.unfreeze()
    gc.collect()
    with objects_frozen():
        assert gc.get_freeze_count() > 1_000  # at least the imported modules' objects
        kept = [[i] for i in range(5_000)]  # survivors of the block
    assert gc.get_freeze_count() == 0
    young = {id(o) for generation in (0, 1) for o in gc.get_objects(generation=generation)}
    assert id(kept) not in young and not any(id(item) in young for item in kept)


def test_a_callers_frozen_objects_stay_frozen():
    gc.freeze()
    try:
        with objects_frozen():
            pass
        assert gc.get_freeze_count() > 1_000
    finally:
        gc.unfreeze()
