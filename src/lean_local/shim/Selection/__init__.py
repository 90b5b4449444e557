"""LEAN's ``Selection`` framework modules, re-exported from ``lean_local.framework``."""
