"""A tiny gold set with a stored split, and a scripted model that rewards tuning, for tune tests.

The reports are the runner's synthetic ones (tests/runner_data.py): `rNNNN` has one gold
finding at src/mod_N.py:10-12 and a diff carrying `REPORT-ID rNNNN`. Split: r0000..r0003 train,
r0004 r0005 dev, r0006 test (TEST_MARKER: must never reach a model while tuning).

`respond(messages)` answers every prompt the optimisers send:
- a review (output field `findings`) is right - one finding at the gold location - only if the
  instructions contain MAGIC or the prompt carries demos; otherwise it cites the wrong place,
  so the base program scores 0 on dev and a tuned one can score 1;
- GEPA's reflection prompt (`new_instruction`) gets a new instruction containing MAGIC;
- any other DSPy signature (MIPROv2's proposer) gets MAGIC in every requested field.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from typing import Any

import runner_data
from harness.core.hashing import content_hash
from harness.core.runs import CallStats
from harness.store import Store

MAGIC = "Cite the exact new-side line range of every finding."
SPLIT = {"r0000": "train", "r0001": "train", "r0002": "train", "r0003": "train",
         "r0004": "dev", "r0005": "dev", "r0006": "test"}
TEST_MARKER = "REPORT-ID r0006"  # in the test report's diff: must never reach a model while tuning
_OUT_FIELD = re.compile(r"^\d+\. `(\w+)`", re.M)


def populate(st: Store) -> None:
    """The runner's synthetic reports (runner_data) plus a stored split over them."""
    from harness.store.inputs import put_split

    runner_data.populate(st, len(SPLIT))
    put_split(st, "default", 7, [0.6, 0.3, 0.1], content_hash(SPLIT),
              [(rid, f"pr:{1000 + int(rid[1:])}", s) for rid, s in sorted(SPLIT.items())])


def finding(rid: str, right: bool) -> dict:
    if right:
        return runner_data.finding_json(rid)[0]
    return {"severity": "suggestion", "title": "Rename variable for style", "path": f"src/other_{rid}.py",
            "line_start": 200, "line_end": 200, "body": "naming", "category": "style"}


def output_fields(system: str) -> list[str]:
    """Output field names as DSPy's adapters list them in the system message."""
    section = system.split("Your output fields are:", 1)[1].split("All interactions will be structured", 1)[0]
    return _OUT_FIELD.findall(section)


def answer(system: str, fields: dict[str, Any]) -> str:
    """In the adapter's format: JSONAdapter asks for a JSON object, ChatAdapter for [[ ## ]] blocks."""
    if "JSON object" in system:
        return json.dumps(fields)
    parts = [f"[[ ## {k} ## ]]\n{v if isinstance(v, str) else json.dumps(v)}\n" for k, v in fields.items()]
    return "\n".join(parts + ["[[ ## completed ## ]]"])


@dataclass
class Script:
    """The scripted model, with every prompt it saw."""

    prompts: list[str] = field(default_factory=list)
    reflections: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def respond(self, messages: list[dict]) -> str:
        text = "\n".join(str(m.get("content", "")) for m in messages)
        with self.lock:
            self.prompts.append(text)
        system = next((m["content"] for m in messages if m["role"] == "system"), "")
        if "Your output fields are:" not in system:
            return "I only answer DSPy adapter prompts."
        fields = output_fields(system)
        if "new_instruction" in fields:
            with self.lock:
                self.reflections.append(text)
        if "findings" in fields:
            rid = runner_data.report_id_in({"messages": messages[-1:]}) or "r0000"
            right = MAGIC in system or len(messages) > 2  # instructions learned, or demos shown
            return answer(system, {f: ("I read the diff." if f == "reasoning" else [finding(rid, right)])
                                   for f in fields})
        return answer(system, {f: f"Review the change for real defects. {MAGIC}" for f in fields})


class ScriptEngine:
    """A DSPy engine (the contract harness.lm uses) answering from a Script, counting usage."""

    def __init__(self, script: Script, usage: CallStats):
        self.script, self.usage = script, usage

    def complete(self, request: Any) -> Any:
        from dspy.lm15 import Message, Response, TextPart, Usage as LMUsage

        messages = []
        if request.system is not None:
            system = request.system if isinstance(request.system, str) else "".join(p.text for p in request.system)
            messages.append({"role": "system", "content": system})
        messages.extend({"role": m.role, "content": m.text or ""} for m in request.messages)
        out = self.script.respond(messages)
        with self.script.lock:
            self.usage.model_calls += 1
            self.usage.input_tokens += 100
            self.usage.output_tokens += 10
            self.usage.cost += 0.001
            self.usage.spent += 0.001
        return Response(id=None, model="scripted", message=Message.assistant([TextPart(out)]), finish_reason="stop",
                        usage=LMUsage(input_tokens=100, output_tokens=10, total_tokens=110))

    def stream(self, request: Any) -> Any:
        raise NotImplementedError

    def close(self) -> None:
        pass


def script_factory(script: Script):
    """An lm_factory for `harness.tune.tune`: scripted LMs, one usage counter per role."""
    import dspy

    def make(model: str, role: str):
        usage = CallStats()
        return dspy.LM(f"openai/{model}", engine=ScriptEngine(script, usage), cache=False, num_retries=0), usage

    return make
