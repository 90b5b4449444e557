"""LEAN's engine for daily (and US equity minute/hour) data: the algorithm API (``algorithm`` and its
mixins), securities and portfolio, orders and fills, the data feed and clock, universes, and the
backtest loop (``loop``, ``runner``). ``docs/ARCHITECTURE.md`` maps its modules.

Nothing is re-exported here: import from the module that defines a name.
"""
