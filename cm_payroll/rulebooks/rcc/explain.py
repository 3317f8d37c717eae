"""What each rcc amount is made of, for `cm-payroll explain`: the rule in words with its article, the
parameters it used, the figures of the month (from the pay frame of the ledger) and the input files
it came from."""

from __future__ import annotations

# key → (rule in words, article, parameters, figures [(label, pay column, kind)], input files)
EXPLAIN: dict[str, tuple[str, str, tuple[str, ...], tuple[tuple[str, str, str], ...], tuple[str, ...]]] = {
    "base_wage": (
        "客户经理实行工效挂钩的计酬方式,享受岗位责任工资", "R-Art.4",
        ("base_wage",),
        (("入职日期", "hire_date", "text"), ("司龄", "tenure", "int")),
        ("roster",)),
    "performance_wage": (
        "按月百分考核,依率计分:存款 40 × 日均/保底 + 收回 30 × 本月收回/本月到期应收(无到期按满分)+ 收息 20 × "
        "收息/目标(目标为0按满分)+ 行为 10 × 行为得分/10(无行为考核表按满分),上不封顶;业绩工资 = 标准 × 得分 / 100,"
        "按精确得分一次四舍五入到分;业绩造假当月取消",
        "Z-Art.16, Z-Art.18, R-Art.4, R-Art.41",
        ("assessment", "performance_wage", "deposit_targets"),
        (("百分考核得分", "score_x100", "x100"), ("存款得分", "points_deposits_x100", "x100"),
         ("收回得分", "points_recovery_x100", "x100"), ("收息得分", "points_interest_x100", "x100"),
         ("行为得分项", "points_conduct_x100", "x100"), ("日均余额", "deposit_avg", "money"),
         ("保底日均", "deposit_target_avg", "money"), ("本月到期应收", "due_sum", "money"),
         ("本月收回", "recovered_sum", "money"), ("本月收息", "interest_collected", "money"),
         ("收息目标", "interest_target", "money"), ("行为得分", "conduct_units", "score"),
         ("有行为考核表", "conduct_file", "bool"), ("按得分应发", "performance_wage_calc", "money"),
         ("业绩造假", "ev_fraud", "bool")),
        ("deposits", "targets", "loans", "conduct", "events")),
    "deposit_reward": (
        "完成存款保底余额积数目标,超保底余额存款按日均余额的3‰给予奖励;欠保底余额部分按3‰处罚;日均达标而积数未达标不奖不罚;"
        "无存款记录按0计", "Z-Art.11, Z-Art.19(2)(3)",
        ("deposit_targets", "deposit_rate"),
        (("日均余额", "deposit_avg", "money"), ("保底日均", "deposit_target_avg", "money"),
         ("积数", "deposit_accum", "money"), ("积数目标", "deposit_target_accum", "money"),
         ("日均达标", "deposit_avg_met", "bool"), ("积数达标", "deposit_accum_met", "bool"),
         ("无存款记录", "deposits_missing", "bool")),
        ("deposits", "targets")),
    "interest_reward": (
        "完成利息收入目标且当年贷款全部收回,超利息收入目标部分按7%奖励;欠利息收入目标部分按7%处罚;专责清收客户经理超目标部分不奖励",
        "Z-Art.12, Z-Art.19(2)(3), Z-Art.20",
        ("interest_rate",),
        (("本月收息", "interest_collected", "money"), ("收息目标", "interest_target", "money"),
         ("超(欠)目标", "interest_excess", "money"), ("专责清收", "dedicated_collection", "bool"),
         ("当年发放贷款逾期笔数", "overdue_this_year", "int")),
        ("loans", "targets", "roster")),
    "overdue_penalty": (
        "贷款到期未收回(到期日不晚于月末且余额大于0),首次逾期当月按未收回余额的1%逐笔处罚并承担本金赔偿责任;每笔贷款只罚一次",
        "Z-Art.19(3)",
        ("overdue_rate",),
        (("管户贷款笔数", "loans", "int"), ("逾期笔数", "loans_overdue", "int"), ("本月新逾期笔数", "overdue_new", "int"),
         ("新逾期余额", "overdue_new_outstanding", "money")),
        ("loans",)),
    "management_wage": (
        "每季度考核,结果与季度管理考核工资挂钩:标准 × 管理考核得分 / 100,季末月发放;季末考核表中无本人记录按0分",
        "R-Art.41",
        ("management_wage",),
        (("管理考核得分", "management_units", "score"), ("计发", "management_counted", "bool")),
        ("management",)),
    "other_reward": (
        "其他奖励按调整表发放", "Z-Art.21",
        (),
        (("调整表其他奖励", "other_reward_input", "money"),),
        ("adjustments",)),
    "correction": (
        "补发/追回:调整表补发减扣款,加以前月份差错更正", "SPEC 6",
        (),
        (("调整表补发−扣款", "adjustment_correction", "money"), ("差错更正", "rerun_correction", "money")),
        ("adjustments",)),
}
