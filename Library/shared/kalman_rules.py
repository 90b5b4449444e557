"""Trading rules of the Kalman mean-reversion strategy: entry, exit, stop and time stop.

One definition shared by the research notebook and the algorithm. Every rule is evaluated for all
assets at once (an "asset" is one pair's spread); only the walk over bars is a loop, because a
position depends on the previous one.

Inputs per bar ``t`` (known at ``t``'s close, nothing later is read):

* ``z_t``: the standardised innovation of the Kalman filter (``shared.kalman.zscore``), ~N(0, 1)
  when the model holds; negative means the price (or the spread) is below its forecast.
* ``mark_t``: a value whose change since the entry, times the position's sign, is the open trade's
  return (the algorithm passes the spread and sets no stop).

Rules on bar ``t``, in this order:

1. An open position is closed when any of these holds (``exit_reason`` names the first in this
   list that does):

   * stop (``STOP``): ``side * (mark_t - mark_at_entry) <= -stop_loss``;
   * time (``TIME``): ``bars_held_t >= max_holding``, ``bars_held`` counting bars since the entry
     bar (the entry bar is 0);
   * reversion (``REVERSION``): long and ``z_t >= -exit_z``, or short and ``z_t <= exit_z``.
     ``exit_z`` is the distance from the forecast inside which the deviation counts as reverted:
     0 exits at the forecast, 0.5 half a standard deviation before it, -0.5 half one past it.

2. An asset that is flat and did not close on this bar opens long when ``z_t < -entry_z`` and short
   when ``z_t > entry_z``.
3. After a stop or a time exit on a bar where ``|z|`` is still beyond ``entry_z``, the asset may not
   re-open on the same side until ``|z|`` has come back to ``entry_z`` or below: the signal that
   just failed would otherwise re-open the trade on the next bar and the stop would stop nothing.

NaN behaviour: a NaN ``z_t`` opens nothing and triggers no reversion exit; a NaN ``mark_t`` triggers
no stop (and an entry on a NaN mark is skipped, as its stop could never be evaluated). The time
stop counts every bar passed to :meth:`MeanReversionRules.step`, observed or not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "NONE",
    "REVERSION",
    "STOP",
    "TIME",
    "MeanReversionRules",
    "RulesResult",
    "mean_reversion_positions",
]

#: Exit reason codes (``exit_reason`` arrays, int8).
NONE, REVERSION, TIME, STOP = 0, 1, 2, 3


def _labels(frame: pd.DataFrame | pd.Series) -> dict[str, Any]:
    return {"columns": frame.columns} if isinstance(frame, pd.DataFrame) else {"name": frame.name}


class MeanReversionRules:
    """Incremental rules for ``n`` assets: one :meth:`step` per bar (module docstring).

    Parameters
    ----------
    n : int
        Number of assets.
    entry_z : float
        Open when ``|z|`` exceeds it, > 0 (standard deviations).
    exit_z : float
        Reversion exit level, < ``entry_z`` (standard deviations; see the module docstring).
    max_holding : int
        Close after this many bars in the trade; 0 disables the time stop.
    stop_loss : float
        Close when the trade has lost this much in mark units (a log return, 0.05 ~ 5%); 0 or
        ``inf`` disables the stop.

    Attributes
    ----------
    position : np.ndarray of int8, shape (n,)
        +1 long, -1 short, 0 flat, after the last step.
    bars_held : np.ndarray of int64
        Bars since the entry bar of the open position (0 when flat).
    entry_mark : np.ndarray of float64
        Mark at the entry bar (NaN when flat).
    """

    def __init__(self, n: int, entry_z: float, exit_z: float, max_holding: int = 0, stop_loss: float = 0.0):
        if not entry_z > 0:
            raise ValueError(f"entry_z must be > 0, got {entry_z}")
        if not exit_z < entry_z:
            raise ValueError(f"exit_z must be < entry_z, got exit_z={exit_z}, entry_z={entry_z}")
        if max_holding < 0:
            raise ValueError(f"max_holding must be >= 0, got {max_holding}")
        if not stop_loss >= 0:
            raise ValueError(f"stop_loss must be >= 0, got {stop_loss}")
        self.entry_z = float(entry_z)
        self.exit_z = float(exit_z)
        self.max_holding = int(max_holding)
        self.stop_loss = float(stop_loss) if stop_loss > 0 else np.inf
        self.position = np.zeros(n, dtype=np.int8)
        self.bars_held = np.zeros(n, dtype=np.int64)
        self.entry_mark = np.full(n, np.nan)
        # Side (+1/-1) an asset may not re-open after a stop or time exit, 0 when free.
        self._blocked = np.zeros(n, dtype=np.int8)

    def step(self, z: Any, mark: Any) -> tuple[np.ndarray, np.ndarray]:
        """Apply the rules to one bar.

        Parameters
        ----------
        z : array-like of shape (n,)
            Standardised innovations of this bar.
        mark : array-like of shape (n,)
            Marks of this bar (``mark_t`` in the module docstring).

        Returns
        -------
        position : np.ndarray of int8, shape (n,)
            Position to hold after this bar (a copy).
        exit_reason : np.ndarray of int8, shape (n,)
            Why a position was closed on this bar (``STOP``, ``TIME``, ``REVERSION``), else ``NONE``.
        """
        z = np.asarray(z, dtype=np.float64)
        mark = np.asarray(mark, dtype=np.float64)
        n = self.position.shape[0]
        if z.shape != (n,) or mark.shape != (n,):
            raise ValueError(f"z and mark must have shape ({n},), got {z.shape} and {mark.shape}")
        side = self.position
        held = side != 0
        self.bars_held[held] += 1

        with np.errstate(invalid="ignore"):
            stop = held & (side * (mark - self.entry_mark) <= -self.stop_loss)
            time_up = held & (self.max_holding > 0) & (self.bars_held >= self.max_holding)
            reverted = held & (((side > 0) & (z >= -self.exit_z)) | ((side < 0) & (z <= self.exit_z)))
        reason = np.full(n, NONE, dtype=np.int8)
        reason[reverted] = REVERSION
        reason[time_up] = TIME
        reason[stop] = STOP
        closing = reason != NONE

        with np.errstate(invalid="ignore"):
            inside_band = np.abs(z) <= self.entry_z
        self._blocked[inside_band] = 0
        failed = ((reason == STOP) | (reason == TIME)) & ~inside_band
        self._blocked[failed] = side[failed]

        with np.errstate(invalid="ignore"):
            want = np.where(z < -self.entry_z, 1, np.where(z > self.entry_z, -1, 0)).astype(np.int8)
        opening = ~held & (want != 0) & (want != self._blocked) & np.isfinite(mark)

        new = side.copy()
        new[closing] = 0
        new[opening] = want[opening]
        self.bars_held[closing] = 0
        self.entry_mark[closing] = np.nan
        self.entry_mark[opening] = mark[opening]
        self.position = new
        return new.copy(), reason


@dataclass(frozen=True)
class RulesResult:
    """Output of :func:`mean_reversion_positions`.

    Attributes
    ----------
    position : np.ndarray or pd.DataFrame of int8, shape (steps, assets)
        Position held after each bar's close (+1, -1, 0); it earns the next bar's return. A
        ``RulesResult`` built by hand from one column (1-D array or Series) works as well.
    exit_reason : same shape
        ``STOP``, ``TIME``, ``REVERSION`` on the bar a position was closed, else ``NONE``.
    """

    position: Any
    exit_reason: Any

    @property
    def entries(self) -> Any:
        """True on the bars a position was opened (from flat)."""
        p = np.asarray(self.position)
        prev = np.zeros_like(p)
        prev[1:] = p[:-1]
        return self._wrap((p != 0) & (prev == 0))

    @property
    def exits(self) -> Any:
        """True on the bars a position was closed."""
        return self._wrap(np.asarray(self.exit_reason) != NONE)

    def _wrap(self, values: np.ndarray) -> Any:
        if isinstance(self.position, pd.DataFrame | pd.Series):
            return self.position.__class__(values, index=self.position.index, **_labels(self.position))
        return values


def mean_reversion_positions(
    z: Any, mark: Any, entry_z: float, exit_z: float, max_holding: int = 0, stop_loss: float = 0.0
) -> RulesResult:
    """The rules over a whole history (batch form of :class:`MeanReversionRules`).

    Parameters
    ----------
    z, mark : pd.DataFrame or 2-D array, shape (steps, assets)
        Standardised innovations and marks; a DataFrame's labels are kept in the result.
    entry_z, exit_z, max_holding, stop_loss
        As in :class:`MeanReversionRules`.

    Returns
    -------
    RulesResult
        Row ``t`` depends on rows ``0..t`` only (the same numbers as stepping bar by bar).
    """
    z_ = np.asarray(z, dtype=np.float64)
    mark_ = np.asarray(mark, dtype=np.float64)
    if z_.ndim != 2 or z_.shape != mark_.shape:
        raise ValueError(f"z and mark must be 2-D of the same shape, got {z_.shape} and {mark_.shape}")
    rules = MeanReversionRules(z_.shape[1], entry_z, exit_z, max_holding, stop_loss)
    position = np.zeros(z_.shape, dtype=np.int8)
    reason = np.zeros(z_.shape, dtype=np.int8)
    for t in range(z_.shape[0]):
        position[t], reason[t] = rules.step(z_[t], mark_[t])
    if isinstance(z, pd.DataFrame):
        return RulesResult(
            pd.DataFrame(position, index=z.index, columns=z.columns),
            pd.DataFrame(reason, index=z.index, columns=z.columns),
        )
    return RulesResult(position, reason)
