"""One offline demo run shared by the report / compare / gate tests (it costs ~10 s, mostly imports)."""

from __future__ import annotations

import shutil
from pathlib import Path

_CACHE: dict[str, object] = {}


def demo_once(tmp_path_factory) -> "object":
    """The DemoResult of `run_demo` into a session temp folder (run once per session)."""
    if "demo" not in _CACHE:
        from harness.demo.pipeline import run_demo

        _CACHE["demo"] = run_demo(tmp_path_factory.mktemp("demo-out"))
    return _CACHE["demo"]


def replaced(demo) -> None:
    """A test re-ran the demo into the shared folder (new store, new run ids): share the new one."""
    _CACHE["demo"] = demo


def store_copy(demo, tmp_path: Path) -> Path:
    """A private copy of the demo's store, for tests that write to it."""
    dst = tmp_path / "demo.duckdb"
    shutil.copy(demo.db, dst)
    return dst


def run_ids(demo) -> tuple[str, dict[str, str]]:
    """(the program run id, agent -> replay run id)."""
    program = next(v for k, v in demo.runs.items() if not k.startswith("replay:"))
    return program, {k.split(":", 1)[1]: v for k, v in demo.runs.items() if k.startswith("replay:")}
