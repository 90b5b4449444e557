"""LEAN's ``Portfolio`` framework modules, re-exported from ``lean_local.framework``."""
