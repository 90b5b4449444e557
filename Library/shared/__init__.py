"""Signals library shared by the LEAN algorithms and the research notebooks.

Pure numpy/pandas/scipy/scikit-learn/statsmodels/pykalman code: it never imports LEAN, so the same
functions run in ``lean backtest``, QuantConnect Cloud, ``lean_local`` and notebooks.
"""
