"""User defaults: `[tool.harness]` in pyproject.toml or a harness.toml, then HARNESS_* variables.

Flags beat both (the CLI hands these values to click as defaults). The files are looked for in
the current folder and then its parents; in one folder `harness.toml` (top-level keys) wins over
`pyproject.toml` (`[tool.harness]`). Sub-tables (`[tool.harness.cutoffs]`, `[cutoffs]` in
harness.toml) are read with `Config.section(name)`.

    [tool.harness]
    model = "openai/gpt-4.1-mini"
    api_base = "http://127.0.0.1:8000/v1"
    concurrency = 16
    weights = "critical=3,important=2,suggestion=1"   # or an inline table {critical = 3, ...}
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from harness.core.defaults import DEFAULT_CONCURRENCY
from harness.core.errors import HarnessError
from harness.core.weights import DEFAULT_WEIGHTS, format_weights, parse_weights

# key -> (type, built-in default, the commands and their option that take it)
KEYS: dict[str, tuple[type, Any, tuple[str, ...]]] = {
    "model": (str, None, ("bench", "tune")),
    "api_base": (str, None, ("bench", "tune", "score")),
    "split": (str, "test", ("bench",)),
    "concurrency": (int, DEFAULT_CONCURRENCY, ("bench", "tune")),
    "k": (int, 3, ("score",)),
    # severity weights of recall_weighted (the default scorer's `weights`), as --weights takes them
    "weights": (str, format_weights(DEFAULT_WEIGHTS), ("bench",)),
    "judge": (str, None, ("score",)),
    "metric": (str, "f1", ("gate",)),
    "max_drop": (float, 0.02, ("gate",)),
}


class ConfigError(HarnessError):
    """A config file or HARNESS_* variable that cannot be read."""


@dataclass(frozen=True)
class Setting:
    key: str
    value: Any
    source: str  # "default", "<file> [tool.harness]", "<file>", "env HARNESS_<KEY>"


@dataclass
class Config:
    settings: dict[str, Setting]
    sections: dict[str, dict[str, Any]] = field(default_factory=dict)
    file: Path | None = None

    def get(self, key: str, default: Any = None) -> Any:
        s = self.settings.get(key)
        return default if s is None or s.value is None else s.value

    def section(self, name: str) -> dict[str, Any]:
        return dict(self.sections.get(name, {}))

    def default_map(self) -> dict[str, dict[str, Any]]:
        """click's `default_map`: per command, the options a file or variable set."""
        out: dict[str, dict[str, Any]] = {}
        for key, s in self.settings.items():
            if s.source != "default" and s.value is not None:
                for command in KEYS[key][2]:
                    out.setdefault(command, {})[key] = s.value
        return out

    def rows(self) -> list[dict[str, Any]]:
        return [{"key": s.key, "value": s.value, "source": s.source} for s in self.settings.values()]


def _find_file(start: Path) -> tuple[Path, dict[str, Any]] | None:
    import tomllib

    for folder in (start, *start.parents):
        for name in ("harness.toml", "pyproject.toml"):
            path = folder / name
            if not path.is_file():
                continue
            try:
                doc = tomllib.loads(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
                raise ConfigError(f"cannot read {path}: {exc}") from None
            if name == "harness.toml":
                return path, doc
            table = doc.get("tool", {}).get("harness")
            if isinstance(table, dict):
                return path, table
    return None


def _coerce(key: str, value: Any, where: str) -> Any:
    kind = KEYS[key][0]
    if key == "weights":  # a string or a table, checked now, shown in the one spelling --weights takes
        try:
            return format_weights(parse_weights(value))
        except HarnessError as exc:
            raise ConfigError(f"{where}: {exc}", hint=exc.hint) from None
    if kind is str and isinstance(value, str):
        return value
    try:
        if kind is int and not isinstance(value, bool):
            return int(value)
        if kind is float and not isinstance(value, bool):
            return float(value)
    except (TypeError, ValueError):
        pass
    raise ConfigError(f"{where}: {key} must be {'a number' if kind is not str else 'a string'}, got {value!r}")


def load_config(cwd: str | Path | None = None, env: Mapping[str, str] | None = None) -> Config:
    env = os.environ if env is None else env
    settings = {k: Setting(k, default, "default") for k, (_, default, _) in KEYS.items()}
    sections: dict[str, dict[str, Any]] = {}
    found = _find_file(Path(cwd or Path.cwd()).resolve())
    path = None
    if found:
        path, table = found
        where = f"{path} [tool.harness]" if path.name == "pyproject.toml" else str(path)
        for key, value in table.items():
            if key in KEYS:
                settings[key] = Setting(key, _coerce(key, value, where), where)
            elif isinstance(value, dict):
                sections[key] = value
            else:
                raise ConfigError(f"{where}: unknown key {key!r}", hint=f"known: {', '.join(KEYS)}")
    for key in KEYS:
        var = f"HARNESS_{key.upper()}"
        if env.get(var):
            settings[key] = Setting(key, _coerce(key, env[var], var), f"env {var}")
    return Config(settings, sections, path)
