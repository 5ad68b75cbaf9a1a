"""Any report as one CSV table (docs/analytics.md#csv-export).

A report is a tree of models; a spreadsheet wants rows. `report_rows` walks the tree and makes a
row of every model in it, in the order of the JSON answer, each row naming its `section` (the
path of fields that leads to it: `days`, `current.by_platform`, `targets.series`):

- a scalar field is a column; a dict of scalars (`metrics`) is a column per key (`metrics.likes`)
  and a list of scalars (`retained`) a column per index (`retained.0`);
- a nested model, and each model of a list of models, is a row of its own section; each entry of
  a dict of models (`by_platform`) too, with the entry's key in the `key` column;
- a row also carries the scalar columns of the rows it sits in (a series point names its target's
  account and platform), its own values winning where names meet.

So a report needs no code of its own to export, and every value of the JSON answer is in the CSV,
written as the JSON answer writes it (times in RFC 3339, amounts as decimals).

Cells are written for spreadsheets that evaluate formulas (OWASP, "CSV Injection"): a text cell
starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading apostrophe, and every
text cell is quoted. Numbers are written as they are: `-24.90` is a refund, not a formula.
"""

import csv
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

SECTION = "section"
REPORT_SECTION = "report"  # the report's own scalar fields
ENTRY_KEY = "key"
# https://owasp.org/www-community/attacks/CSV_Injection
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

Cell = str | int | float | Decimal | None


@dataclass(frozen=True, slots=True)
class Row:
    section: str
    cells: dict[str, Cell]


def report_rows(report: BaseModel) -> Iterator[Row]:
    """The rows of a report, the report's own row first (when it has scalar fields)."""
    yield from _rows(report, report.model_dump(mode="json", by_alias=True), "", {})


def _is_scalar(value: Any) -> bool:
    return not isinstance(value, BaseModel | dict | list | tuple)


def _cell(value: Any, dumped: Any) -> Cell:
    """Numbers as numbers; anything else as its JSON text (a datetime as RFC 3339)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return value
    if dumped is None:
        return None
    return str(dumped)


def _rows(
    model: BaseModel, dumped: Mapping[str, Any], path: str, context: dict[str, Cell]
) -> Iterator[Row]:
    own: dict[str, Cell] = {}
    flattened: dict[str, Cell] = {}
    nested: list[tuple[str, Any, Any]] = []
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        column = field.serialization_alias or field.alias or name
        json_value = dumped[column]
        if _is_scalar(value):
            own[column] = _cell(value, json_value)
        elif isinstance(value, dict) and all(_is_scalar(v) for v in value.values()):
            for entry, item in value.items():
                flattened[f"{column}.{entry}"] = _cell(item, json_value[entry])
        elif isinstance(value, list | tuple) and all(_is_scalar(v) for v in value):
            for index, item in enumerate(value):
                flattened[f"{column}.{index}"] = _cell(item, json_value[index])
        else:
            nested.append((column, value, json_value))
    if own or flattened:
        yield Row(path or REPORT_SECTION, {**context, **own, **flattened})
    inherited = {**context, **own}
    for column, value, json_value in nested:
        child = f"{path}.{column}" if path else column
        if isinstance(value, BaseModel):
            yield from _rows(value, json_value, child, inherited)
        elif isinstance(value, dict):
            for entry, item in value.items():
                keyed = {**inherited, ENTRY_KEY: entry}
                yield from _rows(item, json_value[entry], child, keyed)
        else:
            for item, json_item in zip(value, json_value, strict=True):
                yield from _rows(item, json_item, child, inherited)


def neutralized(cell: Cell) -> Cell:
    """A text cell a spreadsheet shows as text, never runs as a formula."""
    if isinstance(cell, str) and cell.startswith(FORMULA_TRIGGERS):
        return "'" + cell
    return cell


def write_csv(rows: list[Row]) -> str:
    """The rows as CSV text (RFC 4180 line ends): a header of every column in the order first
    seen, `section` first, then a line per row."""
    columns: dict[str, None] = {SECTION: None}
    for row in rows:
        columns.update(dict.fromkeys(row.cells))
    out = io.StringIO()
    # QUOTE_STRINGS: text quoted, numbers bare, an absent value an empty field.
    writer = csv.writer(out, quoting=csv.QUOTE_STRINGS, lineterminator="\r\n")
    writer.writerow(neutralized(column) for column in columns)
    for row in rows:
        cells = {SECTION: row.section, **row.cells}
        writer.writerow(neutralized(cells.get(column)) for column in columns)
    return out.getvalue()
