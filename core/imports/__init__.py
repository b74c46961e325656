"""Import and export of products, customers and prices as Excel (.xlsx) or CSV.

Imports read the whole file, validate every row through the same service
functions the API uses (``upsert_product``, ``upsert_customer``,
``set_tier_price``, ``set_customer_price``) inside one transaction, and report
every problem as ``{row, column, message}``. If any row is bad the caller rolls
the transaction back, so a file is imported completely or not at all.
Row numbers are the spreadsheet's (the header is row 1).

One module per domain (``products``, ``customers``, ``prices``: columns, how a row is applied,
how the kind is exported) on ``rows`` (the shared result, record and apply-each-row-with-progress
helper) and ``files`` (reading and writing spreadsheets); ``domains`` dispatches by kind and
``jobs`` runs large files in the background. The names below are the package's public face.
"""

from qudao.core.imports.domains import COLUMNS, DOMAINS, KINDS, export_rows, import_file, template_rows
from qudao.core.imports.files import FileError, read_rows, to_csv, to_xlsx
from qudao.core.imports.jobs import BACKGROUND_BYTES, queue_import, read_status, run_import_job, write_status
from qudao.core.imports.rows import ImportResult

__all__ = [
    "BACKGROUND_BYTES", "COLUMNS", "DOMAINS", "KINDS", "FileError", "ImportResult", "export_rows", "import_file",
    "queue_import", "read_rows", "read_status", "run_import_job", "template_rows", "to_csv", "to_xlsx",
    "write_status",
]
