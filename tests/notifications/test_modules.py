"""notifications/ has no import cycle: each module imports alone (issue 8.4)."""

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "notifications"
MODULES = sorted(
    ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    for path in PACKAGE.rglob("*.py")
    if "migrations" not in path.parts and path.name != "__init__.py"
)


def _imports(module: str) -> set[str]:
    """The notifications modules this one imports, at any depth of its code."""
    path = PACKAGE.parent.joinpath(*module.split(".")).with_suffix(".py")
    package = module.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = (
                    package.rsplit(".", node.level - 1)[0]
                    if node.level > 1
                    else package
                )
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            names = [f"{target}.{alias.name}" for alias in node.names]
            found.update(n for n in [target, *names] if n in MODULES)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in MODULES)
    return found - {module}


def test_the_modules_import_each_other_without_a_cycle():
    graph = {module: _imports(module) for module in MODULES}
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        if module in path:
            cycle = " -> ".join([*path[path.index(module) :], module])
            pytest.fail(f"import cycle: {cycle}")
        if module in done:
            return
        for imported in sorted(graph[module]):
            visit(imported, (*path, module))
        done.add(module)

    for module in MODULES:
        visit(module, ())
    assert {"notifications.notify", "notifications.delivery"} <= set(MODULES)
    assert "notifications.tasks" in graph["notifications.notify"]
    assert "notifications.notify" not in graph["notifications.tasks"]


@pytest.mark.parametrize("module", MODULES)
def test_each_module_imports_alone(module):
    code = (
        "import django, importlib; django.setup(set_prefix=False); "
        "import sys; [sys.modules.pop(m) for m in list(sys.modules) "
        "if m.startswith('notifications.') and 'migrations' not in m]; "
        f"importlib.import_module({module!r})"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=PACKAGE.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
