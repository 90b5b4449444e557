"""The batched alignment of a universe selection's additions and removals (``FeedPanel._align_many``,
``FeedPanel.deferred``) gives the arrays the per-column alignment (``FeedPanel.align``) gives."""

from __future__ import annotations

import contextlib

import numpy as np
import pytest

from lean_local.engine import feed_panel
from lean_local.engine.common import Symbol
from lean_local.engine.feed import FeedPanel
from lean_local.engine.subscription_data import SubscriptionData

DAY = 86_400 * 10**9
_write_alike = feed_panel.write_alike


def _subscription(rng: np.random.Generator, grid: np.ndarray, name: str) -> SubscriptionData:
    """Bars ending on a random subset of the grid's steps (some ending between steps, some before the
    grid starts), emitted at their ends and, filled forward, at random later steps."""
    if rng.random() < 0.1:
        empty = np.empty(0, dtype=np.int64)
        return SubscriptionData(Symbol(name), "trade", empty, empty,
                                {k: np.empty(0) for k in ("open", "high", "low", "close", "volume")}, np.empty(0))
    on_grid = grid[rng.random(len(grid)) < 0.6]
    off_grid = grid[rng.random(len(grid)) < 0.05] - DAY // 3
    early = grid[0] - DAY * np.arange(1, rng.integers(1, 6))
    end_time = np.unique(np.concatenate([on_grid, off_grid, early]))
    n = len(end_time)
    closes = rng.uniform(5, 50, n)
    fields = {"open": rng.uniform(5, 50, n), "high": closes + 2, "low": closes - 2, "close": closes,
              "volume": rng.uniform(0, 1e4, n)}
    sub = SubscriptionData(Symbol(name), "trade", end_time - DAY, end_time, fields, np.ones(n))
    forward = grid[rng.random(len(grid)) < 0.3]
    sub.emit_times = np.unique(np.concatenate([on_grid, forward]))
    return sub


def _alike(rng: np.random.Generator, sub: SubscriptionData, name: str) -> SubscriptionData:
    """A subscription with ``sub``'s bar and emission times (equal copies) and closes of its own."""
    n = len(sub)
    closes = rng.uniform(5, 50, n)
    fields = {"open": closes, "high": closes, "low": closes, "close": closes, "volume": rng.uniform(0, 1e4, n)}
    alike = SubscriptionData(Symbol(name), "trade", sub.time.copy(), sub.end_time.copy(), fields, np.ones(n))
    alike.emit_times = sub.emit_times.copy()
    return alike


def _panel(seed: int, columns: int = 40, steps: int = 60, alike: bool = False) -> FeedPanel:
    """A panel of random subscriptions; with ``alike``, many of them equal in their times (and
    their visibility) to the one before (six in ten) (they align alike, only their closes differ)."""
    rng = np.random.default_rng(seed)
    grid = np.cumsum(rng.integers(1, 3, steps)) * DAY + 1_600_000_000 * 10**9
    panel = FeedPanel()
    for c in range(columns):
        if alike and c and rng.random() < 0.6:
            panel.add(_alike(rng, panel.subs[-1], f"S{c}"), panel.visible_from[-1])
            continue
        panel.add(_subscription(rng, grid, f"S{c}"), int(rng.choice(grid)) if rng.random() < 0.5 else 0)
    panel.extra_times = grid
    panel.build(int(grid[0]), int(grid[-1]))
    for c in range(columns):
        if rng.random() < 0.4:  # frozen, some thawed later
            first = int(rng.integers(0, steps))
            end = int(rng.integers(first, steps + 5)) if rng.random() < 0.5 else 2**62
            panel.frozen[c] = (first, end, int(rng.integers(-1, len(panel.subs[c]))))
        if rng.random() < 0.3:  # seeded prices
            step = int(rng.integers(0, steps))
            panel.seeds[c] = (step, int(grid[step]) + int(rng.integers(-2, 2)) * DAY, float(rng.uniform(1, 9)))
    return panel


def _arrays(panel: FeedPanel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = len(panel.subs)
    return panel.current[:, :n].copy(), panel.emit[:, :n].copy(), panel.close[:, :n].copy()


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("window", [7, 512])
@pytest.mark.parametrize("alike", [False, True])
def test_aligning_many_columns_at_once_equals_aligning_each(seed, window, alike, monkeypatch):
    monkeypatch.setattr(FeedPanel, "WINDOW", window)
    monkeypatch.setattr(FeedPanel, "CELLS", 0)
    one, many = _panel(seed, alike=alike), _panel(seed, alike=alike)
    groups = []
    monkeypatch.setattr(feed_panel, "write_alike", lambda panel, subs, columns, *rest: groups.append(columns) or
                        _write_alike(panel, subs, columns, *rest))
    rng = np.random.default_rng(100 + seed)
    for base in (0, int(rng.integers(1, 50))):
        one.row(base)
        many.row(base)
        for from_step in (base, base + int(rng.integers(0, 10)), base + 70):
            columns = sorted(rng.choice(len(one.subs), size=int(rng.integers(1, len(one.subs))), replace=False))
            for column in columns:
                one.align(int(column), from_step)
            many._align_many([int(c) for c in columns], from_step)
            for a, b in zip(_arrays(one), _arrays(many), strict=True):
                np.testing.assert_array_equal(a, b)
    assert bool(groups) == alike  # the columns that align alike took their own path
    assert (_arrays(one)[1] == 2).any() and (_arrays(one)[1] == 1).any()  # real and filled-forward bars
    assert (_arrays(one)[0] == -1).any() and (_arrays(one)[0] >= 0).any()


def _act(panel: FeedPanel, what: str, column: int, step: int) -> float | None:
    """One change a selection makes at ``step`` (as ``DataFeed`` makes it), or a read of a close."""
    if what == "freeze":
        panel.freeze(column, step)
    elif what == "reattach":
        panel.settle(column)
        panel.visible_from[column] = int(panel.grid[step])
        panel.thaw_many([column], step - 1)
        assert panel.attach(column, step)
    elif what == "seed":
        panel.settle(column)
        panel.seeds[column] = (step, int(panel.grid[step]), 7.5)
        panel.align(column, step)
    else:
        return float(panel.close[panel.row(step), column])
    return None


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("alike", [False, True])
def test_a_deferred_selection_leaves_the_panel_as_immediate_alignment_does(seed, alike):
    """Freezes, thaws, re-attachments, seeds and reads in one deferred block, in random order."""
    immediate, deferred = _panel(seed, alike=alike), _panel(seed, alike=alike)
    rng = np.random.default_rng(200 + seed)
    for step in (3, 17, 40):
        immediate.row(step)
        deferred.row(step)
        actions = []
        for column in rng.permutation(len(immediate.subs))[:25]:
            actions.append((["freeze", "reattach", "seed", "read"][int(rng.integers(0, 4))], int(column)))
        actions += actions[:5]  # the same column twice in one block


        reads_now = [_act(immediate, what, column, step) for what, column in actions]
        with deferred.deferred():
            reads_later = [_act(deferred, what, column, step) for what, column in actions]
        assert reads_now == reads_later
        assert not deferred._pending
        for a, b in zip(_arrays(immediate), _arrays(deferred), strict=True):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("seed", range(6))
def test_a_day_removed_and_resumed_as_lists_leaves_the_panel_as_each_column_alone(seed):
    """``freeze_many`` and ``attach_many`` (a selection's removals and re-additions as lists, as
    ``DataFeed.remove_many`` and ``reattach_many`` make them) give the frozen bars and arrays of
    freezing and re-attaching each column in turn, deferred or not."""
    for deferring in (True, False):
        one, many = _panel(seed), _panel(seed)
        rng = np.random.default_rng(400 + seed)
        for step in (3, 17, 40):
            one.row(step)
            many.row(step)
            order = rng.permutation(len(one.subs)).tolist()
            removed, resumed = order[:12], order[12:24]
            with one.deferred() if deferring else contextlib.nullcontext():
                for column in removed:
                    one.freeze(column, step - 1)
                for column in resumed:
                    _act(one, "reattach", column, step)
            with many.deferred() if deferring else contextlib.nullcontext():
                many.freeze_many(removed, step - 1)
                for column in resumed:
                    many.visible_from[column] = int(many.grid[step])
                many.thaw_many(resumed, step - 1)
                assert many.attach_many(resumed, step)
            assert one.frozen == many.frozen
            assert [one.frozen[column][2] for column in removed] != [-1] * len(removed)
            for a, b in zip(_arrays(one), _arrays(many), strict=True):
                np.testing.assert_array_equal(a, b)


def test_attach_refuses_emission_times_off_the_grid():
    panel = _panel(0)
    sub = panel.subs[1]
    assert panel.attach(1, 5)
    sub.emit_times = np.union1d(sub.emit_times, [panel.grid[10] + 1])  # a time between two steps
    assert not panel.attach(1, 5)
    with panel.deferred():
        assert not panel.attach_many([2, 1, 3], 5)  # nothing attached: each alone instead
        assert not panel._pending
    assert panel.attach(1, 11)  # from a later step the time is past
    sub.emit_times = np.union1d(sub.emit_times, [panel.grid[-1] + DAY])  # after the end: not checked
    assert panel.attach(1, 11)


def _attach_one_a_step(cells: int) -> tuple[list[tuple[np.ndarray, ...]], list[tuple[int, int]]]:
    """A panel built with 4 columns that attaches one more at each of 60 steps (a universe adding
    securities), ``CELLS`` = ``cells``: each step's rows (current, emit, close) read after its attachment,
    and the window's (steps, width) then."""
    rng = np.random.default_rng(11)
    grid = np.cumsum(rng.integers(1, 3, 80)) * DAY + 1_600_000_000 * 10**9
    panel = FeedPanel()
    panel.WINDOW, panel.CELLS = 4, cells
    for c in range(4):
        panel.add(_subscription(rng, grid, f"S{c}"), 0)
    panel.extra_times = grid
    panel.build(int(grid[0]), int(grid[-1]))
    reads, windows = [], []
    for step in range(60):
        panel.row(step)
        column = panel.add(_subscription(rng, grid, f"S{step + 4}"), int(grid[step]))
        assert panel.attach(column, step)
        row, n = panel.row(step), len(panel.subs)
        reads.append((panel.current[row, :n].copy(), panel.emit[row, :n].copy(), panel.close[row, :n].copy()))
        windows.append(panel.current.shape)
    return reads, windows


def test_a_widening_panel_keeps_its_window_near_cells_cells():
    """Attachments that widen the panel shorten its window to about ``CELLS`` cells: a window sized for
    the first few columns made each later attachment align its column over all of the window's steps
    (the 3,000-name ML backtest's first window held its whole run: each day's new securities were aligned
    up to its end, a cost growing with the square of the years). The rows read are those of a panel that
    keeps ``WINDOW`` steps."""
    reads, windows = _attach_one_a_step(cells=400)
    assert windows[0] == (4, 8)  # the built window (400 cells // 8 columns: 50 steps) ended at the attachment
    assert all(steps <= max(4, 400 // width) for steps, width in windows)
    assert windows[-1][1] == 64 and windows[-1][0] <= 6
    reference, _ = _attach_one_a_step(cells=0)
    for ours, theirs in zip(reads, reference, strict=True):
        for a, b in zip(ours, theirs, strict=True):
            np.testing.assert_array_equal(a, b)
    assert any((emit == 2).any() for _, emit, _ in reads)


def test_a_window_near_an_attachment_holds_window_steps():
    """Each attachment aligns its column up to the window's end: the window in use ends after the
    attachment's step, one starting less than about ``CELLS`` cells' steps after it holds ``WINDOW``
    steps, a later one about ``CELLS`` cells."""
    rng = np.random.default_rng(12)
    grid = np.cumsum(rng.integers(1, 3, 300)) * DAY + 1_600_000_000 * 10**9
    panel = FeedPanel()
    panel.WINDOW, panel.CELLS = 4, 400
    for c in range(4):
        panel.add(_subscription(rng, grid, f"S{c}"), 0)
    panel.extra_times = grid
    panel.build(int(grid[0]), int(grid[-1]))
    assert (panel.base, len(panel.current)) == (0, 50)  # 400 cells // 8 columns
    column = panel.add(_subscription(rng, grid, "S4"), int(grid[10]))
    assert panel.attach(column, 10)
    assert (panel.base, len(panel.current)) == (0, 11)  # the window ends after the attachment's step
    panel.row(50)
    assert (panel.base, len(panel.current)) == (50, 4)  # 40 steps after the attachment
    panel.row(59)
    assert (panel.base, len(panel.current)) == (59, 4)  # 49 steps after
    panel.row(63)
    assert (panel.base, len(panel.current)) == (63, 50)  # 53 steps after


def _bars_read_one_by_one(panel: FeedPanel, step: int) -> list[tuple | None]:
    row = panel.row(step)
    bars: list[tuple | None] = []
    for column, sub in enumerate(panel.subs):
        i = int(panel.current[row, column])
        bars.append(None if i < 0 else (int(sub.time[i]), int(sub.end_time[i]), *sub.ohlcv[i].tolist()))
    return bars


def _fields_as_tuples(fields: tuple[np.ndarray, np.ndarray, np.ndarray]) -> list[tuple]:
    """``current_fields``' answer as one (start, end, open, high, low, close, volume) tuple per column."""
    starts, ends, ohlcv = fields
    return [(start, end, *values) for start, end, values in zip(starts.tolist(), ends.tolist(), ohlcv.tolist(),
                                                                 strict=True)]


@pytest.mark.parametrize("row_reads", [0, 3, 10**9])
@pytest.mark.parametrize("seed", range(4))
def test_current_bars_are_the_subscriptions_bars_through_every_change(seed, row_reads, monkeypatch):
    """``current_bars`` (read for the step asked, or gathered per column over the window and again when
    its alignment changed: each window's first ``ROW_READS`` calls are read for their step) reads what
    each column's subscription holds at its current bar, step after step, through window moves,
    freezes, re-attachments, seeds and a frozen column given other bars (a release)."""
    monkeypatch.setattr(FeedPanel, "WINDOW", 7)
    monkeypatch.setattr(FeedPanel, "CELLS", 0)
    monkeypatch.setattr(FeedPanel, "ROW_READS", row_reads)
    panel = _panel(seed)
    rng = np.random.default_rng(300 + seed)
    columns = np.arange(len(panel.subs))
    released: set[int] = set()  # frozen for good (the feed reads a released column's bars back to resume it)
    compared = 0
    for step in range(len(panel.grid)):
        if step and rng.random() < 0.3:
            with panel.deferred():
                for column in rng.permutation(len(panel.subs))[:6].tolist():
                    if column not in released:
                        _act(panel, ["freeze", "reattach", "seed"][int(rng.integers(0, 3))], column, step)
        frozen = [c for c, (first, end, index) in panel.frozen.items()
                  if first <= step and end == 2**62 and index >= 0 and c not in released]
        if frozen and rng.random() < 0.3:  # released: its frozen bar alone, now index 0 (other values here)
            column = frozen[0]
            released.add(column)
            sub, index = panel.subs[column], panel.frozen[column][2]
            keep = slice(index, index + 1)
            panel.refreeze(column, SubscriptionData(sub.symbol, "trade", sub.time[keep] + 1, sub.end_time[keep],
                                                    {k: v[keep] * 2 for k, v in sub.fields.items()},
                                                    sub.factor[keep]), 0, step)
        got = _fields_as_tuples(panel.current_fields(step, columns))
        starts, ends, opens, closes, volumes = panel.current_bars(step, columns)
        for column, expected in enumerate(_bars_read_one_by_one(panel, step)):
            if expected is not None:
                assert got[column] == expected
                assert (starts[column], ends[column], opens[column], closes[column], volumes[column]) == \
                    tuple(expected[i] for i in (0, 1, 2, 5, 6))
                compared += 1
    assert compared > 500


def test_current_fields_read_again_at_an_earlier_step_of_the_window(monkeypatch):
    """The windows are gathered from the step asked on (the clock asks no earlier one): asked at an
    earlier step of the window afterwards, a column's fields are gathered again from there."""
    monkeypatch.setattr(FeedPanel, "ROW_READS", 0)
    panel = _panel(7)
    columns = np.arange(len(panel.subs))
    late = _fields_as_tuples(panel.current_fields(30, columns))
    early = _fields_as_tuples(panel.current_fields(3, columns))
    assert len(panel.current) > 30 and panel.base == 0  # one window
    for step, got in ((30, late), (3, early), (30, _fields_as_tuples(panel.current_fields(30, columns)))):
        for column, expected in enumerate(_bars_read_one_by_one(panel, step)):
            if expected is not None:
                assert got[column] == expected
    assert early != late


def test_columns_frozen_over_the_whole_block_hold_their_bar_without_a_search():
    """``_align_held``: a column frozen over every step of the block shows its frozen bar's index and
    close (0 before any bar) and emits nothing; one frozen over part of the block, one seeded and one
    not frozen are left to the other paths."""
    grid = np.arange(1, 7, dtype=np.int64) * DAY
    panel = FeedPanel()
    for c in range(5):
        end_time = grid[:4] + c
        closes = np.array([10.0, 11.0, 12.0, 13.0]) + 10 * c
        fields = {"open": closes, "high": closes, "low": closes, "close": closes, "volume": np.ones(4)}
        panel.add(SubscriptionData(Symbol(f"S{c}"), "trade", end_time - DAY, end_time, fields, np.ones(4)), 0)
    panel.extra_times = grid
    panel.build(int(grid[0]), int(grid[-1]))
    panel.frozen.update({0: (1, 2**62, 2), 1: (0, 6, -1), 2: (3, 2**62, 1), 3: (1, 2**62, 2)})
    panel.seeds[3] = (1, int(grid[1]), 7.5)
    rows = slice(2, 6)
    assert panel._align_held([0, 1, 2, 3, 4], 2, 6, rows) == [2, 3, 4]
    np.testing.assert_array_equal(panel.current[rows, 0], [2, 2, 2, 2])
    np.testing.assert_array_equal(panel.close[rows, 0], [12.0] * 4)
    np.testing.assert_array_equal(panel.current[rows, 1], [-1] * 4)
    np.testing.assert_array_equal(panel.close[rows, 1], [0.0] * 4)
    assert not panel.emit[rows, :2].any()


def test_kinds_follow_each_columns_subscription():
    """``FeedPanel.kinds``: each column's subscription's kind, changed with the subscription (``replace``)."""
    panel = _panel(3, columns=3)
    assert panel.kinds == ["trade"] * 3
    sub = panel.subs[1]
    quotes = SubscriptionData(sub.symbol, "quote", sub.time, sub.end_time, dict(sub.fields), sub.factor)
    panel.replace(1, quotes)
    assert panel.kinds == ["trade", "quote", "trade"] and panel.subs[1] is quotes


def test_a_held_column_keeps_the_close_it_froze_with():
    """``freeze_many`` keeps each column's frozen bar and its close as the window shows them: ``_align_held``
    writes that close again without reading the subscription, unless the column's frozen bar changed since
    (then the subscription's close of the new bar)."""
    grid = np.arange(1, 7, dtype=np.int64) * DAY
    panel = FeedPanel()
    for c in range(2):
        closes = np.array([10.0, 11.0, 12.0, 13.0]) + 10 * c
        fields = {"open": closes, "high": closes, "low": closes, "close": closes, "volume": np.ones(4)}
        panel.add(SubscriptionData(Symbol(f"S{c}"), "trade", grid[:4] - DAY, grid[:4], fields, np.ones(4)), 0)
    panel.extra_times = grid
    panel.build(int(grid[0]), int(grid[-1]))
    panel.freeze_many([0, 1], 2)  # held from step 3 on at bar 2 (closes 12 and 22)
    assert panel.frozen == {0: (3, 2**62, 2), 1: (3, 2**62, 2)}
    panel.subs[0].fields["close"][:] = -1.0  # not read again
    panel.frozen[1] = (3, 2**62, 1)  # another bar: its close read, 21
    rows = slice(3, 6)
    assert panel._align_held([0, 1], 3, 6, rows) == []
    np.testing.assert_array_equal(panel.close[rows, 0], [12.0] * 3)
    np.testing.assert_array_equal(panel.close[rows, 1], [21.0] * 3)
    np.testing.assert_array_equal(panel.current[rows, :2], [[2, 1]] * 3)
    # given other bars (a release: its frozen bar alone, now index 0), the close of that bar
    sub = panel.subs[0]
    one = {name: np.array([50.0]) for name in ("open", "high", "low", "close", "volume")}
    panel.refreeze(0, SubscriptionData(sub.symbol, "trade", sub.time[2:3], sub.end_time[2:3], one, np.ones(1)), 0, 3)
    assert panel._align_held([0], 3, 6, rows) == []
    np.testing.assert_array_equal(panel.close[rows, 0], [50.0] * 3)
    np.testing.assert_array_equal(panel.current[rows, 0], [0] * 3)


@pytest.mark.parametrize("seed", range(6))
def test_a_window_move_writes_the_held_columns_that_differ_from_the_last_step(seed, monkeypatch):
    """A window starts as the last window's last step (``last_rows``) and a column held over it is
    written only where that differs from its frozen bar or its close: the arrays equal those of a panel
    whose new windows start from values no column holds (every held column written), window after
    window, through freezes, re-attachments, seeds and a held column's bars read again with other closes."""
    monkeypatch.setattr(FeedPanel, "WINDOW", 7)
    monkeypatch.setattr(FeedPanel, "CELLS", 0)
    kept, written = _panel(seed), _panel(seed)
    real_last_rows = feed_panel.last_rows
    moves = []

    def unlike_any(current, close, width):
        moves.append(width)
        index, price = real_last_rows(current, close, width)
        return np.full_like(index, 10**6), np.full_like(price, np.nan)

    rng = np.random.default_rng(400 + seed)
    for step in range(len(kept.grid)):
        actions = [(["freeze", "reattach", "seed"][int(rng.integers(0, 3))], int(column))
                   for column in rng.permutation(len(kept.subs))[:4]] if step and rng.random() < 0.3 else []
        for panel, starts in ((kept, real_last_rows), (written, unlike_any)):
            monkeypatch.setattr(feed_panel, "last_rows", starts)
            panel.row(step)
            with panel.deferred():
                for what, column in actions:
                    _act(panel, what, column, step)
            held = [c for c, (first, end, index) in sorted(panel.frozen.items()) if end == 2**62 and index >= 0]
            if held and step % 5 == 0:  # its bars read again with another close at its frozen bar: written
                sub = panel.subs[held[0]]
                panel.refreeze(held[0], SubscriptionData(sub.symbol, "trade", sub.time, sub.end_time,
                                                         {k: v * 2 for k, v in sub.fields.items()}, sub.factor),
                               panel.frozen[held[0]][2], step)
            panel.row(step)
        assert kept.base == written.base
        for a, b in zip(_arrays(kept), _arrays(written), strict=True):
            np.testing.assert_array_equal(a, b)
    assert len(moves) >= 5
    np.testing.assert_array_equal(real_last_rows(np.zeros((0, 0), dtype=np.int32), np.zeros((0, 0)), 3)[0], [-1] * 3)
