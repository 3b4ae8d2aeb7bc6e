"""Where the official OpenSeeker-v1 judge prompt lives in a checkout of the official repository.

The prompt is prose this project does not ship: the ``openseeker-v1`` judge reads it from the user's copy
(``judge_prompt_source``: a text file, or the checkout) with :mod:`openseeker.prose`.
"""

from __future__ import annotations

from openseeker.prose import OfficialText, judge_messages

V1_JUDGE = OfficialText("eval/prompt.py", "JUDGE_PROMPT_BC_en")
V1_JUDGE_SYSTEM = "eval/eval.py"  # holds the {"role": "system", ...} message the official judge sends


def v1_judge_messages(source: str | None) -> tuple[str | None, str]:
    """``(system, user template)`` of the official v1 judge, read from ``source``."""
    return judge_messages(
        source, V1_JUDGE, V1_JUDGE_SYSTEM, what="the openseeker-v1 judge prompt", profile="openseeker-v1"
    )
