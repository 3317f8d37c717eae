"""The deductions input (个人扣缴项目, SPEC 9): what a month withholds besides the tax.

File stem `deductions`, one row per manager (key 工号):
    工号 manager_id*; 养老保险 pension_insurance, 医疗保险 medical_insurance, 失业保险 unemployment_insurance
    (the three make 社保个人); 住房公积金 housing_fund (公积金个人); 专项附加扣除 special_additional
    (deducted from taxable income, 2019+ only); 其他扣款 other_deduction (deducted from net pay, not from
    taxable income) — money ≥ 0, blank = 0; 全年6万减除 full_year_deduction (是/否, optional: blank keeps
    what an earlier month of the year said, 国家税务总局公告2020年第19号).

SPEC 9: "a manager without a row has 0 deductions and an input_warning". "Insurances" (专项扣除) are
社保个人 + 公积金个人.
"""

from __future__ import annotations

import polars as pl

from cm_payroll.schema import ID, YES_NO, Column, FileSpec

DEDUCTIONS = FileSpec(
    "deductions", "个人扣缴项目",
    (
        Column("manager_id", "工号", ID, required=True),
        Column("pension_insurance", "养老保险", "money_nonneg", nullable=True),
        Column("medical_insurance", "医疗保险", "money_nonneg", nullable=True),
        Column("unemployment_insurance", "失业保险", "money_nonneg", nullable=True),
        Column("housing_fund", "住房公积金", "money_nonneg", nullable=True),
        Column("special_additional", "专项附加扣除", "money_nonneg", nullable=True),
        Column("other_deduction", "其他扣款", "money_nonneg", nullable=True),
        Column("full_year_deduction", "全年6万减除", "bool", nullable=True, categories=YES_NO),
    ),
    key=("manager_id",),
)

MONEY = ("pension_insurance", "medical_insurance", "unemployment_insurance", "housing_fund",
         "special_additional", "other_deduction")

MISSING_ROW = ("deductions_missing:扣缴文件 deductions 中无此客户经理:养老保险、医疗保险、失业保险、住房公积金、"
               "专项附加扣除和其他扣款均按0计")


def attach(df: pl.DataFrame, deductions: pl.DataFrame | None) -> pl.DataFrame:
    """SPEC 9 — the month's deductions beside each manager's pay row.

    Adds (Int64 fen, 0 where blank or without a row) the six MONEY columns, `social_insurance`
    (养老 + 医疗 + 失业), `insurances` (社保个人 + 公积金个人, the 专项扣除), `full_year_flag` (Boolean, null
    where not given) and `has_deductions` (the manager has a row). With `deductions` None (no file this
    month) every amount is 0 and `has_deductions` false."""
    c = pl.col
    if deductions is None:
        d = pl.DataFrame(schema={"manager_id": pl.String, **{k: pl.Int64 for k in MONEY},
                                 "full_year_deduction": pl.Boolean})
    else:
        d = deductions
        d = d.with_columns([pl.lit(None, pl.Int64).alias(k) for k in MONEY if k not in d.columns]
                           + ([pl.lit(None, pl.Boolean).alias("full_year_deduction")]
                              if "full_year_deduction" not in d.columns else []))
    d = d.select(c("manager_id").cast(pl.String), *[c(k).cast(pl.Int64) for k in MONEY],
                 c("full_year_deduction").cast(pl.Boolean).alias("full_year_flag"),
                 pl.lit(True).alias("has_deductions"))
    out = df.drop([k for k in (*MONEY, "full_year_flag", "has_deductions") if k in df.columns]).join(
        d, on="manager_id", how="left")
    out = out.with_columns([c(k).fill_null(0) for k in MONEY] + [c("has_deductions").fill_null(False)])
    social = c("pension_insurance") + c("medical_insurance") + c("unemployment_insurance")
    return out.with_columns(social.alias("social_insurance"),
                            (social + c("housing_fund")).alias("insurances"))


def missing_rows(df: pl.DataFrame, file_present: bool) -> pl.DataFrame:
    """(manager_id, message): the managers paid this month without a deductions row, when the file is
    present (SPEC 9)."""
    if not file_present:
        return pl.DataFrame(schema={"manager_id": pl.String, "message": pl.String})
    return df.filter(~pl.col("has_deductions")).select("manager_id", pl.lit(MISSING_ROW).alias("message"))


__all__ = ["DEDUCTIONS", "MISSING_ROW", "MONEY", "attach", "missing_rows"]
