"""Deep-review report parser: markdown -> models.Report / models.AgentReview.

Public entry points: `parse_report`, `parse_review`; helpers others reuse: `parse_duration`,
`parse_findings_cell`, `parse_tool_calls`, `parse_transitions`, `parse_cell`, `parse_locations`,
`agent_family`.
"""

from harness.gold.parse.agents import agent_family
from harness.gold.parse.locations import parse_locations
from harness.gold.parse.report import parse_report
from harness.gold.parse.review import parse_review
from harness.gold.parse.values import (parse_cell, parse_duration, parse_findings_cell, parse_tool_calls,
                                  parse_transitions)

__all__ = ["parse_report", "parse_review", "parse_duration", "parse_findings_cell", "parse_tool_calls",
           "parse_transitions", "parse_cell", "parse_locations", "agent_family"]
