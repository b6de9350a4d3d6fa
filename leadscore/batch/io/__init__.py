"""Reading lead and event rows, writing results and rejects.

Readers (``read_rows``) yield raw rows: :class:`Row` (line, column -> raw
value) or :class:`BadRow` (a row that could not be parsed).  Converting
values, checking ids and rejecting by content happen later; ``parse_id`` and
``id_problem`` carry INTERFACE.md section 3's id rules for that.
"""

from .readers import (
    FORMATS,
    PARQUET_EXTRA,
    BadRow,
    CsvLayout,
    DataError,
    ReadError,
    Row,
    WriteError,
    csv_layout,
    detect_format,
    id_problem,
    normalize_delimiter,
    parse_id,
    read_id,
    read_rows,
    sniff_delimiter,
)
from . import readers, rejects, writers
from .rejects import RejectsWriter, json_default
from .writers import CsvWriter, JsonlWriter, ParquetWriter, format_cell

# each module names what it exports once; the package exports all of it
__all__ = readers.__all__ + rejects.__all__ + writers.__all__
