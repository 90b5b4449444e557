"""Securities (lean_local.engine.securities): the collection and a security's fundamentals."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

from lean_local.conformance_fundamentals import LEAN_TEST_FUNDAMENTALS
from lean_local.engine import fundamental_data
from lean_local.engine.algorithm import QCAlgorithm
from lean_local.engine.common import Resolution, Symbol
from lean_local.engine.runner import run_algorithm
from lean_local.engine.securities import SecurityManager


def test_added_since_lists_each_security_once_in_the_order_added():
    securities = SecurityManager()
    aaa, bbb = SimpleNamespace(symbol=Symbol("AAA")), SimpleNamespace(symbol=Symbol("BBB"))
    securities.register(aaa)
    assert securities.added_since(0) == [aaa] and securities.added_since(1) == []
    securities.register(bbb)
    # the same symbol again (a security re-subscribed) is no new member of the collection
    securities.register(SimpleNamespace(symbol=Symbol("AAA")))
    assert securities.added_since(0) == [aaa, bbb] and securities.added_since(1) == [bbb]
    assert len(securities) == 2 and list(securities) == [Symbol("AAA"), Symbol("BBB")]


class _ReadsFundamentals(QCAlgorithm):
    def initialize(self):
        self.set_start_date(2014, 3, 25)
        self.set_end_date(2014, 3, 25)
        self.add_equity("AAPL", Resolution.DAILY)
        self.seen = []

    def on_data(self, data):
        f = self.securities["AAPL"].fundamentals
        self.seen.append((f.end_time, f.price, f.has_fundamental_data, f.market_cap,
                          f.company_profile.headquarter_city))


def test_a_securitys_fundamentals_are_of_its_local_time_from_the_provider_in_use(lean_data_folder):
    # LEAN's Security.Fundamentals: the coarse file of the day (AAPL 544.99 on 2014-03-25), the rest
    # from the provider: nothing with LEAN's default one, LEAN's test figures with its test provider
    algo, _, _ = run_algorithm(_ReadsFundamentals, lean_data_folder)
    assert algo.seen == [(datetime(2014, 3, 25, 16), 544.99, False, 0, None)]
    with fundamental_data.using(LEAN_TEST_FUNDAMENTALS):
        algo, _, _ = run_algorithm(_ReadsFundamentals, lean_data_folder)
    assert algo.seen == [(datetime(2014, 3, 25, 16), 544.99, True, 469_400_291_359, "Cupertino")]
