"""The feed panel's bar windows: fresh memory on huge page boundaries (``page_block``), the three windows
carved from one block and a spare one taken again (``bar_windows``), and their gather (``gather_bar_windows``)."""

from __future__ import annotations

import numpy as np

from lean_local.engine.common import Symbol
from lean_local.engine.panel_bars import HUGE_PAGE, bar_windows, gather_bar_windows, page_block
from lean_local.engine.subscription_data import SubscriptionData


def test_a_large_block_starts_on_a_huge_page_and_a_small_one_is_plain():
    large = page_block(5 * 2**20 + 3)
    assert (len(large), large.dtype, large.ctypes.data % HUGE_PAGE) == (5 * 2**20 + 3, np.uint8, 0)
    large[-1] = 7  # the block's last byte is its own
    assert len(page_block(1_000)) == 1_000


def test_the_windows_are_one_block_and_a_spare_of_their_shape_is_taken_again():
    starts, ends, ohlcv = windows = bar_windows(3, 4)
    assert (starts.shape, ends.shape, ohlcv.shape) == ((3, 4), (3, 4), (3, 4, 5))
    assert (starts.dtype, ends.dtype, ohlcv.dtype) == (np.int64, np.int64, np.float64)
    assert starts.base is ends.base is ohlcv.base  # views of one block
    starts[:], ends[:], ohlcv[:] = 1, 2, 3.0  # no overlap: each keeps its values
    assert (starts.sum(), ends.sum(), ohlcv.sum()) == (12, 24, 180.0)
    again = bar_windows(3, 4, windows)
    assert all(a is b for a, b in zip(again, windows, strict=True))
    other = bar_windows(3, 5, windows)
    assert other[0].shape == (3, 5) and other[0].base is not starts.base


def test_the_gather_writes_each_columns_bar_at_each_step_from_the_first_row():
    fields = {name: np.arange(3.0) + k for k, name in enumerate(("open", "high", "low", "close", "volume"))}
    sub = SubscriptionData(Symbol("AAA"), "trade", np.array([1, 2, 3], dtype=np.int64),
                           np.array([11, 12, 13], dtype=np.int64), fields, np.ones(3))
    empty = SubscriptionData(Symbol("BBB"), "trade", np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64),
                             {name: np.empty(0) for name in fields}, np.empty(0))
    windows = bar_windows(2, 4)
    current = np.array([[-1, -1], [0, -1], [2, -1], [2, -1]], dtype=np.int32)  # steps x columns
    gather_bar_windows(windows, [sub, empty], current, [0, 1], 1)
    starts, ends, ohlcv = windows
    assert starts[0, 1:].tolist() == [1, 3, 3] and ends[0, 1:].tolist() == [11, 13, 13]
    assert ohlcv[0, 2].tolist() == [2.0, 3.0, 4.0, 5.0, 6.0]
    assert starts[1, 1:].tolist() == [0, 0, 0] and ohlcv[1, 1:].sum() == 0.0
