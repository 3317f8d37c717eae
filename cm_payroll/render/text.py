"""Chinese text as the clerk reads it: full-width punctuation in Chinese sentences, and amounts of
money inside a text written as the money columns show them (thousands separators, two decimals).

The rulebooks write their explanations with ASCII punctuation ("仅发基础工资,不发营销绩效奖(S-Art.20)");
the writers of slips and of the exceptions report pass what the reader sees through `zh_text`, which
turns , ; : ( ) into ，；：（） where they stand in Chinese text, and leaves them alone in numbers
(1,234.56, 12:30), in article numbers (S-Art.8(4)) and in formulas (max(实际净收入, 0), (20% + 司龄 1%)).
"""

from __future__ import annotations

import functools
import re
from dataclasses import replace

FULL = {",": "，", ";": "；", ":": "：", "(": "（", ")": "）"}
_ASCII_PUNCT = re.compile(r"[,;:()]")
# an amount of money in a sentence: at least four integer digits without separators and exactly two
# decimals (59600.00, -1600.00); amounts already grouped (1,600.00), scores and dates are left alone
_BARE_AMOUNT = re.compile(r"(?<![0-9,.])(-?)([0-9]{4,})\.([0-9]{2})(?![0-9])")


def is_cjk(ch: str) -> bool:
    """A Chinese character or full-width punctuation (CJK blocks, full-width forms)."""
    if not ch:
        return False
    o = ord(ch)
    return 0x2E80 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF or 0xFF00 <= o <= 0xFFEF or 0x3000 <= o <= 0x303F


def _neighbour(s: str, i: int, step: int) -> str:
    """The first character from s[i] on in direction `step` that is not a space ("" at the end)."""
    while 0 <= i < len(s):
        if s[i] != " ":
            return s[i]
        i += step
    return ""


@functools.lru_cache(maxsize=65536)
def zh_punct(s: str) -> str:
    """, ; : ( ) as ，；：（） where they belong to Chinese text.

    - a ( opens a Chinese parenthesis when the character before it is Chinese, or the one after it is
      and the one before it is not a Latin letter (a function's "max(" keeps its ASCII parenthesis);
      its ) follows it; ASCII parentheses stay ASCII with everything inside them;
    - , ; : become full-width when the character before or after (spaces skipped) is Chinese, unless
      both sides are digits (1,234 and 12:30) or they stand inside an ASCII parenthesis;
    - one space after a full-width ，；： is dropped (the full-width mark carries its own space)."""
    if not _ASCII_PUNCT.search(s) or not any(is_cjk(ch) for ch in s):
        return s
    out: list[str] = []
    stack: list[bool] = []           # for each open parenthesis: was it made full-width?
    skip_space = False
    for i, ch in enumerate(s):
        if skip_space:
            skip_space = False
            if ch == " ":
                continue
        if ch == "(":
            before, after = (s[i - 1] if i else ""), (s[i + 1] if i + 1 < len(s) else "")
            full = (not stack or stack[-1]) and (
                is_cjk(before) or (is_cjk(after) and not (before.isascii() and before.isalpha())))
            stack.append(full)
            out.append(FULL[ch] if full else ch)
        elif ch == ")":
            full = stack.pop() if stack else False
            out.append(FULL[ch] if full else ch)
        elif ch in ",;:":
            before, after = _neighbour(s, i - 1, -1), _neighbour(s, i + 1, 1)
            numeric = (i and s[i - 1].isdigit()) and (i + 1 < len(s) and s[i + 1].isdigit())
            inside_ascii = bool(stack) and not stack[-1]
            if not numeric and not inside_ascii and (is_cjk(before) or is_cjk(after)
                                                     or before in "）" or after in "（"):
                out.append(FULL[ch])
                skip_space = True
            else:
                out.append(ch)
        else:
            out.append(ch)
    return "".join(out)


def _group(m: re.Match) -> str:
    sign, whole, cents = m.groups()
    return f"{sign}{int(whole):,}.{cents}"


def money_in_text(s: str) -> str:
    """Amounts written bare inside a sentence (-59600.00 元) as the money columns show them
    (-59,600.00 元)."""
    return _BARE_AMOUNT.sub(_group, s)


@functools.lru_cache(maxsize=65536)
def zh_text(s: str) -> str:
    """What a reader sees of a text of the rulebook: amounts grouped, Chinese punctuation."""
    return zh_punct(money_in_text(s))


def _maybe(value):
    return zh_text(value) if isinstance(value, str) else value


def slip_text(slip):
    """The slip with every text the manager reads passed through `zh_text` (labels, values, bases,
    notes, title); amounts, ids and articles are unchanged."""
    return replace(
        slip,
        title=_maybe(slip.title),
        facts=[(_maybe(k), _maybe(v)) for k, v in slip.facts],
        lines=[_line(ln) for ln in slip.lines],
        total=_line(slip.total),
        ytd=[(_maybe(k), _maybe(v)) for k, v in slip.ytd],
        notes=[_maybe(n) for n in slip.notes],
        withholding=[_line(ln) for ln in getattr(slip, "withholding", [])],
        net=_line(slip.net) if getattr(slip, "net", None) is not None else None,
    )


def _line(ln):
    return replace(ln, label=_maybe(ln.label), basis=_maybe(ln.basis))


__all__ = ["is_cjk", "money_in_text", "slip_text", "zh_punct", "zh_text"]
