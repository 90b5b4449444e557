"""LEAN's ``Risk`` framework modules, re-exported from ``lean_local.framework``."""
