"""The package's layers, read from its own imports, so the layering cannot silently decay.

The rules engine (the modules at the top of ``toolkit``) imports no wing; ``inputs`` imports
only the engine; ``finance`` and ``provisioning`` import the engine and never ``present``;
``workspace`` (the chain's one home) sits above them and below ``present`` and ``commands``;
``portfolio`` (many tenants, each with its review) sits above the workspace and ``present``;
nothing imports ``commands``.
``toolkit/__init__.py`` (the public facade, which loads its names lazily) stands outside the
rule. ``toolkit.sample`` (the bundled tenant's generator) is a tool at the level of
``commands``: it writes a tenant directory and reads it back through the workspace, as an
analyst would, and only ``commands`` and tests may import it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "toolkit"
WINGS = ("inputs", "finance", "provisioning", "workspace", "portfolio", "present", "commands")
#: What each layer may import, besides itself and the engine.
ALLOWED = {
    "engine": set(),
    "inputs": set(),
    "finance": set(),
    "provisioning": set(),
    "workspace": {"inputs", "finance", "provisioning"},
    "portfolio": {"inputs", "finance", "provisioning", "workspace", "present"},
    "present": {"inputs", "finance", "provisioning", "workspace"},
    "commands": {"inputs", "finance", "provisioning", "workspace", "portfolio", "present",
                 "sample"},
    "sample": {"inputs", "finance", "provisioning", "workspace", "present"},
}


def layer_of(module: str) -> str:
    """``toolkit.finance.costs`` → ``finance``; ``toolkit.model`` → ``engine``."""
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in WINGS:
        return parts[1]
    if len(parts) > 1 and parts[1] == "sample":
        return "sample"
    return "engine"


def module_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
    return ".".join(parts)


def imports_of(path: Path) -> list[tuple[int, str]]:
    """Every ``toolkit`` module the file imports, at any depth (lazy imports count too)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names
                      if node.module == "toolkit" or node.module.count(".") == 1]
    return [(line, name) for line, name in found if name.split(".")[0] == "toolkit"]


def violations() -> list[str]:
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        importer = module_name(path)
        if importer == "toolkit":
            continue  # the facade
        mine = layer_of(importer)
        for line, imported in imports_of(path):
            theirs = layer_of(imported)
            if imported == "toolkit" or theirs in ("engine", mine) or theirs in ALLOWED[mine]:
                continue
            wrong.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {mine} imports "
                         f"{imported} ({theirs})")
    return wrong


def test_imports_run_one_way():
    assert violations() == []


def test_facade_names_resolve():
    """Every public name the lazy facade promises can be imported."""
    import toolkit

    for name in toolkit.__all__:
        assert getattr(toolkit, name) is not None, name


@pytest.mark.parametrize("module, layer", [
    ("toolkit.model", "engine"), ("toolkit.inputs.usage", "inputs"),
    ("toolkit.present.plots", "present"), ("toolkit.sample", "sample"),
])
def test_layer_names(module, layer):
    assert layer_of(module) == layer


def test_facade_type_block_is_the_homes_table():
    """The facade's ``TYPE_CHECKING`` block is written from ``_HOMES`` (one line per name, in
    the table's order of modules): both must say the same, so a name added to one is in both."""
    import toolkit

    tree = ast.parse((PACKAGE / "__init__.py").read_text(encoding="utf-8"))
    block = next(node for node in tree.body if isinstance(node, ast.If))
    typed = {alias.name: node.module for node in block.body if isinstance(node, ast.ImportFrom)
             for alias in node.names}
    assert typed == toolkit._HOMES


#: The functions of SPEC §7 (the API reference is generated from their numpydoc sections).
CONTRACT = ["load_tenant", "primary_timeline", "ownership_timeline", "load_usage",
            "load_sessions", "load_users", "measure_sessions", "allocate", "validate",
            "load_webex_licenses", "load_webex_people", "chargeback", "load_agent_sessions",
            "load_ai_agent_sessions", "peak_contributors", "load_invoice", "check_invoice",
            "commitments"]


@pytest.mark.parametrize("name", CONTRACT)
def test_every_contract_function_documents_its_parameters_and_returns(name):
    import inspect

    import toolkit

    doc = inspect.getdoc(getattr(toolkit, name)) or ""
    assert "Parameters\n----------" in doc and "Returns\n-------" in doc, name
