"""The engine is pure standard-library Python: importing it pulls in no web framework."""

import ast
import subprocess
import sys
from pathlib import Path

import playground.engine

ENGINE = Path(playground.engine.__file__).parent
FORBIDDEN = ("django", "channels", "daphne")


def test_importing_the_engine_loads_no_django_channels_or_daphne():
    code = (
        "import sys, json; import playground.engine; "
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})))"
    )
    root = ENGINE.parent.parent
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_engine_source_imports_only_the_standard_library_and_itself():
    allowed = set(sys.stdlib_module_names) | {"__future__"}
    for path in ENGINE.rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:  # relative import inside the engine
                    continue
                names = [node.module or ""]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                assert top not in FORBIDDEN, f"{path.name} imports {name}"
                assert top in allowed, f"{path.name} imports non-stdlib {name}"


def test_playground_package_init_is_empty():
    assert (ENGINE.parent / "__init__.py").read_text().strip() == ""
