"""The deduction lines of a slip (代扣项目) and the columns of the summary, each declared once (SPEC 9):
key, Chinese label, article, the tax parameters and the input file it reads, the figures that explain
it and the slip line's basis written from the month's own figures (the `tax_*` trace columns that
apply.py puts beside the pay). The summary headers, the slip lines under 代扣项目 and the `explain`
branches of the tax are drawn from these declarations, as the pay rulebooks' components are.

A row here is one manager's row of the pay frame of a month with a deductions file (`net_pay` not
null); without one the pay frame has none of these columns and nothing is shown.
"""

from __future__ import annotations

from cm_payroll.render.slips import SlipLine
from cm_payroll.rulebooks.base import Component, Figure
from cm_payroll.units import rate, yuan

DED = "扣缴文件 deductions"
# Articles as the slip's narrow 条款 column shows them (explain gives the parameters' full sources).
MONTHLY_ARTICLE = "个人所得税法第六条"
CUMULATIVE_ARTICLE = "公告2018年第61号"
BONUS_ARTICLE = {"monthly": "国税发〔2005〕9号", "cumulative": "财税〔2018〕164号"}


def _social(r: dict, _p, _m: int) -> str:
    return (f"养老 {yuan(r['ded_pension_insurance'])} + 医疗 {yuan(r['ded_medical_insurance'])} + "
            f"失业 {yuan(r['ded_unemployment_insurance'])}(个人缴纳,税前扣除)")


def _fund(_r: dict, _p, _m: int) -> str:
    return "住房公积金个人缴存额(税前扣除)"


def _bracket(no, upto) -> str:
    if no is None:
        return ""
    return f"第{no + 1}级(≤{yuan(upto)})" if upto is not None else f"第{no + 1}级(最高级)"


def _income_tax(r: dict, _p, _m: int) -> str:
    rq = f"{_bracket(r['tax_bracket'], r['tax_bracket_upto'])} {rate(r['tax_rate'])} − 速算 {yuan(r['tax_quick'])}"
    if r.get("tax_regime") == "cumulative":
        basic = "全年6万" if r.get("tax_full_year_applied") else f"{r['tax_months_employed']}个月"
        return (f"累计收入 {yuan(r['tax_cum_income'])} − 减除费用 {yuan(r['tax_basic_applied'])}({basic}) − 专项 "
                f"{yuan(r['tax_cum_special'])} − 专项附加 {yuan(r['tax_cum_special_additional'])} = "
                f"{yuan(r['tax_taxable'])};{rq} = {yuan(r['tax_tax_due'])};减已预扣 "
                f"{yuan(r['tax_withheld_before'])}")
    return (f"工资 {yuan(r['tax_wages'])} − 专项扣除 {yuan(r['tax_insurances'])} − 减除费用 "
            f"{yuan(r['tax_basic_applied'])} = {yuan(r['tax_taxable'])};{rq}")


def _bonus_tax(r: dict, _p, _m: int) -> str:
    if not r.get("tax_bonus_apart"):
        return "本月无单独计税的全年一次性奖金"
    short = r["tax_bonus_shortfall"] or 0
    b = r["tax_bonus_base"]
    base = f"({yuan(r['tax_taxed_bonus'])} − 工资不足减除费用 {yuan(short)})" if short else yuan(b)
    return (f"{base} ÷ 12 = {yuan((b * 2 + 12) // 24)},{_bracket(r['tax_bonus_bracket'], r['tax_bonus_upto'])};"
            f"{yuan(b)} × {rate(r['tax_bonus_rate'])} − 速算 {yuan(r['tax_bonus_quick'])}")


def _other(_r: dict, _p, _m: int) -> str:
    return "不减少应纳税所得额"


def _carried(r: dict, _p, _m: int) -> str:
    return "上月实发为负,差额本月扣除" if r["carried_deduction"] else ""


def _net(r: dict, _p, _m: int) -> str:
    deducted = sum(r[k] for k in ("social_insurance", "housing_fund", "income_tax", "bonus_tax", "other_deduction",
                                  "carried_deduction"))
    text = f"应发合计 {yuan(r['gross_pay'])} − 代扣 {yuan(deducted)}"
    if r.get("carry_forward"):
        text += f";为负,实发 0.00,{yuan(r['carry_forward'])} 结转下月"
    return text


WAGE_PARAMS = ("regime", "basic_deduction", "monthly_brackets", "annual_brackets", "full_year_deduction")

TAX_COMPONENTS: tuple[Component, ...] = (
    Component("social_insurance", "社保个人", "SPEC 9", inputs=("deductions",),
              figures=(Figure("养老保险", "ded_pension_insurance", "money"),
                       Figure("医疗保险", "ded_medical_insurance", "money"),
                       Figure("失业保险", "ded_unemployment_insurance", "money")),
              rule=lambda p: "社保个人 = 养老保险 + 医疗保险 + 失业保险(个人缴纳部分),税前扣除", basis=_social),
    Component("housing_fund", "公积金个人", "SPEC 9", inputs=("deductions",),
              figures=(Figure("住房公积金", "ded_housing_fund", "money"),),
              rule=lambda p: "公积金个人 = 住房公积金个人缴存额,税前扣除", basis=_fund),
    Component("income_tax", "个人所得税", CUMULATIVE_ARTICLE, params=WAGE_PARAMS, inputs=("deductions",),
              figures=(Figure("计税方法", "tax_regime", "text"), Figure("工资薪金", "tax_wages", "money"),
                       Figure("专项扣除(社保+公积金)", "tax_insurances", "money"),
                       Figure("专项附加扣除", "tax_special_additional", "money"),
                       Figure("减除费用", "tax_basic_applied", "money"),
                       Figure("应纳税所得额", "tax_taxable", "money"),
                       Figure("级数(从0起)", "tax_bracket", "int"), Figure("级距上限", "tax_bracket_upto", "money"),
                       Figure("税率", "tax_rate", "rate"), Figure("速算扣除数", "tax_quick", "money"),
                       Figure("应纳税额", "tax_tax_due", "money"),
                       Figure("累计已预扣税额", "tax_withheld_before", "money"),
                       Figure("任职受雇月份数", "tax_months_employed", "int"),
                       Figure("累计收入", "tax_cum_income", "money"),
                       Figure("累计专项扣除", "tax_cum_special", "money"),
                       Figure("累计专项附加扣除", "tax_cum_special_additional", "money"),
                       Figure("累计减除费用", "tax_cum_basic", "money")),
              rule=lambda p: "工资薪金所得预扣预缴:2019年前按月计税(应纳税所得额 × 税率 − 速算扣除数);"
                             "2019年起累计预扣法(累计应纳税额 − 累计已预扣税额)",
              basis=_income_tax),
    Component("bonus_tax", "年终奖个税", "国税发〔2005〕9号", params=("bonus_separate", "monthly_brackets"),
              figures=(Figure("单独计税年终奖", "tax_taxed_bonus", "money"),
                       Figure("单独计税", "tax_bonus_apart", "bool"),
                       Figure("工资不足减除费用的差额", "tax_bonus_shortfall", "money"),
                       Figure("计税额", "tax_bonus_base", "money"),
                       Figure("级数(从0起)", "tax_bonus_bracket", "int"),
                       Figure("级距上限(月)", "tax_bonus_upto", "money"),
                       Figure("税率", "tax_bonus_rate", "rate"), Figure("速算扣除数", "tax_bonus_quick", "money")),
              rule=lambda p: "全年一次性奖金单独计税:计税额 ÷ 12 确定税率和速算扣除数,税额 = 计税额 × 税率 − 速算扣除数",
              basis=_bonus_tax),
    Component("other_deduction", "其他扣款", "SPEC 9", inputs=("deductions",),
              figures=(Figure("其他扣款", "ded_other_deduction", "money"),),
              rule=lambda p: "其他扣款从实发中扣除,不减少应纳税所得额", basis=_other),
    Component("carried_deduction", "上月结转扣款", "SPEC 9",
              rule=lambda p: "上月实发合计为负时,差额结转本月扣除", basis=_carried),
    Component("net_pay", "实发合计", "SPEC 9",
              rule=lambda p: "实发合计 = 应发合计 − 各代扣项目,为负时按 0.00 发放并结转下月", basis=_net),
)
DEDUCTION_COMPONENTS = TAX_COMPONENTS[:-1]


def has_tax(pay_columns) -> bool:
    """The month was taxed (a deductions file): its pay frame has the net pay."""
    return "net_pay" in pay_columns


def summary_columns(pay_columns) -> list[tuple[str, str, str]]:
    """The summary's columns of the tax (after 应发合计), none for a month without a deductions file."""
    if not has_tax(pay_columns):
        return []
    return [(c.key, c.label, "money") for c in TAX_COMPONENTS]


def article_of(c: Component, r: dict) -> str:
    """The article the slip and `explain` show for a tax line of one manager (by the regime in force)."""
    regime = r.get("tax_regime")
    if c.key == "income_tax":
        return CUMULATIVE_ARTICLE if regime == "cumulative" else MONTHLY_ARTICLE
    if c.key == "bonus_tax":
        return BONUS_ARTICLE.get(regime, c.article)
    return c.article


def slip_lines(r: dict, month: int) -> tuple[list[SlipLine], SlipLine | None]:
    """The slip's 代扣项目 lines and its 实发合计 line for one manager ([] and None without the tax).
    上月结转扣款 and 其他扣款 are shown only when there are any, 年终奖个税 only where a bonus is taxed
    apart (the slip stays one A4 page)."""
    if r.get("net_pay") is None:
        return [], None
    lines = []
    for c in DEDUCTION_COMPONENTS:
        if c.key in ("carried_deduction", "other_deduction") and not r[c.key]:
            continue
        if c.key == "bonus_tax" and not r.get("tax_bonus_apart") and not r[c.key]:
            continue
        lines.append(SlipLine(c.label, r[c.key], article_of(c, r), c.basis(r, None, month)))
    net = TAX_COMPONENTS[-1]
    return lines, SlipLine(net.label, r["net_pay"], net.article, net.basis(r, None, month))


__all__ = ["DEDUCTION_COMPONENTS", "TAX_COMPONENTS", "article_of", "has_tax", "slip_lines", "summary_columns"]
