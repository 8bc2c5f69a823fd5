"""The runtime package imports, runs and ships without any training code or PyTorch."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import livecam

PACKAGE = Path(livecam.__file__).resolve().parent
TRAINING = ("torch", "torch_pruning", "onnx", "livecam_train")


def test_no_runtime_module_imports_training_code():
    found = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            found += [f"{path.relative_to(PACKAGE)}: {n}" for n in names
                      if n.split(".")[0] in TRAINING and "cli.py" not in path.name]
    assert found == []


def test_the_runtime_runs_with_torch_and_the_training_package_unimportable(tmp_path):
    # a fresh interpreter in which importing any training module fails, as on a machine with
    # only the runtime wheel: every runtime module imports and a stream runs end to end
    script = textwrap.dedent(f"""
        import importlib, pkgutil, sys
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in {TRAINING!r}:
                    raise ImportError("blocked: " + name)
        sys.meta_path.insert(0, Block())
        import livecam
        for info in pkgutil.walk_packages(livecam.__path__, "livecam."):
            if not info.name.endswith("__main__"):
                importlib.import_module(info.name)
        from livecam.cli import main
        code = main(["run", "--source", "demo", "--preset", "fairy-tale", "--sink", "null",
                     "--max-frames", "3", "--no-control", "--no-hotkeys"])
        assert code == 0, code
        assert not [m for m in sys.modules if m.split(".")[0] in {TRAINING!r}]
        assert main(["train", "stylizer"]) == 2   # says what to install instead
        print("ok")
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().endswith("ok")
    assert "livecam-train" in done.stderr
