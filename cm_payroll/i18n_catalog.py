"""Chinese for the messages raised below the CLI, as regular expressions over their English text.

Named groups keep what varies (paths, months, numbers, names); the Chinese template uses them by name.
Patterns are applied in order, each to the whole text (a message may hold several), so a longer,
more specific pattern comes before a shorter one it contains."""

from __future__ import annotations

import functools
import re

# Field keys (the English headers) as a clerk's workbook names them, where a message names a field.
FIELD_ZH = {"manager_id": "工号", "client_id": "客户号", "loan_id": "贷款编号", "month": "月份",
            "component": "项目", "field": "字段", "type": "类型"}

CATALOG: list[tuple[str, object]] = [
    # ---- the month's life (lifecycle.py, plan.refuse_signed)
    (r"(?P<m>\d{4}-\d\d) is released \(paid, version (?P<v>\d+)\)\. To recompute it from corrected inputs run "
     r"`(?P<cmd>[^`]+)`: the paid outputs are kept as a numbered version and each manager's difference is booked "
     r"as a correction \(补发/追回\) in the first month not released",
     "{m} 已发放(第 {v} 版)。如需按改正后的输入重新计算，请运行 `{cmd}`：已发放的输出作为编号版本保留，每人的差额作为"
     "更正(补发/追回)计入第一个未发放的月份"),
    (r"(?P<m>\d{4}-\d\d) is signed \((?P<r>[^)]*)\) but not released\. To recompute it run `(?P<cmd>[^`]+)`: its "
     r"signatures are discarded \(listed in the exceptions report as signoff_discarded\) and it becomes a draft to "
     r"be signed again",
     "{m} 已签字({r})但未发放。如需重新计算，请运行 `{cmd}`：原签字作废(在例外事项报告中列为“签字作废”)，本月重新成为"
     "草稿，须重新签字"),
    (r"the inputs of (?P<ms>[\d\-, ]+) changed since (?:it was|they were) computed, and (?:it is|they are) signed or "
     r"released; `year` recomputes drafts only\. To recompute from corrected inputs run `(?P<cmd>[^`]+)`",
     "{ms} 的输入文件在计算后被改动，且已签字或已发放；`year` 只重新计算草稿。如需按改正后的输入重新计算，请运行 `{cmd}`"),
    (r"(?P<m>\d{4}-\d\d) is not computed in (?P<p>\S+) \(computed months: (?P<ms>[^)]*)\); run `(?P<cmd>[^`]+)` first",
     "{m} 尚未在 {p} 中计算(已计算的月份：{ms})；请先运行 `{cmd}`"),
    (r"(?P<m>\d{4}-\d\d): (?P<r>\S+) comes after (?P<x>\S+), which (?:is|are) not signed yet",
     "{m}：{r}须在{x}之后签字，而{x}尚未签字"),
    (r"(?P<m>\d{4}-\d\d): (?P<r>\S+) is signed already \((?P<b>[^,]+), (?P<at>[^)]+)\)",
     "{m}：{r}已由 {b} 签字({at})"),
    (r"(?P<m>\d{4}-\d\d): (?P<b>.+?) holds the role (?P<o>\S+) of this month already; (?P<r>\S+) must be signed by "
     r"another person",
     "{m}：{b} 已担任本月的{o}，{r}须由另一人签字"),
    (r"(?P<m>\d{4}-\d\d): the outputs differ from what the run wrote, so they cannot be signed: ",
     "{m}：输出文件与运行时写出的不一致，不能签字："),
    (r"\. Restore them, or run `(?P<cmd>[^`]+)` again", "。请恢复这些文件，或重新运行 `{cmd}`"),
    (r"(?P<m>\d{4}-\d\d): (?P<n>\d+) case\(s\) need an approval \(需审批 = 是\) and have no 审批号: (?P<c>.+?)\. Record "
     r"them with `(?P<cmd>[^`]+)` \(工号, 类型代码, 项目, 审批号, 说明\), then sign again",
     "{m}：有 {n} 项需审批事项没有审批号：{c}。请用 `{cmd}` 记录审批(工号、类型代码、项目、审批号、说明)后再签字"),
    (r"(?P<m>\d{4}-\d\d) is released (?:\(paid\); its sign-off is complete|already)",
     "{m} 已发放"),
    (r"(?P<m>\d{4}-\d\d) is (?P<zh>\S+) \((?P<s>\w+)\): only a month signed by 签批 is released; missing: (?P<x>\S+)",
     "{m} 的状态是{zh}：只有签批后的月份才能发放；尚缺：{x}"),
    (r"(?P<m>\d{4}-\d\d): the earlier month\(s\) (?P<ms>[\d\-, ]+) are not released; months are released in order",
     "{m}：之前的月份 {ms} 尚未发放；各月须按顺序发放"),
    (r"(?P<m>\d{4}-\d\d) is (?P<zh>\S+) \((?P<s>\w+)\); approvals are accepted until 签批",
     "{m} 的状态是{zh}：签批之后不再接受审批记录"),
    # ---- refusals (exit 3): closed month, lock, ledger, rulebook, system packages
    (r"(?P<m>\d{4}-\d\d) is already closed \(version (?P<v>\d+)\)\. To recompute it from corrected inputs run "
     r"`(?P<cmd>[^`]+)`: the earlier outputs are kept as a numbered version and the differences are booked as "
     r"corrections in the next open month",
     "{m} 已结账(第 {v} 版)。如需按改正后的输入重新计算，请运行 `{cmd}`：原有输出作为编号版本保留，差额作为"
     "差错更正(补发/追回)计入下一个未结账月份"),
    (r"the inputs of (?P<ms>[\d\-, ]+) changed since (?:it was|they were) computed; `year` leaves computed months "
     r"as they are\. To recompute from corrected inputs run `(?P<cmd>[^`]+)`",
     "{ms} 的输入文件在计算后被改动；`year` 不改动已计算的月份。如需按改正后的输入重新计算，请运行 `{cmd}`"),
    (r"another cm-payroll process holds the lock on (?P<p>.+?) \(last run: (?P<h>[^)]*)\); wait for it to finish "
     r"and run again",
     "另一个 cm-payroll 进程正在使用 {p}(上次运行：{h})；请等它结束后再运行(或加 --wait 自动等待)"),
    (r"a cm-payroll run is in progress on (?P<p>.+?)(?: \((?P<h>[^)]*)\))?; try again when it has finished",
     "{p} 上正在运行 cm-payroll；请等它结束后再试"),
    (r"(?P<p>\S+): a cm-payroll run's commit is not complete yet; try again in a moment \(a `cm-payroll month` run "
     r"completes it\)",
     "{p}：一次 cm-payroll 运行的提交尚未完成；请稍后再试(下一次 `cm-payroll month` 运行会完成它)"),
    (r"the ledger \(\.ledger/HEAD\.json\) is missing but closed months exist \((?P<ms>[^)]*)\)\. It was deleted or "
     r"moved: restore it from a backup, or start again in a new, empty output folder",
     "台账(.ledger/HEAD.json)缺失，但存在已结账的月份({ms})。台账被删除或移走了：请从备份恢复，或在一个新的空输出目录"
     "中重新开始"),
    (r"the ledger \(\.ledger/HEAD\.json\) is missing but closed months exist", "台账(.ledger/HEAD.json)缺失，但存在已结账的月份"),
    (r"; cm-payroll writes only plain files and folders there and never follows a link or reads a special file in "
     r"the output folder\. Remove it \(or restore the output folder from a backup\) and run again; nothing was "
     r"changed", "；cm-payroll 在这里只写普通文件和文件夹，从不跟随链接或读取输出目录中的特殊文件。请移除它(或从备份"
     "恢复输出目录)后重新运行；未作任何更改"),
    (r"manifest\.json does not match the ledger head \(modified\)", "manifest.json 与台账头文件不一致(已被改动)"),
    (r"the outputs of closed month\(s\) (?P<ms>[\d\-, ]+) are missing though the ledger lists them",
     "台账中记录的已结账月份 {ms} 的输出文件缺失"),
    (r"month folder\(s\) (?P<ms>[\d\-, ]+) are not in the ledger; they were not written by cm-payroll or the "
     r"ledger is out of date", "月份文件夹 {ms} 不在台账中：它们不是 cm-payroll 写出的，或台账已过时"),
    (r"(?P<p>\S+) holds a (?P<a>\w+) ledger; this run uses the (?P<b>\w+) rulebook\. Use another output folder",
     "{p} 中是 {a} 规则的台账，本次运行使用 {b} 规则。请换一个输出目录"),
    (r"the rulebook of this run \((?P<src>[^,]+), sha256 (?P<h>\w+)\) differs from the one ",
     "本次运行的规则({src}，sha256 {h})与"),
    (r"cannot write (?P<p>.+?): (?P<c>[^.;\n]+)\. Nothing was changed: the outputs and the ledger are as they were "
     r"before this run\. Fix the cause \(free space, write permission, a writable output folder\) and run again",
     "无法写入 {p}：{c}。未作任何更改：输出和台账保持本次运行之前的状态。请排除原因(腾出空间、写权限、可写的输出目录)"
     "后重新运行"),
    (r"cannot write (?P<p>.+?): (?P<c>[^.;\n]+)\. The commit was journaled: the next run completes it once the cause "
     r"is fixed; until then the ledger keeps the earlier months\. Fix the cause \(free space, write permission, a "
     r"writable output folder\) and run again",
     "无法写入 {p}：{c}。提交已记入日志：排除原因后，下一次运行会完成它；在此之前台账保持之前各月的状态。请排除原因"
     "(腾出空间、写权限、可写的输出目录)后重新运行"),
    (r"cannot write (?P<p>.+?): (?P<c>[^;\n]+)", "无法写入 {p}：{c}"),
    (r"the disk quota is exhausted", "磁盘配额已用完"),
    (r"operation not permitted", "不允许该操作"),
    (r"the file is too large for this file system or a size limit", "文件超出文件系统或大小限制"),
    (r"[Nn]ot a directory", "不是文件夹"),
    (r"the output folder holds links or special files where cm-payroll keeps its own files and folders \(it never "
     r"follows them\):", "输出目录中 cm-payroll 存放自己文件和文件夹的位置有链接或特殊文件(cm-payroll 从不跟随链接)："),
    (r" is a symbolic link \(to (?P<t>[^)]*)\)", " 是符号链接(指向 {t})"),
    (r" is a folder, not a file", " 是文件夹，不是文件"),
    (r" is a FIFO \(named pipe\)", " 是 FIFO(命名管道)"),
    (r"cm-payroll writes only plain files and folders there and never follows a link or reads a special file in "
     r"the output folder\.", "cm-payroll 在这里只写普通文件和文件夹，从不跟随链接或读取输出目录中的特殊文件。"),
    (r"the pending corrections differ from those the last run recorded \(manifest of (?P<m>[\d-]+) v(?P<v>\d+)\): "
     r"they were edited\.", "待处理的差错更正与上次运行记录的(清单 {m} 第 {v} 版)不同：已被改动。"),
    (r"pending corrections that no re-run booked \(forged or damaged\):", "有不是重新计算产生的待处理差错更正(伪造或已损坏)："),
    (r"the chain to the previous month is broken", "与上一个月的链接已断开"),
    (r"unknown ledger format (?P<f>\S+)", "未知的台账格式 {f}"),
    (r"(?<=manifest\.json) is damaged \((?P<d>.*?)\)(?= Restore| restore|;|\n|$)", " 已损坏(技术信息：{d})"),
    (r" is not a readable Parquet file \((?P<d>[^)]*)\)", " 不是可读取的 Parquet 文件(技术信息：{d})"),
    (r": column (?P<c>\w+) is missing", "：缺少列 {c}"),
    (r": column (?P<c>\w+) is (?P<a>\w+), expected (?P<b>\w+)", "：列 {c} 的类型是 {a}，应为 {b}"),
    (r": unexpected column (?P<c>\w+)", "：多出了列 {c}"),
    (r": the columns or their types differ from those the manifest records", "：列或其类型与清单记录的不同"),
    (r" is the manifest of (?P<m>[\d-]+) v(?P<v>\d+)", " 是 {m} 第 {v} 版的清单"),
    (r" is missing(?=[\s;.]|$)", " 缺失"),
    (r"--templates (?P<p>.+?): no such folder", "--templates {p}：没有这个文件夹"),
    (r"--protect-slips needs the branch secret in the environment variable (?P<n>\w+) \(see \[slip_protection\] "
     r"in the rulebook and the README\)", "--protect-slips 需要把营业部密钥放在环境变量 {n} 中(见规则中的 "
     "[slip_protection] 和 README)"),
    (r"--protect-slips: the secret in (?P<n>\w+) is shorter than (?P<k>\d+) characters",
     "--protect-slips：{n} 中的密钥短于 {k} 个字符"),
    (r"(?P<o>--\w+) (?P<p>\S+): the folder name (?P<f>\S+) has (?P<n>\d+) bytes \(at most 255\); choose a shorter "
     r"folder", "{o} {p}：文件夹名 {f} 有 {n} 字节(最多 255)；请换一个较短的文件夹名"),
    (r"(?P<o>--\w+) (?P<p>\S+): the path is longer than 4,095 bytes; choose a shorter folder",
     "{o} {p}：路径超过 4,095 字节；请换一个较短的文件夹"),
    (r"no space left on the disk", "磁盘空间不足"),
    (r"the file system is read-only", "文件系统为只读"),
    (r"permission denied", "没有权限"),
    (r"--format pdf: no Chinese \(CJK\) font is installed, so every Chinese character of a PDF slip would print "
     r"as an empty box\. Install the Debian package fonts-noto-cjk \(as root: apt-get install fonts-noto-cjk; "
     r"`make system-deps` does it\) and run again; nothing was computed",
     "--format pdf：系统未安装中文(CJK)字体，PDF 薪酬单上的每个汉字都会显示为空框。请安装 Debian 软件包 "
     "fonts-noto-cjk(以 root 运行：apt-get install fonts-noto-cjk；或运行 `make system-deps`)后重试；未进行任何计算"),
    (r"--format pdf needs Pango \(Debian packages (?P<pk>[^;]+); `make system-deps` installs them\)",
     "--format pdf 需要 Pango(Debian 软件包 {pk}；`make system-deps` 会安装)"),
    (r"(?P<p>\S+) already exists; use --force to overwrite the scaffold's files \(month folders and their files "
     r"are never touched\)", "{p} 已存在；如需覆盖模板文件请加 --force(月份文件夹及其中文件不会被改动)"),
    # ---- usage (exit 2): our own
    (r"not a month \(YYYY-MM\): (?P<v>.+)", "不是月份(应为 YYYY-MM)：{v}"),
    (r"--input (?P<p>.+?): no such folder", "--input {p}：没有这个文件夹"),
    (r"--input (?P<p>.+?): no month folders of (?P<y>\d+) \(expected (?P<a>[\d-]+) … (?P<b>[\d-]+)\)",
     "--input {p}：没有 {y} 年的月份文件夹(应为 {a} … {b})"),
    (r"--rules: (?P<v>'[^']*') is neither a built-in rulebook \((?P<b>[^)]*)\) nor an existing TOML file",
     "--rules：{v} 既不是内置规则({b})，也不是存在的 TOML 文件"),
    (r"--format (?P<v>\S+): choose one or more of (?P<f>\S+) \(comma separated\)",
     "--format {v}：请从 {f} 中选择一个或多个(逗号分隔)"),
    (r"--protect-slips cannot protect HTML slips \(a browser opens them without a password\); use --format xlsx,pdf",
     "--protect-slips 无法保护 HTML 薪酬单(浏览器打开时不需要密码)；请用 --format xlsx,pdf"),
    (r"--what-if and --force cannot be combined", "--what-if 不能与 --force 同时使用"),
    (r"--tolerance (?P<v>'[^']*'): not a number", "--tolerance {v}：不是数字"),
    (r"--tolerance must not be negative", "--tolerance 不能为负数"),
    (r"(?P<m>\d{4}-\d\d) is not closed in (?P<p>.+?); run `(?P<cmd>[^`]+)` first", "{m} 在 {p} 中尚未计算；请先运行 `{cmd}`"),
    (r"manager (?P<m>\S+) has no pay in (?P<n>[\d-]+)", "客户经理 {m} 在 {n} 没有薪酬记录"),
    (r"(?P<f>\S+) changed since the run \(sha256 differs\): rows shown are today's",
     "{f} 在运行后被改动(sha256 不符)：显示的是现在的内容"),
    (r"the inputs have (?P<n>\d+) error\(s\) today; the run used earlier versions",
     "输入文件现在有 {n} 处错误；运行时用的是较早的版本"),
    (r"input folder not found: give --input to see the input rows", "找不到输入目录：加 --input 可显示输入行"),
    (r"--lang (?P<v>'[^']*'): choose zh or en", "--lang {v}：请选择 zh 或 en"),
    (r"--start (?P<m>[\d-]+) is after (?P<n>[\d-]+)", "--start {m} 晚于 {n}"),
    (r"(?P<m>\d{4}-\d\d) is before the first month (?P<f>[\d-]+) of this output folder \(nothing before it is "
     r"computed here\); use a new output folder for earlier months",
     "{m} 早于该输出目录的第一个月 {f}(该目录不计算它之前的月份)；更早的月份请用新的输出目录"),
    (r"the sample takes at most (?P<n>[\d,]+); make a benchmark tree with bench/make_tree.py \(bench/README\.md\)",
     "样例数据最多 {n} 人；更大的测试数据请用 bench/make_tree.py 生成(见 bench/README.md)"),
    # ---- Click's usage errors
    (r"No such option: (?P<o>\S+)", "没有这个选项：{o}"),
    (r"\(Possible options: (?P<o>[^)]*)\)", "(可能是：{o})"),
    (r"Did you mean (?P<o>[^?]+)\?", "是否想输入 {o}？"),
    (r"No such command '(?P<c>[^']+)'\.", "没有这个命令：{c}。"),
    (r"Missing argument '(?P<a>[^']+)'\.", "缺少参数 {a}。"),
    (r"Missing option '(?P<o>[^']+)'\.", "缺少选项 {o}。"),
    (r"Option '(?P<o>[^']+)' requires an argument\.", "选项 {o} 需要一个值。"),
    (r"Option '(?P<o>[^']+)' does not take a value\.", "选项 {o} 不接受值。"),
    (r"Got unexpected extra arguments? \((?P<a>[^)]*)\)", "多余的参数：{a}"),
    (r"Invalid value for '?(?P<p>[^':]+)'?: ", "参数 {p} 的值无效："),
    (r"Invalid value: ", "无效的值："),
    (r"'(?P<v>[^']*)' is not a valid integer\.", "{v} 不是整数。"),
    (r"'(?P<v>[^']*)' is not a valid float\.", "{v} 不是数字。"),
    (r"'(?P<v>[^']*)' is not one of (?P<c>.+)\.", "{v} 不在可选值 {c} 之中。"),
    # ---- input errors (exit 1): a file, a column, a cell
    (r"(?P<n>\d+) input error\(s\)(?: in (?P<m>[\d-]+))?", "输入文件有 {n} 处错误"),
    (r"… and (?P<n>[\d,]+) more of the same kind \((?P<w>[^)]*(?:\([^)]*\)[^)]*)*)\)", "…… 另有 {n} 处同类错误({w})"),
    (r"no input folder for (?P<m>\d{4}-\d\d)(?P<rest>: the months of an output folder are consecutive[^\n]*)?",
     "缺少 {m} 的输入文件夹(同一输出目录的月份必须连续，不能跳过)"),
    (r"required file missing in (?P<d>\S+)/ \((?P<zh>[^;]+); \.xlsx, \.xls, \.csv or \.parquet\)",
     "{d}/ 中缺少必需的文件({zh}；.xlsx、.xls、.csv 或 .parquet)"),
    (r"required column missing; accepted headers: (?P<zh>\S+) or (?P<en>\S+)", "缺少必需的列；可用的表头：{zh} 或 {en}"),
    (r"several files for (?P<s>\w+): (?P<n>[^;]+); keep one", "{s} 有多个文件：{n}；请只保留一个"),
    (r"no data rows \(a required file cannot be header-only\)", "没有数据行(必需的文件不能只有表头)"),
    (r"the sheet is empty \(no header, no rows\)", "工作表为空(没有表头，也没有数据行)"),
    (r"the file is empty", "文件为空"),
    (r"cannot read file: (?P<c>.+)", "无法读取文件：{c}"),
    (r"cannot read: (?P<c>.+)", "无法读取：{c}"),
    (r"cannot read this file \((?P<m>.*)\); save it again as \.xlsx or UTF-8 \.csv",
     "无法读取该文件(技术信息：{m})；请另存为 .xlsx 或 UTF-8 编码的 .csv"),
    (r"cannot read this CSV \((?P<m>.*)\); save it again from Excel/WPS as CSV",
     "无法读取该 CSV 文件(技术信息：{m})；请在 Excel/WPS 中重新另存为 CSV"),
    (r"cannot decode the text: save it as UTF-8 or GBK", "无法识别文本编码：请另存为 UTF-8 或 GBK 编码"),
    (r"not an Excel workbook \(the file is not a zip package\)", "不是 Excel 工作簿(文件不是 zip 包)"),
    (r"not an Excel workbook \(a zip package without a workbook\)", "不是 Excel 工作簿(zip 包中没有工作簿)"),
    (r"not an \.xls workbook \(wrong file signature\)", "不是 .xls 工作簿(文件签名不对)"),
    (r"the workbook is truncated or damaged \(bad zip package\)", "工作簿不完整或已损坏(zip 包有误)"),
    (r"the workbook has no visible sheet", "工作簿中没有可见的工作表"),
    (r"empty cell; a value is required", "单元格为空；此处必须填写"),
    (r"not an amount \(a number with at most 2 decimals, e\.g\. 1234\.56\)", "不是金额(应为最多两位小数的数字，如 1234.56)"),
    (r"not an amount \(a number, e\.g\. -1234\.56\)", "不是金额(应为数字，如 -1234.56)"),
    (r"not a number \(at most 4 decimals\)", "不是数字(最多四位小数)"),
    (r"not a whole number", "不是整数"),
    (r"not a date \(use 2013-01-05, 2013/1/5, 2013年1月5日 or an Excel date\)",
     "不是日期(请用 2013-01-05、2013/1/5、2013年1月5日 或 Excel 日期)"),
    (r"expected 是 or 否", "应为 是 或 否"),
    (r"unknown value; accepted: (?P<a>\S+)", "无法识别的值；可用：{a}"),
    (r"text longer than (?P<n>\d+) characters", "文字超过 {n} 个字符"),
    (r"not a valid id: letters, digits, '-' and '_' only \(no spaces, slashes or dots\), at most 64 characters",
     "不是有效的编号：只能用字母、数字、'-' 和 '_'(不能有空格、斜杠或点)，最多 64 个字符"),
    (r", and not a name Windows reserves \(CON, PRN, AUX, NUL, COM1-9, LPT1-9\)",
     "，且不能是 Windows 保留的名称(CON、PRN、AUX、NUL、COM1-9、LPT1-9)"),
    (r"; found (?P<v>'(?:[^'\\]|\\.)*'|\"[^\"]*\"|\S+)", "；实际为 {v}"),
    (r"must not be negative", "不能为负数"),
    (r"must be between (?P<a>\S+) and (?P<b>\S+)", "应在 {a} 到 {b} 之间"),
    (r"duplicate (?P<k>[\w/]+) (?P<v>\S+)",
     lambda g: f"重复的{'/'.join(FIELD_ZH.get(k, k) for k in g['k'].split('/'))}：{g['v']}"),
    (r"manager (?P<m>\S+) is not in the roster of (?P<n>[\d-]+)", "客户经理 {m} 不在 {n} 的花名册中"),
    (r"hire date (?P<d>\S+) is after the end of (?P<m>[\d-]+)", "入职日期 {d} 晚于 {m} 月末"),
    (r"track (?P<t>\S+) does not belong to this rulebook \((?P<r>[^)]*)\)", "类别 {t} 不属于本规则({r})"),
    (r"工号 (?P<m>\S+) differs from another only by upper/lower case; their pay slips would overwrite each other "
     r"on Windows: give them distinct ids",
     "工号 {m} 与另一工号仅有大小写不同；在 Windows 上二者的薪酬单会互相覆盖：请使用不同的工号"),
    (r"two columns for one field \((?P<k>[^)]*)\): (?P<n>[^;]+); delete one of them(?: \(a hidden column counts "
     r"too\))?", "同一字段有两列({k})：{n}；请删除其中一列(隐藏列也算)"),
    (r"a percentage in an amount column \(no input takes a rate\); type the amount itself, e\.g\. 1234\.56, and "
     r"format the cell as a number",
     "金额列中出现了百分比(输入文件中没有比例字段)：请填写金额本身(如 1234.56)，并把单元格格式设为数字"),
    (r"a formula without a calculated value \(the workbook was written by a program and never opened in "
     r"Excel/WPS\); open and save it in Excel or WPS, or type the value itself",
     "公式没有计算结果(该工作簿由程序生成，从未在 Excel/WPS 中打开过)：请用 Excel 或 WPS 打开并保存，或直接填写数值"),
    (r"a formula whose value was never calculated \(the workbook was written by a program and asks Excel to "
     r"recalculate on opening\); open and save it in Excel or WPS, or type the value itself",
     "公式的值从未计算过(该工作簿由程序生成，要求打开时重新计算)：请用 Excel 或 WPS 打开并保存，或直接填写数值"),
    (r"a percentage in an amount column", "金额列中出现了百分比"),
    (r"a formula without a calculated value", "公式没有计算结果"),
    (r"unknown override field (?P<f>'[^']*'); use (?P<a>.+)", "无法识别的特殊处理字段 {f}；可用：{a}"),
    (r"this (?P<e>\S+) is an OLE container: the workbook is password-protected \(encrypted\) or an old \.xls "
     r"renamed; remove the password or save it as \.xlsx",
     "该 {e} 文件是 OLE 容器：工作簿设置了密码(已加密)，或是改了扩展名的旧 .xls；请去掉密码或另存为 .xlsx"),
    (r"the workbook is damaged \(part (?P<p>\S+) is corrupt\); save it again from Excel/WPS or ask for a new "
     r"export", "工作簿已损坏(部件 {p} 有误)；请在 Excel/WPS 中重新保存，或重新导出"),
    (r"no sheet named (?P<s>'[^']*') \(sheets: (?P<l>[^)]*)\)", "没有名为 {s} 的工作表(现有工作表：{l})"),
    (r"not a text file \(contains NUL bytes\)", "不是文本文件(含有 NUL 字节)"),
    (r"event (?P<e>\S+) dated (?P<d>\S+) is outside (?P<m>[\d-]+); counted in (?P<n>[\d-]+) \(decision 5\)",
     "事件 {e} 的日期 {d} 不在 {m} 内；计入 {n}"),
    (r"a second override of (?P<f>\S+) for (?P<m>\S+) in the same month \(decision 26\)",
     "同一月份对 {m} 的 {f} 有第二条特殊处理"),
    (r"cannot read this Parquet file \((?P<m>.*)\)", "无法读取该 Parquet 文件(技术信息：{m})"),
    (r"a quote mark \(\"\) here opens or closes no field, or a quoted field is never closed \(line (?P<n>\d+) of "
     r"the file\); remove the stray quote or put the whole field in quotes with the quote doubled \(\"\"\), or "
     r"save the file again from Excel/WPS as CSV",
     "此处的引号(\")没有配对：多余的引号或未闭合的带引号字段(文件第 {n} 行)；请删除多余的引号，或把整个字段放在"
     "引号中并把其中的引号写两遍(\"\")，或在 Excel/WPS 中重新另存为 CSV"),
    (r" \((?P<c>[^()]*): superscript, subscript, circled or other compatibility characters are not digits; type "
     r"plain digits\)", "({c}：上标、下标、带圈等兼容字符不是数字；请输入普通数字)"),
    (r"not a month \(YYYY-MM, several separated by 、 or ;\): (?P<v>.+)", "不是月份(应为 YYYY-MM，多个用 、 或 ; 分隔)：{v}"),
    (r"trigger month (?P<k>[\d-]+) of (?P<m>\S+) is not before the start month (?P<s>[\d-]+): the opening gives what "
     r"happened before the start", "{m} 的待岗触发月份 {k} 不早于起始月份 {s}：期初数据只记录起始月份之前发生的事"),
    (r"a number of requests must be a whole number ≥ 0", "申请次数必须是不小于 0 的整数"),
    (r"an opening file \(期初数据\) is read only in the first month of an output folder begun with --start; "
     r"(?P<m>[\d-]+) is not that month, so it would be ignored: remove it from (?P<d>[\d-]+)/",
     "期初数据文件只在用 --start 开始的输出目录的第一个月读取；{m} 不是该月，文件会被忽略：请从 {d}/ 中移除"),
    (r"the file has (?P<n>[\d,]+) rows; the limit is (?P<l>[\d,]+) \(input_limits\.max_rows\): delete the stray "
     r"rows far below the table, or split the file",
     "文件有 {n} 行，超过上限 {l}(input_limits.max_rows)：请删除表格下方远处多余的行，或拆分文件"),
    (r"the used range A1:(?P<c>\w+) has (?P<n>[\d,]+) cells; the limit is (?P<l>[\d,]+) "
     r"\(input_limits\.max_cells\): delete the stray cell (?P<f>\w+), then save the file again",
     "已用区域 A1:{c} 共 {n} 个单元格，超过上限 {l}(input_limits.max_cells)：请删除多余的单元格 {f}，然后重新保存"),
    (r"the used range A1:(?P<c>\w+) has (?P<n>[\d,]+) cells; the limit is (?P<l>[\d,]+) "
     r"\(input_limits\.max_cells\): delete the stray cells far right of the table or far below it \(the used "
     r"range ends at column (?P<col>\w+), row (?P<r>[\d,]+)\), then save the file again",
     "已用区域 A1:{c} 共 {n} 个单元格，超过上限 {l}(input_limits.max_cells)：请删除表格右侧或下方远处多余的单元格"
     "(已用区域止于第 {col} 列、第 {r} 行)，然后重新保存"),
    (r"the sheet holds content up to (?P<f>\S+) \(repeated rows or columns\), beyond the (?P<r>[\d,]+) rows × "
     r"(?P<c>[\d,]+) columns of a sheet: the reader would drop it; delete the repeated rows or columns, or save the "
     r"file again", "工作表的内容延伸到 {f}(重复的行或列)，超出工作表 {r} 行 × {c} 列的范围，读取时会被丢弃：请删除"
     "重复的行或列，或重新保存文件"),
    (r"refused: the workbook (?P<h>declares that it inflates to|inflates to) (?P<n>[\d,]+) bytes from (?P<m>[\d,]+) "
     r"\(the limit is (?P<l>[\d,]+): a zip bomb or a corrupted file\); save it again from Excel/WPS, or split it",
     "已拒绝：工作簿解压后为 {n} 字节(压缩时 {m} 字节，上限 {l})：可能是 zip 炸弹或已损坏的文件；请在 Excel/WPS "
     "中重新保存，或拆分文件"),
    (r"credit manager (?P<m>\S+) \(roster row (?P<r>\d+)\) has no targets row; every credit manager needs one with "
     r"an interest target \(decision 28\)",
     "信贷客户经理 {m}(花名册第 {r} 行)在 targets 文件中没有记录；每位信贷客户经理都必须有一行，含收息目标"
     "(docs/使用说明.md §6.4)"),
    (r"deposit_target_avg of (?P<m>\S+) is 0; it must be positive or blank for the default \(decision 19\)",
     "{m} 的存款保底日均余额为 0；应为正数，或留空取默认值(docs/使用说明.md §6.4)"),
    # ---- what the reader libraries say (calamine/fastexcel, polars, openpyxl), inside the messages above
    (r"[Ii]nvalid [Zz]ip archive", "zip 包无效"),
    (r"[Ff]ile is not a zip file", "文件不是 zip 包"),
    (r"[Zz]ip error", "zip 错误"),
    (r"[Uu]nexpected end of file", "文件意外结束"),
    (r"could not parse (?P<v>.+?) as dtype (?P<t>\S+)", "无法把 {v} 解析为 {t} 类型"),
    (r"invalid utf-8 sequence", "无效的 UTF-8 字节序列"),
    (r"[Pp]ermission denied", "没有权限"),
    (r"[Nn]o such file or directory", "没有这个文件或文件夹"),
    (r"[Ii]s a directory", "是一个文件夹"),
    (r"\nRemove them \(or restore the output folder from a backup\) and run again; nothing was changed\.",
     "\n请移除它们(或从备份恢复输出目录)后重新运行；未作任何更改。"),
    # ---- generic phrases, last: what the specific patterns above have not said already
    (r"the ledger failed verification:", "台账校验失败："),
    (r"the ledger head is damaged \((?P<d>.*)\)(?=; restore)", "台账头文件已损坏(技术信息：{d})"),
    (r"the ledger head is damaged", "台账头文件已损坏"),
    (r"the ledger is damaged", "台账已损坏"),
    (r"the stored rulebook is corrupted \(sha256 differs\)", "保存的规则文件已损坏(sha256 不符)"),
    (r"is corrupted \(sha256 differs\)", "已损坏(sha256 不符)"),
    (r"[Rr]estore the output folder from a backup; nothing was changed\.?", "请从备份恢复输出目录；未作任何更改。"),
    (r"; nothing was changed", "；未作任何更改"),
    (r"[Nn]othing was changed", "未作任何更改"),
    (r"restore them from a backup", "请从备份恢复"),
]


@functools.cache
def compiled() -> list[tuple[re.Pattern, str]]:
    return [(re.compile(rx), zh) for rx, zh in CATALOG]
