"""LEAN data folders: file formats, calendars, symbol properties and the ``lean-local data`` commands."""
