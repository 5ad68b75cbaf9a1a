"""Reading a CSV export back, to compare it with the same report's JSON answer.

The expectation is made from the JSON answer alone, by shape (docs/analytics.md#csv-export): each
object of the report is a row of the section its path names, with its scalar fields (and the
entries of its maps of numbers and lists of scalars, as `name.key` columns) as cells; an object
holding text or flags (best times' `fallback`) is a row of its own; an object whose values are
all objects (`by_platform`) holds keyed entries, each a row with its key in `key`.
"""

import csv
import io
from collections.abc import Iterator
from typing import Any

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def _scalar(value: Any) -> bool:
    return not isinstance(value, dict | list)


def _number(value: Any) -> bool:
    return value is None or (isinstance(value, int | float) and not isinstance(value, bool))


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _expected(node: dict[str, Any], path: str) -> Iterator[tuple[str, dict[str, str]]]:
    own: dict[str, str] = {}
    children = []
    for name, value in node.items():
        if _scalar(value):
            own[name] = _cell(value)
        elif isinstance(value, dict) and all(_number(v) for v in value.values()):
            own |= {f"{name}.{key}": _cell(item) for key, item in value.items()}
        elif isinstance(value, list) and all(_scalar(v) for v in value):
            own |= {f"{name}.{index}": _cell(item) for index, item in enumerate(value)}
        else:
            children.append((name, value))
    if own:
        yield path or "report", own
    for name, value in children:
        child = f"{path}.{name}" if path else name
        if isinstance(value, list):
            for item in value:
                yield from _expected(item, child)
        elif all(isinstance(v, dict) for v in value.values()):
            for key, item in value.items():
                for section, cells in _expected(item, child):
                    yield section, ({"key": key} | cells) if section == child else cells
        else:
            yield from _expected(value, child)


def _unescaped(cell: str) -> str:
    return cell[1:] if cell.startswith("'") and cell[1:2].startswith(FORMULA_TRIGGERS) else cell


def assert_csv_matches_json(text: str, report: dict[str, Any]) -> None:
    """Every object of the JSON report is a row of the CSV, in order, with the same values."""
    rows = csv_rows(text)
    expected = list(_expected(report, ""))
    assert [row["section"] for row in rows] == [section for section, _ in expected]
    for row, (section, cells) in zip(rows, expected, strict=True):
        assert {name: _unescaped(row[name]) for name in cells} == cells, section
