"""Dependencies: what the application imports is pinned in requirements.txt (a runtime install
has it), what the tests import in requirements.txt or requirements-dev.txt."""

import ast
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The project's own packages, and the test modules one test imports from another.
LOCAL_MODULES = {"tracker", "tests", "wsgi"} | {path.stem for path in (ROOT / "tests").glob("*.py")}


def imported_top_level_modules(*paths: Path) -> set[str]:
    names = set()
    for path in paths:
        for source in [path] if path.is_file() else path.rglob("*.py"):
            for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - LOCAL_MODULES - {"__future__"}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pinned(*files: str) -> set[str]:
    names = set()
    for file in files:
        for line in (ROOT / file).read_text(encoding="utf-8").splitlines():
            match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==", line)
            if match:
                names.add(canonical(match.group(1)))
    return names


def distributions_missing(modules: set[str], pins: set[str]) -> dict[str, list[str]]:
    providers = packages_distributions()
    missing = {}
    for module in sorted(modules):
        distributions = [canonical(name) for name in providers.get(module, [module])]
        if not pins & set(distributions):
            missing[module] = distributions
    return missing


def test_the_application_imports_only_runtime_requirements():
    modules = imported_top_level_modules(ROOT / "tracker", ROOT / "migrations", ROOT / "wsgi.py")
    assert {"flask", "sqlalchemy", "icalendar"} <= modules
    assert distributions_missing(modules, pinned("requirements.txt")) == {}


def test_tests_and_benchmarks_import_only_pinned_requirements():
    modules = imported_top_level_modules(ROOT / "tests", ROOT / "bench")
    assert {"pytest", "recurring_ical_events"} <= modules
    pins = pinned("requirements.txt", "requirements-dev.txt")
    assert distributions_missing(modules, pins) == {}


def test_test_tools_are_not_runtime_requirements():
    runtime = pinned("requirements.txt")
    assert not {"pytest", "ruff", "playwright", "hypothesis", "recurring-ical-events"} & runtime
