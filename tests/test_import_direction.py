"""The one direction between ``benchmarks`` and ``tests`` (decision 0476): benchmarks use the test
support (``tests.fakes``, ``tests.factories``); only the tests of the benchmarks import ``benchmarks``."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUPPORT = ("tests.fakes", "tests.factories")


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def _is_under(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def test_benchmarks_import_only_the_test_support():
    wrong = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in (ROOT / "benchmarks").rglob("*.py")
        for name in _imports(path)
        if _is_under(name, "tests") and not any(_is_under(name, support) for support in SUPPORT)
    }
    assert not wrong


def test_only_the_tests_of_the_benchmarks_import_benchmarks():
    wrong = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in (ROOT / "tests").rglob("*.py")
        if not path.name.startswith("test_benchmark")
        for name in _imports(path)
        if _is_under(name, "benchmarks")
    }
    assert not wrong


def test_the_rules_see_the_imports_they_judge():
    assert "tests.fakes.sftp" in _imports(ROOT / "benchmarks" / "sftp_import.py")  # an import inside a function
    assert any(_is_under(name, "benchmarks") for name in _imports(ROOT / "tests" / "test_benchmark_harness.py"))


def test_enterprise_imports_nothing_of_consent_but_in_the_portal():
    """consent builds on enterprise; the demo seed reaches it through ``demo_enrollments_seeded``. The
    portal is the one screen over both apps."""
    wrong = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in (ROOT / "enterprise").rglob("*.py")
        if "portal" not in path.relative_to(ROOT / "enterprise").parts
        for name in _imports(path)
        if _is_under(name, "consent")
    }
    assert not wrong
