"""What each securities amount is made of, for `cm-payroll explain` (Catala-style traceability):
the rule in words with its article, the parameters it used, the figures of the month, and the
input files it came from."""

from __future__ import annotations

# key → (rule in words, article, parameters, figures [(label, pay column, kind)], input files)
EXPLAIN: dict[str, tuple[str, str, tuple[str, ...], tuple[tuple[str, str, str], ...], tuple[str, ...]]] = {
    "base_salary": (
        "基础工资按级别确定,各状态均发放;理财类不分级别", "S-Art.11, S-Art.20, S-Art.22",
        ("levels", "advisor_pay"),
        (("状态", "status", "status"), ("级别", "level", "level"), ("年化累计积分", "annualized_x100", "x100")),
        ("roster",)),
    "allowance": (
        "展业补贴按级别确定;待岗培训、待解除劳动合同、仅发基础工资期间不发放", "S-Art.12, S-Art.20",
        ("levels", "advisor_pay"),
        (("状态", "status", "status"), ("级别", "level", "level")),
        ("roster",)),
    "performance_bonus": (
        "营销绩效奖 = max(实际净收入, 0) × 计提比例;计提比例按年化累计积分查表,待岗/待解除15%,入职5年以上且年化积分"
        "低于200000分15%;业绩造假当月取消", "S-Art.13, S-Art.14 注, S-Art.20, S-Art.8(4), S-Art.36",
        ("commission", "standby_rate", "veteran"),
        (("实际净收入", "net_income", "money"), ("当月积分", "score", "score"), ("累计积分", "cum", "score"),
         ("窗口月数", "n", "int"), ("年化累计积分", "annualized_x100", "x100"), ("司龄", "tenure", "int"),
         ("表内比例", "table_rate", "rate"), ("计提比例", "rate", "rate"), ("业绩造假", "ev_fraud", "bool")),
        ("clients", "scores", "events")),
    "supervision_reward": (
        "绩效督导奖励 = 有效人力 × 每人奖励;有效人力为在岗且年化积分达到普通级的销售类督导对象", "S-Art.15, S-Art.20",
        ("supervision",),
        (("督导对象", "supervisees", "int"), ("有效人力", "effective_heads", "int"), ("状态", "status", "status")),
        ("roster",)),
    "compliance_reward": (
        "每月按 max(实际净收入,0) × 计提比例计提合规奖励金,12月发放;全年有违规、12月待解除或仅发基础工资、"
        "解除劳动合同时取消", "S-Art.16",
        ("compliance",),
        (("本月计提", "compliance_accrual", "money"), ("取消金额", "compliance_forfeited", "money"),
         ("余额", "reserve", "money")),
        ("clients", "events")),
    "year_end_bonus": (
        "年终奖 = 全年实际净收入 × (12月计提比例 + 司龄计提比例) − 全年营销绩效奖;小于等于0的在下一年度扣回;"
        "业绩造假月份的正净收入不计入全年实际净收入(当月营销绩效奖已取消,不补回)",
        "S-Art.14, S-Art.8(4)",
        ("year_end", "commission", "veteran"),
        (("本年实际净收入", "ytd_net_income", "money"), ("本年营销绩效奖", "ytd_performance_bonus", "money"),
         ("12月计提比例", "year_end_rate", "rate"), ("司龄计提比例", "tenure_rate", "rate"),
         ("不计入的业绩造假月份净收入", "ytd_fraud_excluded", "money"), ("计算结果", "year_end_y", "money")),
        ("clients",)),
    "other_reward": (
        "其他奖励按调整表发放;待岗培训、待解除劳动合同、仅发基础工资期间不发放", "S-Art.10, S-Art.20",
        (),
        (("调整表其他奖励", "other_reward_input", "money"), ("状态", "status", "status")),
        ("adjustments",)),
    "recovery": (
        "以前年度年终奖亏空从营销绩效奖中逐月扣回(不使其低于0),12月再从年终奖中扣回", "S-Art.14",
        ("year_end",),
        (("结转亏空(月末)", "deficit", "money"), ("本年新增亏空", "new_deficit", "money")),
        ()),
    "correction": (
        "补发/追回:调整表补发减扣款,加以前月份差错更正", "S-Art.33",
        (),
        (("调整表补发−扣款", "adjustment_correction", "money"), ("差错更正", "rerun_correction", "money")),
        ("adjustments",)),
}


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
