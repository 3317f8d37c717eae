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
MONTHLY_ARTICLE = "个人所得税法(2011年修正)第六条; 财税〔2018〕98号"
CUMULATIVE_ARTICLE = "个人所得税法(2018年修正)第十一条; 国家税务总局公告2018年第61号第六条"
BONUS_ARTICLE = {"shortfall": "国税发〔2005〕9号", "converted": "财税〔2018〕164号"}


def _social(r: dict, _p, _m: int) -> str:
    return (f"养老保险 {yuan(r['ded_pension_insurance'])} + 医疗保险 {yuan(r['ded_medical_insurance'])} + "
            f"失业保险 {yuan(r['ded_unemployment_insurance'])}({DED},个人缴纳部分,税前扣除)")


def _fund(_r: dict, _p, _m: int) -> str:
    return f"住房公积金个人缴存({DED},税前扣除)"


def _bracket(r: dict, prefix: str = "tax_") -> str:
    upto = r[f"{prefix}bracket_upto" if prefix == "tax_" else "tax_bonus_upto"]
    no = r[f"{prefix}bracket" if prefix == "tax_" else "tax_bonus_bracket"]
    where = f"不超过 {yuan(upto)} 元" if upto is not None else "最高级"
    return f"第 {no + 1} 级({where})" if no is not None else ""


def _income_tax(r: dict, _p, _m: int) -> str:
    if r.get("tax_regime") == "cumulative":
        n = r["tax_months_employed"]
        basic = (f"累计减除费用 {yuan(r['tax_basic_applied'])}(全年6万减除)" if r.get("tax_full_year_applied")
                 else f"累计减除费用 {yuan(r['tax_basic_applied'])}({n} 个月)")
        return (f"累计预扣法:累计收入 {yuan(r['tax_cum_income'])} − {basic} − 累计专项扣除 "
                f"{yuan(r['tax_cum_special'])} − 累计专项附加扣除 {yuan(r['tax_cum_special_additional'])} = "
                f"累计应纳税所得额 {yuan(r['tax_taxable'])};{_bracket(r)} 税率 {rate(r['tax_rate'])},"
                f"速算扣除数 {yuan(r['tax_quick'])};累计应纳税额 {yuan(r['tax_tax_due'])} − 累计已预扣 "
                f"{yuan(r['tax_withheld_before'])} = 本月 {yuan(r['income_tax'])}")
    return (f"按月计税:工资薪金 {yuan(r['tax_wages'])} − 专项扣除 {yuan(r['tax_insurances'])} − 减除费用 "
            f"{yuan(r['tax_basic_applied'])} = 应纳税所得额 {yuan(r['tax_taxable'])};{_bracket(r)} 税率 "
            f"{rate(r['tax_rate'])},速算扣除数 {yuan(r['tax_quick'])}")


def _bonus_tax(r: dict, _p, _m: int) -> str:
    if not r.get("tax_bonus_apart"):
        return "本月无单独计税的全年一次性奖金"
    short = r["tax_bonus_shortfall"] or 0
    base = (f"年终奖 {yuan(r['tax_taxed_bonus'])} − 当月工资不足减除费用的差额 {yuan(short)} = "
            f"{yuan(r['tax_bonus_base'])}" if short else f"年终奖 {yuan(r['tax_bonus_base'])}")
    b = r["tax_bonus_base"]
    return (f"全年一次性奖金单独计税:{base};÷ 12 = {yuan((b * 2 + 12) // 24)},{_bracket(r, 'bonus')} "
            f"税率 {rate(r['tax_bonus_rate'])},速算扣除数 {yuan(r['tax_bonus_quick'])};"
            f"{yuan(b)} × {rate(r['tax_bonus_rate'])} − {yuan(r['tax_bonus_quick'])} = {yuan(r['bonus_tax'])}")


def _other(_r: dict, _p, _m: int) -> str:
    return f"{DED} 其他扣款(从实发中扣除,不减少应纳税所得额)"


def _carried(r: dict, _p, _m: int) -> str:
    return "上月实发合计为负,差额结转本月扣除" if r["carried_deduction"] else ""


def _net(r: dict, _p, _m: int) -> str:
    text = "应发合计 − 社保个人 − 公积金个人 − 个人所得税 − 年终奖个税 − 其他扣款 − 上月结转扣款"
    if r.get("carry_forward"):
        text += f";结果为负,本月实发 0.00,{yuan(r['carry_forward'])} 元结转下月扣除"
    return text


WAGE_PARAMS = ("regime", "basic_deduction", "monthly_brackets", "annual_brackets", "full_year_deduction")

TAX_COMPONENTS: tuple[Component, ...] = (
    Component("social_insurance", "社保个人", "SPEC 9(专项扣除)", inputs=("deductions",),
              figures=(Figure("养老保险", "ded_pension_insurance", "money"),
                       Figure("医疗保险", "ded_medical_insurance", "money"),
                       Figure("失业保险", "ded_unemployment_insurance", "money")),
              rule=lambda p: "社保个人 = 养老保险 + 医疗保险 + 失业保险(个人缴纳部分),税前扣除", basis=_social),
    Component("housing_fund", "公积金个人", "SPEC 9(专项扣除)", inputs=("deductions",),
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
    Component("bonus_tax", "年终奖个税", "国税发〔2005〕9号; 财税〔2018〕164号", params=("bonus_separate", "monthly_brackets"),
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


def _article(c: Component, r: dict) -> str:
    if c.key == "income_tax":
        return CUMULATIVE_ARTICLE if r.get("tax_regime") == "cumulative" else MONTHLY_ARTICLE
    if c.key == "bonus_tax" and r.get("tax_bonus_apart"):
        return "财税〔2018〕164号" if r.get("tax_regime") == "cumulative" else "国税发〔2005〕9号"
    return c.article


def slip_lines(r: dict, month: int) -> tuple[list[SlipLine], SlipLine | None]:
    """The slip's 代扣项目 lines and its 实发合计 line for one manager ([] and None without the tax).
    上月结转扣款 is shown only when there is one; 年终奖个税 only where a bonus is taxed apart."""
    if r.get("net_pay") is None:
        return [], None
    lines = []
    for c in DEDUCTION_COMPONENTS:
        if c.key == "carried_deduction" and not r[c.key]:
            continue
        if c.key == "bonus_tax" and not r.get("tax_bonus_apart") and not r[c.key]:
            continue
        lines.append(SlipLine(c.label, r[c.key], _article(c, r), c.basis(r, None, month)))
    net = TAX_COMPONENTS[-1]
    return lines, SlipLine(net.label, r["net_pay"], net.article, net.basis(r, None, month))


__all__ = ["DEDUCTION_COMPONENTS", "TAX_COMPONENTS", "has_tax", "slip_lines", "summary_columns"]
