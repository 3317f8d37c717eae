"""What `cm-payroll explain` shows of a securities parameter: the part of it that applies to this
manager (the whole value is in run.json). The rules in words, figures and inputs of each amount are
declared with its component (components.py)."""

from __future__ import annotations


def focus(name: str, value, row: dict):
    """The part of a parameter that applies to this manager (the whole value is in run.json)."""
    if name == "levels" and row.get("level"):
        return [lv for lv in value if lv.get("key") == row["level"]]
    if name == "commission":
        track = "advisor" if row.get("track") == "advisor" else "sales"
        return {"thresholds": value["thresholds"], track: value[track]}
    if name == "advisor_pay" and row.get("track") != "advisor":
        return "(理财类适用)"
    return value
