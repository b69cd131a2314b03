"""Saved programs for people: the listing (`harness programs`) and one program's prompt
(`harness programs show HASH`): per predictor its instructions and demos, plus the lineage."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from harness.store import Store


class PredictorView(BaseModel):
    name: str
    instructions: str
    demos: list[dict[str, Any]] = Field(default_factory=list)


class ProgramView(BaseModel):
    hash: str
    name: str
    base: str
    config: dict[str, Any] = Field(default_factory=dict)
    lineage: dict[str, Any] = Field(default_factory=dict)
    predictors: list[PredictorView] = Field(default_factory=list)
    tune_runs: list[dict[str, Any]] = Field(default_factory=list)
    created_at: str | None = None


def list_programs(store: Store) -> list[dict[str, Any]]:
    """Saved programs, newest first, with the optimiser, models, dev scores and cost that made them."""
    from harness.store.programs import list_tuned

    return list_tuned(store).to_dicts()


def predictors_of(state: dict[str, Any]) -> list[PredictorView]:
    """Predictors in a DSPy state dict: the entries holding a signature."""
    out = []
    for name, value in state.items():
        if isinstance(value, dict) and isinstance(value.get("signature"), dict):
            out.append(PredictorView(name=name, instructions=value["signature"].get("instructions", ""),
                                     demos=list(value.get("demos") or [])))
    return out


def show_program(store: Store, ref: str) -> ProgramView:
    """A saved program by hash, unique hash prefix (`saved:` optional) or name."""
    from harness.benchmark.programs import SAVED_PREFIX
    from harness.store import programs as sql

    ref = ref.removeprefix(SAVED_PREFIX)
    saved = sql.find_program(store, ref)
    runs = [{k: (str(v) if hasattr(v, "isoformat") else v) for k, v in r.items() if k != "options"}
            for r in sql.tune_runs_of(store, saved["hash"])]
    names = list(dict.fromkeys(r["name"] for r in runs if r.get("name")))
    name = ref if ref in names else ", ".join(names) or saved["name"]
    return ProgramView(hash=saved["hash"], name=name, base=saved["base"], config=saved["config"],
                       lineage=saved["lineage"], predictors=predictors_of(saved["state"]), tune_runs=runs,
                       created_at=str(saved["created_at"]) if saved["created_at"] else None)


def render_program(view: ProgramView) -> str:
    """Markdown: lineage summary, then each predictor's instructions and demos."""
    import json

    lin = view.lineage
    lines = [f"# {view.name} ({view.hash[:12]})", "", f"- base: {view.base}"]

    def num(x: Any) -> str:
        return "n/a" if x is None else f"{x:.3f}"

    if view.tune_runs:  # each tune that produced this program text, newest first
        lines += ["", f"## Tune runs ({len(view.tune_runs)})", "",
                  "| name | optimizer | budget | status | model | dev before | dev after | trials | cost | started |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        for r in view.tune_runs:
            lines.append(f"| {r.get('name') or '-'} | {r['optimizer']} | {r['budget']} | {r['status']} | "
                         f"{r['model']} | {num(r.get('dev_before'))} | {num(r.get('dev_after'))} | "
                         f"{r.get('trials')} | ${r.get('cost') or 0:.4f} | {str(r.get('started_at'))[:19]} |")
    elif lin:
        lines += [
            f"- tuned from: {lin.get('base_program')} with {lin.get('optimizer')} ({lin.get('budget')}), "
            f"status {lin.get('status')}",
            f"- models: task {lin.get('model')}, reflection {lin.get('reflection_model') or '-'}",
            f"- split: {lin.get('split', {}).get('name')} seed {lin.get('split', {}).get('seed')}; "
            f"train {lin.get('train_cases')}, dev {lin.get('dev_cases')} cases",
            f"- dev {lin.get('metric')}: {num(lin.get('dev_before'))} -> {num(lin.get('dev_after'))} "
            f"after {lin.get('trials')} trials",
            f"- cost: ${lin.get('cost', 0):.4f}, {lin.get('model_calls', 0)} model calls, "
            f"{lin.get('input_tokens', 0)} in / {lin.get('output_tokens', 0)} out tokens",
        ]
    for p in view.predictors:
        lines += ["", f"## {p.name}", "", "### Instructions", "", p.instructions.strip(), "",
                  f"### Demos ({len(p.demos)})"]
        for i, d in enumerate(p.demos, 1):
            lines += ["", f"#### Demo {i}" + (" (bootstrapped)" if d.get("augmented") else " (labeled)")]
            for k, v in d.items():
                if k == "augmented":
                    continue
                text = v if isinstance(v, str) else json.dumps(v, indent=1, ensure_ascii=False)
                if len(text) > 1200:
                    text = text[:1200] + f"\n... ({len(text) - 1200} more characters)"
                lines += [f"**{k}:**", "", "```", text, "```"]
    return "\n".join(lines) + "\n"
