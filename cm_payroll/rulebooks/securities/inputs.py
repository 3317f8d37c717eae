"""Input files of the securities rulebook (SPEC 2): the common files plus scores and clients."""

from cm_payroll.rulebooks.securities.opening import OPENING
from cm_payroll.rulebooks.shared.approvals import APPROVALS
from cm_payroll.rulebooks.tax.deductions import DEDUCTIONS
from cm_payroll.schema import COMMON, ID, YES_NO, Column, FileSpec

ORIGINS = {"自行开发": "developed", "内部转入": "transferred"}

SCORES = FileSpec(
    "scores", "积分",
    (
        Column("manager_id", "工号", ID, required=True),
        Column("score", "积分", "score", required=True),
    ),
    required=True, key=("manager_id",),
)

CLIENTS = FileSpec(
    "clients", "客户资产",
    (
        Column("manager_id", "工号", ID, required=True),
        Column("client_id", "客户号", "text", required=True),
        Column("origin", "客户来源", "category", required=True, categories=ORIGINS),
        Column("is_new", "新增客户", "bool", required=True, categories=YES_NO),
        Column("opening_assets", "期初资产", "money_nonneg", required=True),
        Column("closing_assets", "期末资产", "money_nonneg", required=True),
        Column("daily_avg_assets", "日均资产", "money_nonneg", required=True),
        Column("net_income", "净收入", "money", required=True),
    ),
    required=True, key=("manager_id", "client_id"),
)

# DEDUCTIONS (optional, SPEC 9): what the month withholds besides the tax, read by rulebooks/tax.
FILES = COMMON[:1] + (SCORES, CLIENTS) + COMMON[1:] + (DEDUCTIONS, OPENING, APPROVALS)
