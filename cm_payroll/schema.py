"""Input file schemas (SPEC section 2): file stems, columns with their Chinese/English names, kinds.

The files every rulebook shares (roster, events, adjustments, overrides) are defined here; each
rulebook adds its own (securities: scores, clients; rcc: deposits, loans, ...) in its `inputs.py`.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field


def norm_header(text: str) -> str:
    """Header comparison ignores case, surrounding spaces and full-/half-width forms (SPEC 2)."""
    t = unicodedata.normalize("NFKC", str(text)).strip().casefold()
    return t.lstrip("*").rstrip("*").strip()


def norm_value(text: str) -> str:
    return unicodedata.normalize("NFKC", str(text)).strip().casefold()


@dataclass(frozen=True)
class Column:
    key: str                       # canonical English name (manager_id)
    zh: str                        # Chinese header (工号)
    kind: str                      # id | text | category | bool | date | money | money_nonneg | score
    required: bool = False         # the column must be present (SPEC: *)
    nullable: bool = False         # blank cells allowed (value null)
    categories: dict[str, str] = field(default_factory=dict)   # accepted value → code
    min_value: str | None = None   # inclusive bounds for scores ("0", "10")
    max_value: str | None = None

    @property
    def names(self) -> tuple[str, str]:
        return (self.zh, self.key)

    def category_lookup(self) -> dict[str, str]:
        out = {}
        for accepted, code in self.categories.items():
            out[norm_value(accepted)] = code
            out[norm_value(code)] = code
        return out


@dataclass(frozen=True)
class FileSpec:
    name: str                      # file stem
    zh: str                        # Chinese description for messages
    columns: tuple[Column, ...]
    required: bool = False
    key: tuple[str, ...] = ()      # duplicate check (SPEC 2)
    months: str = "all"            # "all" or "quarter_end" (rcc management)

    def column(self, key: str) -> Column:
        for c in self.columns:
            if c.key == key:
                return c
        raise KeyError(key)

    def header_lookup(self) -> dict[str, str]:
        return {norm_header(n): c.key for c in self.columns for n in c.names}


TRACKS = {"销售类": "sales", "理财类": "advisor", "信贷类": "credit"}
TRACK_LABELS = {v: k for k, v in TRACKS.items()}
YES_NO = {"是": "yes", "否": "no", "y": "yes", "n": "no", "yes": "yes", "no": "no", "true": "yes",
          "false": "no", "1": "yes", "0": "no", "√": "yes", "×": "no"}

EVENTS = {
    "辞职申请": "resignation",
    "交接未完成": "handover_incomplete",
    "业绩造假": "fraud",
    "违规": "compliance_violation",
    "休假": "leave",
    "转岗申请": "transfer_request",
    "转理财类": "convert_to_advisor",
    "解除完成": "terminated",
    "再次入职": "rehired",
}
EVENT_LABELS = {v: k for k, v in EVENTS.items()}

ADJUSTMENTS = {"其他奖励": "other_reward", "补发": "back_pay", "扣款": "deduction"}

ID = "id"

ROSTER = FileSpec(
    "roster", "花名册",
    (
        Column("manager_id", "工号", ID, required=True),
        Column("name", "姓名", "text", required=True),
        Column("branch", "营业部", "text", required=True),
        Column("track", "类别", "category", required=True, categories=TRACKS),
        Column("hire_date", "入职日期", "date", required=True),
        Column("supervisor_id", "片区经理工号", ID, nullable=True),
        Column("certified", "证券从业资格", "bool", nullable=True, categories=YES_NO),
        Column("dedicated_collection", "专责清收", "bool", nullable=True, categories=YES_NO),
    ),
    required=True, key=("manager_id",),
)

EVENTS_FILE = FileSpec(
    "events", "事件",
    (
        Column("manager_id", "工号", ID, required=True),
        Column("event", "事件", "category", required=True, categories=EVENTS),
        Column("date", "日期", "date", required=True),
        Column("note", "说明", "text", nullable=True),
        Column("approval_ref", "审批号", "text", nullable=True),
    ),
)

ADJUSTMENTS_FILE = FileSpec(
    "adjustments", "调整",
    (
        Column("manager_id", "工号", ID, required=True),
        Column("component", "项目", "category", required=True, categories=ADJUSTMENTS),
        Column("amount", "金额", "money_nonneg", required=True),
        Column("note", "说明", "text", nullable=True),
        Column("approval_ref", "审批号", "text", nullable=True),
    ),
)

OVERRIDES_FILE = FileSpec(
    "overrides", "特殊处理",
    (
        Column("manager_id", "工号", ID, required=True),
        Column("field", "项目", "text", required=True),
        Column("value", "值", "text", required=True),
        Column("reason", "原因", "text", required=True),
        Column("approval_ref", "审批号", "text", required=True),
    ),
    key=("manager_id", "field"),
)

COMMON = (ROSTER, EVENTS_FILE, ADJUSTMENTS_FILE, OVERRIDES_FILE)
