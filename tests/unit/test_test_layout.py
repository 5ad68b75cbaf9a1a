"""What one test directory shares with another lives in tests/support.

A test directory imports its own helpers and tests/support, and nothing imports a conftest or a
test module: fixtures come by name, from a conftest or from the tests/support plugins that
tests/conftest.py registers. A scan of every import keeps it so.
"""

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
SUPPORT = "support"


def imported_names(path: Path, root: Path = TESTS) -> list[str]:
    """The dotted name of everything `path` imports (`from a.b import c` gives `a.b.c`), with
    relative imports resolved against its package."""
    package = [root.name, *path.relative_to(root).parent.parts]
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = [*base, *([node.module] if node.module else [])]
            names.extend(".".join([*module, alias.name]) for alias in node.names)
    return names


def layout_problems(path: Path, root: Path = TESTS) -> list[str]:
    relative = path.relative_to(root)
    home = relative.parts[0] if len(relative.parts) > 1 else None
    problems: list[str] = []
    for name in imported_names(path, root):
        parts = name.split(".")
        if parts[0] != root.name or len(parts) < 2:
            continue
        if "conftest" in parts:
            problems.append(f"{relative} imports {name} from a conftest")
        elif any(part.startswith("test_") for part in parts):
            problems.append(f"{relative} imports {name} from a test module")
        elif parts[1] not in {SUPPORT, home} and (root / parts[1]).is_dir():
            problems.append(f"{relative} imports {name} from another test directory")
    return problems


def test_the_scan_sees_every_kind_of_import(tmp_path: Path) -> None:
    root = tmp_path / "tests"
    for directory in ("auth", "media", "support"):
        (root / directory).mkdir(parents=True)
    sample = root / "media" / "test_sample.py"
    sample.write_text(
        "from tests.auth.conftest import herald\n"
        "from tests.auth import test_tokens\n"
        "import tests.auth.world\n"
        "from . import conftest\n"
        "from .world import Library\n"
        "from tests.support.world import Herald\n"
        "from tests.media.world import Studio\n"
    )

    assert layout_problems(sample, root) == [
        "media/test_sample.py imports tests.auth.conftest.herald from a conftest",
        "media/test_sample.py imports tests.auth.test_tokens from a test module",
        "media/test_sample.py imports tests.auth.world from another test directory",
        "media/test_sample.py imports tests.media.conftest from a conftest",
    ]


def test_no_module_imports_a_conftest_a_test_module_or_another_test_directory() -> None:
    modules = sorted(TESTS.rglob("*.py"))

    assert [problem for path in modules for problem in layout_problems(path)] == []


def test_support_imports_no_test_directory() -> None:
    """tests/support serves every directory, so it depends on none of them."""
    outside = {
        name
        for path in (TESTS / SUPPORT).rglob("*.py")
        for name in imported_names(path)
        if name.startswith("tests.") and not name.startswith(f"tests.{SUPPORT}.")
    }

    assert outside == set()
