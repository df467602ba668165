"""core.chain (verification) imports core.audit (writing), never the reverse."""

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "core"


def _core_imports(name: str) -> set[str]:
    """The core modules ``core/<name>.py`` imports, at any depth of its code."""
    found = set()
    for node in ast.walk(ast.parse((CORE / f"{name}.py").read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1:
                found.add(node.module or "")
            elif (node.module or "").startswith("core."):
                found.add(node.module.removeprefix("core."))
        elif isinstance(node, ast.Import):
            found |= {
                alias.name.removeprefix("core.")
                for alias in node.names
                if alias.name.startswith("core.")
            }
    return found


def test_the_audit_module_does_not_import_the_chain_verification():
    assert "chain" not in _core_imports("audit")
    assert "audit" in _core_imports("chain")
