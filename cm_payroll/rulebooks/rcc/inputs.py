"""Input files of the rcc rulebook (SPEC 2; decisions 19, 28): the common files (roster, events,
adjustments, overrides) plus deposits, loans, targets, visits, conduct and management.

Roster tracks must be 信贷类 (credit) in an rcc run (SPEC 1). The ranges of the conduct score (0–10)
and of the management score (0–100) are input rules (decision 19), checked on load; the full marks
they imply are used by the assessment (CONDUCT_FULL, MANAGEMENT_FULL).
"""

from cm_payroll.rulebooks.rcc.opening import OPENING
from cm_payroll.rulebooks.shared.approvals import APPROVALS
from cm_payroll.rulebooks.tax.deductions import DEDUCTIONS
from cm_payroll.schema import COMMON, ID, Column, FileSpec

TRACKS = ("credit",)

BORROWER_TYPES = {"小额": "small", "企业": "corporate"}
GUARANTEES = {"客户经理保证": "manager_guarantee", "抵押": "mortgage", "质押": "pledge", "其他": "other"}

CONDUCT_FULL = 10          # 行为得分 is out of 10 (decision 19: 0–10)
MANAGEMENT_FULL = 100      # 管理考核得分 is out of 100 (decision 19: 0–100)

DEPOSITS = FileSpec(
    "deposits", "存款",
    (
        Column("manager_id", "工号", ID, required=True),
        Column("daily_avg_balance", "日均余额", "money_nonneg", required=True),
        Column("accumulated_balance", "积数", "money_nonneg", required=True),
    ),
    required=True, key=("manager_id",),
)

LOANS = FileSpec(
    "loans", "贷款",
    (
        Column("manager_id", "工号", ID, required=True),
        Column("loan_id", "贷款号", ID, required=True),
        Column("borrower_id", "借款人", ID, required=True),
        Column("borrower_type", "客户类型", "category", required=True, categories=BORROWER_TYPES),
        Column("guarantee", "担保方式", "category", required=True, categories=GUARANTEES),
        Column("issue_date", "发放日", "date", required=True),
        Column("due_date", "到期日", "date", required=True),
        Column("principal", "本金", "money_nonneg", required=True),
        Column("outstanding", "余额", "money_nonneg", required=True),
        Column("interest_collected", "本月收息", "money_nonneg", required=True),
        # decision 28: blank cells are 0
        Column("due_this_month", "本月到期应收", "money_nonneg", nullable=True),
        Column("recovered_this_month", "本月收回", "money_nonneg", nullable=True),
    ),
    required=True, key=("loan_id",),
)

TARGETS = FileSpec(
    "targets", "考核目标",
    (
        Column("manager_id", "工号", ID, required=True),
        # decision 19: a blank deposit target takes the rulebook default
        Column("deposit_target_avg", "存款保底日均", "money_nonneg", nullable=True),
        Column("deposit_target_accum", "存款积数目标", "money_nonneg", nullable=True),
        # decision 28: a blank interest_target is an input error (not nullable)
        Column("interest_target", "收息目标", "money_nonneg", required=True),
    ),
    required=True, key=("manager_id",),
)

VISITS = FileSpec(
    "visits", "客户走访",
    (
        Column("manager_id", "工号", ID, required=True),
        Column("borrower_id", "借款人", ID, required=True),
        Column("visit_date", "走访日期", "date", required=True),
    ),
)

CONDUCT = FileSpec(
    "conduct", "日常行为考核",
    (
        Column("manager_id", "工号", ID, required=True),
        Column("conduct_score", "行为得分", "score", required=True, min_value="0", max_value=str(CONDUCT_FULL)),
    ),
    key=("manager_id",),
)

MANAGEMENT = FileSpec(
    "management", "季度管理考核",
    (
        Column("manager_id", "工号", ID, required=True),
        Column("management_score", "管理考核得分", "score", required=True, min_value="0",
               max_value=str(MANAGEMENT_FULL)),
    ),
    key=("manager_id",), months="quarter_end",
)

# DEDUCTIONS (optional, SPEC 9): what the month withholds besides the tax, read by rulebooks/tax.
FILES = COMMON[:1] + (DEPOSITS, LOANS, TARGETS, VISITS, CONDUCT, MANAGEMENT) + COMMON[1:] + (DEDUCTIONS, OPENING, APPROVALS)
