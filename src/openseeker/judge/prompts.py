"""Judge prompts, written for this project (English and Chinese), one set per judge style.

Every template takes ``{question}``, ``{gold}`` and ``{response}``. Bump :data:`PROMPT_VERSION` whenever
a template's wording changes: the version is stored in every verdict, so numbers from different prompt
versions are never silently mixed.
"""

from __future__ import annotations

PROMPT_VERSION = "v1"

SYSTEM = {
    "en": "You are a careful, impartial grader. You compare a predicted answer with a reference answer.",
    "zh": "你是一名严谨、公正的评分员，负责把预测答案与参考答案进行比对。",
}

# --- binary (OpenSeeker-style A/B) ---------------------------------------------------------------
BINARY = {
    "en": """Decide whether a predicted answer to a question agrees with the reference answer.

Rules:
- Only the meaning matters: wording, word order, capitalisation, romanisation or transliteration of names may differ.
- A prediction that hedges but clearly commits to the reference answer counts as agreeing.
- A prediction that offers several different candidate answers does not agree.
- If the reference is written as [[part one][part two]], every part must be present. Alternatives inside one
  pair of brackets, [[name one, name two]], are equivalent: either one is enough.
- A number agrees when it matches the reference to the precision the prediction states (for a reference of
  83.47, "83" and "83.5" agree; "80" does not).
- Refusals, evasions and answers that do not address the question do not agree.
- The prediction need not repeat details of the reference that the question does not ask for.
- Do not judge whether the reference itself is true; only compare.

Examples (question: "Which city hosted the 1992 Summer Olympics?", reference: "Barcelona"):
- "Barcelona" -> A
- "I believe it was Barcelona, Spain." -> A
- "Either Barcelona or Seoul." -> B
- "Madrid" -> B
- "I could not find it." -> B

Question: {question}
Reference answer: {gold}
Predicted answer: {response}

Reply with a single letter: A if the prediction agrees with the reference, B if it does not. Write nothing else.""",
    "zh": """请判断预测答案是否与参考答案一致。

规则：
- 只看含义：措辞、语序、大小写、人名的不同译法或拼写方式都可以不同。
- 预测虽有保留语气，但明确给出了参考答案，视为一致。
- 预测同时给出多个不同的候选答案，视为不一致。
- 参考答案写作 [[第一部分][第二部分]] 时，每一部分都必须出现；同一对括号内的 [[名称一, 名称二]] 互为等价，答出其一即可。
- 数字在预测所给出的精度上与参考答案相符即为一致（参考答案为 83.47 时，“83”和“83.5”一致，“80”不一致）。
- 拒答、回避或答非所问，视为不一致。
- 参考答案中超出问题要求的细节，预测不必重复。
- 不要评判参考答案本身是否正确，只做比对。

示例（问题：“1992 年夏季奥运会在哪座城市举办？”，参考答案：“巴塞罗那”）：
- “巴塞罗那” -> A
- “我认为是西班牙的巴塞罗那。” -> A
- “巴塞罗那或者首尔。” -> B
- “马德里” -> B
- “没有找到答案。” -> B

问题：{question}
参考答案：{gold}
预测答案：{response}

只回复一个字母：一致回复 A，不一致回复 B。不要写任何其他内容。""",
}

# --- browsecomp (extracted answer / reasoning / correct / confidence) ---------------------------
BROWSECOMP = {
    "en": """Grade a response to a question against its correct answer.

Question: {question}

Response: {response}

Correct answer: {gold}

Write exactly these four lines, in this order:
extracted_final_answer: the final answer the response commits to, copied exactly; write None if it gives none.
reasoning: in one or two sentences, the meaningful differences (if any) between extracted_final_answer and
the correct answer. Do not solve the question yourself and do not argue for another answer.
correct: yes if extracted_final_answer matches the correct answer (for numbers, within a small margin),
otherwise no (any inconsistency, ambiguity, non-equivalence or a wrong extraction means no).
confidence: the confidence between 0% and 100% that the response states for its answer; 100 if it states none.""",
    "zh": """请对照正确答案，为下面这个问题的回答评分。

问题：{question}

回答：{response}

正确答案：{gold}

请严格按以下顺序输出四行（字段名保持英文）：
extracted_final_answer: 回答最终给出的答案，原样摘录；若没有给出答案，写 None。
reasoning: 用一两句话说明 extracted_final_answer 与正确答案之间有意义的差异（如有）。不要自己解题，也不要论证其他答案。
correct: 若 extracted_final_answer 与正确答案一致（数值题允许很小的误差）写 yes，否则写 no（任何不一致、含糊、不等价或摘录错误都写 no）。
confidence: 回答中为其答案给出的置信度（0% 到 100%）；若未给出，写 100。""",
}

# --- xbench (Chinese judge: 最终答案 / 解释 / 结论) ----------------------------------------------
XBENCH = {
    "zh": """你是一名评分员。请根据标准答案判断下面的回答是否正确。

问题：{question}
标准答案：{gold}
回答：{response}

请按以下格式输出三行：
最终答案: 从回答中摘录的最终答案；若回答没有给出答案，写“无”
解释: 简要说明摘录的答案与标准答案是否等价、为什么
结论: 正确 或 错误（与标准答案含义一致则为“正确”，否则为“错误”）""",
    "en": """You are a grader. Decide from the reference answer whether the response below is correct.

Question: {question}
Reference answer: {gold}
Response: {response}

Write three lines in this format:
最终答案: the final answer copied from the response, or 无 if it gives none
解释: a short explanation of whether that answer is equivalent to the reference and why
结论: 正确 (correct) or 错误 (incorrect)""",
}

TEMPLATES: dict[str, dict[str, str]] = {"binary": BINARY, "browsecomp": BROWSECOMP, "xbench": XBENCH}


def render(style: str, lang: str, *, question: str, gold: str, response: str) -> list[dict[str, str]]:
    """The chat messages for one judge call."""
    if style not in TEMPLATES:
        raise ValueError(f"unknown judge style {style!r}; styles are {', '.join(TEMPLATES)}")
    lang = lang if lang in TEMPLATES[style] else "en"
    user = TEMPLATES[style][lang].format(question=question, gold=gold, response=response)
    return [{"role": "system", "content": SYSTEM.get(lang, SYSTEM["en"])}, {"role": "user", "content": user}]
