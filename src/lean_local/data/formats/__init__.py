"""LEAN's data folder file formats: paths, validating readers, fast atomic writers.

This package is the one place that knows how LEAN lays out its data folder (see
``docs/data.md`` and the LEAN reference, section 4). Every reader returns pandas objects
indexed by a naive ``DatetimeIndex`` named ``date`` (the bar's date at 00:00 for daily files)
with float64 columns and prices in dollars (equity zips store price x 10,000).

Readers validate while parsing: a malformed row, a non-numeric value, an unsorted or duplicated
date or a negative price raises :class:`DataFormatError` naming the file and the 1-based line;
an unreadable zip raises it with line 0.

Writers are atomic (a temporary file in the same folder, then ``os.replace``) and write the
byte layout of LEAN's own files: equity/index/forex zips hold one ``<name>.csv`` without a
trailing newline, factor files have no trailing newline, map and coarse files end with one.

Modules, one per format: :mod:`.bars` (equity, index and forex daily zips), :mod:`.factor_files`,
:mod:`.intraday` (equity minute and hour zips), :mod:`.map_files`, :mod:`.coarse`, :mod:`.alternative` (CBOE's VIX csv, the interest rate) and
:mod:`.identifiers` (equity security identifiers); what they share: :mod:`.base` (the error,
constants, column names), :mod:`.paths`, :mod:`.raw` (bytes in and out), :mod:`.parsing` and
:mod:`.formatting`.
"""

# ``atomic_write`` is re-exported for callers that import it from here; it lives in lean_local.atomic.
from lean_local.atomic import atomic_write
from lean_local.data.formats.alternative import (
    read_cboe_csv,
    read_interest_rate,
    write_cboe_csv,
    write_interest_rate,
)
from lean_local.data.formats.bars import (
    read_equity_daily,
    read_forex_daily,
    read_index_daily,
    write_equity_daily,
    write_forex_daily,
    write_index_daily,
)
from lean_local.data.formats.base import (
    COARSE_COLUMNS,
    EQUITY_PRICE_SCALE,
    FACTOR_COLUMNS,
    FAR_FUTURE,
    INT64_LIMIT,
    QUOTE_COLUMNS,
    TRADE_COLUMNS,
    DataFormatError,
)
from lean_local.data.formats.coarse import (
    read_coarse,
    read_coarse_range,
    write_coarse,
)
from lean_local.data.formats.factor_files import (
    adjustment_factors,
    read_factor_file,
    write_factor_file,
)
from lean_local.data.formats.formatting import (
    date_to_yyyymmdd,
)
from lean_local.data.formats.identifiers import (
    equity_sid,
    parse_equity_sid,
)
from lean_local.data.formats.intraday import (
    equity_minute_path,
    read_equity_hour,
    read_equity_minute_quote,
    read_equity_minute_trade,
)
from lean_local.data.formats.map_files import (
    read_map_file,
    read_map_files,
    write_map_file,
)
from lean_local.data.formats.paths import (
    cboe_path,
    coarse_folder,
    coarse_path,
    equity_daily_path,
    equity_hour_path,
    factor_file_path,
    forex_daily_path,
    index_daily_path,
    index_option_daily_path,
    interest_rate_path,
    map_file_path,
    map_files_folder,
    market_hours_path,
    symbol_properties_path,
)
from lean_local.data.formats.raw import (
    DEFAULT_MAX_ENTRY_BYTES,
    max_entry_bytes,
    read_text,
    read_text_lines,
)

__all__ = [
    "COARSE_COLUMNS",
    "DEFAULT_MAX_ENTRY_BYTES",
    "DataFormatError",
    "EQUITY_PRICE_SCALE",
    "FACTOR_COLUMNS",
    "FAR_FUTURE",
    "INT64_LIMIT",
    "QUOTE_COLUMNS",
    "TRADE_COLUMNS",
    "adjustment_factors",
    "atomic_write",
    "cboe_path",
    "coarse_folder",
    "coarse_path",
    "date_to_yyyymmdd",
    "equity_daily_path",
    "equity_hour_path",
    "equity_minute_path",
    "equity_sid",
    "factor_file_path",
    "forex_daily_path",
    "index_daily_path",
    "index_option_daily_path",
    "interest_rate_path",
    "map_file_path",
    "map_files_folder",
    "market_hours_path",
    "max_entry_bytes",
    "parse_equity_sid",
    "read_cboe_csv",
    "read_coarse",
    "read_coarse_range",
    "read_equity_daily",
    "read_equity_hour",
    "read_equity_minute_quote",
    "read_equity_minute_trade",
    "read_factor_file",
    "read_forex_daily",
    "read_index_daily",
    "read_interest_rate",
    "read_map_file",
    "read_map_files",
    "read_text",
    "read_text_lines",
    "symbol_properties_path",
    "write_cboe_csv",
    "write_coarse",
    "write_equity_daily",
    "write_factor_file",
    "write_forex_daily",
    "write_index_daily",
    "write_interest_rate",
    "write_map_file",
]
