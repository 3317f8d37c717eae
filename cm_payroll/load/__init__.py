"""Stage 1 — load: find a month's input files and read them into all-text frames.

Every file becomes a `RawTable`: the columns renamed to their canonical English keys, every cell as
text (or null), and `_row` holding the row number as Excel (or a text editor) shows it, so that the
validator can point a clerk at the exact cell. Nothing here interprets values; validate.py does.
`load_month` (month.py) is the entry point of a month folder: every file read, then typed and
checked by validate.py.

What each reader guarantees (the one place this is written):

| file | reader | cells | hidden rows | dates | refused before allocation |
|---|---|---|---|---|---|
| .xlsx/.xlsm | calamine (fastexcel), after sheetscan.XlsxCells | text as Excel shows the value; a formula without a calculated value, a never-calculated workbook, a percentage in an amount column: errors | read, listed as a warning | serials by the workbook's system (date1904 → `RawTable.epoch`) | zip bombs (zipparts: real inflated bytes, CRC-32), a used range beyond max_cells/max_rows |
| .xls (BIFF8) | calamine, after biff8.XlsCells | as above (percent formats from FORMAT/XF records) | ROW fDyZero: a warning | DATEMODE | a used range (cell records and the declared DIMENSIONS) beyond the limits |
| .ods | calamine, after ods.OdsCells | as above (percentage value type or style) | table:visibility collapse/filter: a warning | the null date | zip bombs; the used range with repeated rows/columns expanded |
| .csv | Polars, as text (flat.csv_grid) | text as written; UTF-8 (BOM or not), else GBK/GB18030 | — | as written | the grid (lines × first line's fields) beyond the limits |
| .parquet | Polars (flat.parquet_table) | each column cast to text | — | as written | rows × columns from the metadata beyond the limits |

Every workbook sheet that is visible and holds the header continues the table (the same columns);
totals rows (合计/总计/小计/total/sum, full-width too) and blank rows are dropped, cells are
stripped (blank → null); at most max_errors_per_file issues a file (input_limits). What a reader
says while reading (calamine's log, native stderr) becomes an input warning, never raw output.
"""

from cm_payroll.load.common import DEFAULT_LIMITS, EXCEL_EXT, EXTENSIONS, RawTable, input_limits
from cm_payroll.load.month import load_month
from cm_payroll.load.read import find_file, read_table

__all__ = ["DEFAULT_LIMITS", "EXCEL_EXT", "EXTENSIONS", "RawTable", "find_file", "input_limits", "load_month",
           "read_table"]
