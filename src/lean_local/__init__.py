"""lean_local: a pure-Python runtime for QuantConnect LEAN algorithms on daily data.

It runs the workspace's unmodified ``algorithms/*/main.py`` files, fills LEAN data folders, and
writes LEAN's result files. LEAN stays the production engine; this is the fast local test bed.
"""

__version__ = "0.1.0"
