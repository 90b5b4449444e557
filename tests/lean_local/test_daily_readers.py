"""LEAN's ``SecurityIdentifier`` strings of a run's securities (``lean_local.engine.daily_readers``)."""

from __future__ import annotations

from lean_local.engine.common import SecurityType, Symbol
from lean_local.engine.daily_readers import security_identifier, security_identifiers


def test_security_identifiers_take_the_map_files_first_ticker_and_date_or_leans_default_date(tmp_path):
    """SPY's map file starts on 1998-01-02: LEAN's ``SPY R735QTJ8XC9X``; a ticker without a map file and a
    forex pair take day 0 (usa market 1 x 100 + equity 1 = 101 = ``2T`` in base 36; oanda 3 x 100 + forex
    4 = 304 = ``8G``); a renamed equity takes its map file's first ticker."""
    map_files = tmp_path / "equity" / "usa" / "map_files"
    map_files.mkdir(parents=True)
    (map_files / "spy.csv").write_text("19980102,spy,P\n20501231,spy,P\n")
    (map_files / "new.csv").write_text("19980102,old,P\n20100104,new,P\n20501231,new,P\n")
    symbols = [Symbol("SPY"), Symbol("ZZZ"), Symbol("EURUSD", SecurityType.FOREX, "oanda"), Symbol("NEW")]
    identifiers = security_identifiers(tmp_path, symbols)
    assert identifiers == ["SPY R735QTJ8XC9X", "ZZZ 2T", "EURUSD 8G", "OLD R735QTJ8XC9X"]
    assert [security_identifier(tmp_path, symbol) for symbol in symbols] == identifiers
