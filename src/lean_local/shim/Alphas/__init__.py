"""LEAN's ``Alphas`` framework modules, re-exported from ``lean_local.framework``."""
