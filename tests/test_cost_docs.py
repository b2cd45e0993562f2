"""docs/cost.md prints both stacks' estimates; they are generated, and this keeps them equal to the code's."""

from __future__ import annotations

import pytest

from offline.cost.docs import DOC, END, START, replace, section, stack_section
from offline.plan import Plan


def test_the_printed_estimates_are_the_current_ones(staging_plan: Plan, production_plan: Plan) -> None:
    document = DOC.read_text(encoding="utf-8")
    expected = replace(document, section([staging_plan, production_plan]))
    assert document == expected, "docs/cost.md is stale: run `python -m offline.cost.docs`"


def test_each_stack_shows_its_footer_total_and_unpriced_lines(staging_plan: Plan) -> None:
    lines = stack_section(staging_plan)
    footer = next(line for line in lines if line.startswith("estimated monthly cost of app-platform/staging: $"))
    total = footer.split(": ", 1)[1].split(" ", 1)[0]
    assert f"**Total: {total} per month**" in "\n".join(lines)
    assert "#### By component" in lines and "### By resource" not in lines and "#### By resource" not in lines
    unpriced = int(footer.split("+ ", 1)[1].split(" ", 1)[0]) if "+ " in footer else 0
    assert sum(line.startswith("- ") for line in lines) == unpriced


@pytest.mark.parametrize("document", ["no markers", f"{START} only the start", f"only the end {END}"])
def test_a_page_without_both_markers_is_refused(document: str) -> None:
    with pytest.raises(ValueError, match="lost its markers"):
        replace(document, "x")
