"""LEAN's ``Execution`` framework modules, re-exported from ``lean_local.framework``."""
