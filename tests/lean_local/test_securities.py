"""The securities collection (lean_local.engine.securities.SecurityManager)."""

from __future__ import annotations

from types import SimpleNamespace

from lean_local.engine.common import Symbol
from lean_local.engine.securities import SecurityManager


def test_added_since_lists_each_security_once_in_the_order_added():
    securities = SecurityManager()
    aaa, bbb = SimpleNamespace(symbol=Symbol("AAA")), SimpleNamespace(symbol=Symbol("BBB"))
    securities._add(aaa)
    assert securities.added_since(0) == [aaa] and securities.added_since(1) == []
    securities._add(bbb)
    # the same symbol again (a security re-subscribed) is no new member of the collection
    securities._add(SimpleNamespace(symbol=Symbol("AAA")))
    assert securities.added_since(0) == [aaa, bbb] and securities.added_since(1) == [bbb]
    assert len(securities) == 2 and list(securities) == [Symbol("AAA"), Symbol("BBB")]
