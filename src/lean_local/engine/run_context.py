"""``RunContext``: what the engine (runner, loop, record) reads and drives of one algorithm's run.

``QCAlgorithm``'s public names are LEAN's API, so the engine's side of an algorithm lives here instead:
the algorithm makes its context when it is made, hands it to the runner at the run's start
(``QCAlgorithm._attach_engine``), and keeps its own engine state in it (``self._run.warming_up``). The
runner, the loop and the record use only this object's public members and the algorithm's LEAN API.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lean_local.engine.fill_forward_resolution import FillForwardResolution

if TYPE_CHECKING:
    from lean_local.engine.exchange_hours import ExchangeHours
    from lean_local.engine.feed import DataFeed
    from lean_local.engine.securities import Security
    from lean_local.engine.subscription_data import SubscriptionData
    from lean_local.engine.universe import Universe, UserDefinedUniverse


class RunContext:
    """One algorithm's run as the engine sees it: the feed, the data folder, the phase of the run
    (initializing, warming up, running), the securities and universe changes waiting for the loop,
    and the algorithm's operations the loop calls at their place in a time step.

    Parameters
    ----------
    feed
        The algorithm's data feed (its clock and subscriptions).
    data_folder
        The LEAN data folder the run reads.
    exchange_hours
        A symbol's exchange hours (the market-hours database's entry).
    universes
        The algorithm's universes (the universe manager's list, read when called).
    activate, run_selection, end_empty_streams, remove_flat, update_consolidators, framework_for_run
        The algorithm's operations the loop calls (see the attributes of the same names).
    """

    def __init__(self, feed: DataFeed, data_folder: Path, *, exchange_hours: Callable[[Any], ExchangeHours],
                 universes: Callable[[], list[Universe]],
                 activate: Callable[[Security, SubscriptionData, int], None],
                 run_selection: Callable[[Universe, date], int],
                 end_empty_streams: Callable[[bool], None],
                 remove_flat: Callable[[], None],
                 update_consolidators: Callable[[Any], None],
                 framework_for_run: Callable[[], Any]) -> None:
        self.feed = feed
        self.data_folder = data_folder
        self.parameters: dict[str, str] = {}  # config.json's parameters (get_parameter)
        #: a symbol's exchange hours
        self.exchange_hours = exchange_hours
        self._universes = universes
        # the phase of the run
        self.initializing = False  # inside initialize()
        self.running = False  # the loop has started (set-up methods raise)
        self.warming_up = False
        self.warm_up: tuple[Any, Any] | None = None  # set_warm_up's (period or bar count, resolution)
        self.run_start: datetime | None = None  # the first time of the run (the warm-up's start)
        self.quit_requested = False  # quit() ends the run after the current step
        self.current_slice: Any = None  # the last slice given to on_data
        self.benchmark_hour_feed = False  # LEAN has added the benchmark's internal hour feed
        self.fill_forward_resolution = FillForwardResolution()
        # securities and changes waiting for the loop
        #: securities added before the run, with their subscriptions' loaders (the loop activates them)
        self.pending: list[tuple[Security, Callable[[], SubscriptionData]]] = []
        #: securities added and removed since on_securities_changed last ran
        self.pending_changes: tuple[list[Security], list[Security]] = ([], [])
        self.pending_removal: set[int] = set()  # columns to remove once their holdings are flat
        self.removed: set[int] = set()  # columns of removed securities
        #: universes LEAN restarts when the fill-forward resolution changes (the loop triggers them)
        self.universe_restarts: list[UserDefinedUniverse] = []
        #: subscriptions without data and whether they end before the next step's selections
        self.empty_streams: list[tuple[Security, SubscriptionData, Any, bool]] = []
        self.quoted_columns: list[int] = []  # minute equities' columns: the loop counts their quote bars
        # the algorithm's operations
        #: ``activate(security, data, visible_from_ns)``: a pending security's subscription joins the feed
        self.activate = activate
        #: ``run_selection(universe, day) -> data points``: a universe selects, its changes are applied
        self.run_selection = run_selection
        #: ``end_empty_streams(before_selections)``: subscriptions without data end
        self.end_empty_streams = end_empty_streams
        #: ``remove_flat()``: securities waiting for removal whose holdings are flat are removed
        self.remove_flat = remove_flat
        #: ``update_consolidators(slice)``: consolidators and volatility models take the step's data
        self.update_consolidators = update_consolidators
        #: ``framework_for_run() -> Framework | None``: the algorithm framework, when the algorithm uses it
        self.framework_for_run = framework_for_run

    @property
    def universes(self) -> list[Universe]:
        """The algorithm's universes."""
        return self._universes()
