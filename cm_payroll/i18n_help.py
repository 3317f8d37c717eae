"""The `--help` texts in Chinese, keyed by the English text cli.py declares (whitespace collapsed).
A command or option added to cli.py gets its Chinese here (tests/test_clerk.py checks that every
help text has one)."""

HELP_ZH: dict[str, str] = {
    "Grade and pay customer managers (客户经理) month by month from back-office Excel exports.":
        "根据后台导出的 Excel 文件，逐月为客户经理定级、计算薪酬。",
    "Show the version and exit.": "显示版本号后退出。",
    "Show this message and exit.": "显示本帮助后退出。",
    "Language of the messages: zh or en (default from $CM_PAYROLL_LANG or the locale).":
        "提示信息的语言：zh(中文)或 en(英文)；默认取环境变量 $CM_PAYROLL_LANG，否则按系统语言。",
    "Install completion for the current shell.": "为当前 shell 安装命令补全。",
    "Install completion for the specified shell.": "为指定的 shell 安装命令补全。",
    "Show completion for the specified shell, to copy it or customize the installation.":
        "显示指定 shell 的命令补全脚本，可复制或自行安装。",
    "Show completion for the current shell, to copy it or customize the installation.":
        "显示当前 shell 的命令补全脚本，可复制或自行安装。",
    "Compute one month's payroll. On a new output folder every earlier month that has an input folder is "
    "computed first, from the earliest (or from --start).":
        "计算一个月的薪酬。在新的输出目录上，先从最早的月份起(或从 --start 指定的月份起)依次计算之前每个"
        "有输入文件夹的月份。",
    "The month to compute, YYYY-MM (e.g. 2013-12).": "要计算的月份，格式 YYYY-MM(例如 2013-12)。",
    "Folder holding one sub-folder per month (YYYY-MM) of input files.":
        "输入目录：每月一个子文件夹(YYYY-MM)，内放当月输入文件。",
    "Output root: month folders, slips and the ledger are written here.":
        "输出目录：各月文件夹、薪酬单和台账都写在这里。",
    "Rulebook: a built-in name (securities, rcc) or the path of a branch's own TOML file.":
        "规则：内置名称(securities 证券、rcc 农信社)或营业部自己的 TOML 规则文件路径。",
    "Recompute a month that is already closed; the earlier outputs are kept as a numbered version.":
        "重新计算已结账的月份；原有输出作为编号版本保留。",
    "Compute the month under --rules without touching the ledger or the official outputs, and write a "
    "comparison workbook against the official run into this folder.":
        "按 --rules 的规则模拟测算该月，不改动台账和正式输出，并在此目录写出与正式结果的对比表。",
    "Begin a new output folder with this month, YYYY-MM: nothing before it is read; its folder may hold an "
    "opening file (期初数据).":
        "新的输出目录从此月份(YYYY-MM)开始：不读取之前的任何月份；该月文件夹可放期初数据文件 opening。",
    "Accept a rulebook whose content differs from the one this output folder used last; the parameters old → "
    "new are listed in the exceptions report and in run.json.":
        "接受与该输出目录上次所用内容不同的规则；变更的参数(旧值 → 新值)列入例外事项报告和 run.json。",
    "Slip formats, comma separated: xlsx, html, pdf (e.g. xlsx,pdf). HTML and PDF come from the templates.":
        "薪酬单格式，逗号分隔：xlsx、html、pdf(例如 xlsx,pdf)。HTML 和 PDF 由模板生成。",
    "Folder of slip templates (slip.html.j2, slip.css) overriding the built-in ones; default "
    "<input>/templates/ when it exists.":
        "薪酬单模板目录(slip.html.j2、slip.css)，替换内置模板；默认使用 <输入目录>/templates/(如存在)。",
    "Encrypt each slip with its manager's password (\\[slip_protection] of the rulebook; secret in "
    "$CM_PAYROLL_SLIP_SECRET); the password list is written next to slips/.":
        "用每位客户经理自己的密码加密其薪酬单(规则中的 \\[slip_protection]；密钥取自环境变量 "
        "$CM_PAYROLL_SLIP_SECRET)；密码表写在 slips/ 旁边。",
    "Print only errors.": "只显示错误。",
    "Print a machine-readable summary (for cron) on stdout instead of the table.":
        "在标准输出上输出供程序读取的 JSON 摘要(供 cron 使用)，代替表格。",
    "When another run holds the output folder's lock, wait for it to finish (at most SECONDS with "
    "--wait=SECONDS) instead of refusing.":
        "另一个运行占用该输出目录时，等待其结束(--wait=秒数：最多等待该秒数)，而不是拒绝运行。",
    "Compute every month of a year that has input files, in order. Months already computed with unchanged "
    "inputs are left as they are; months whose folders are still empty are pending.":
        "按顺序计算一年中每个有输入文件的月份。已计算且输入未变的月份保持不动；文件夹仍为空的月份列为待处理。",
    "The year to compute, e.g. 2013: every month folder of it.": "要计算的年份，例如 2013：该年的每个月份文件夹。",
    "Check a month's input files only: every error of every file, nothing computed or written.":
        "只检查一个月的输入文件：列出每个文件的每处错误，不计算、不写出任何文件。",
    "The month whose inputs to check, YYYY-MM.": "要检查输入的月份，格式 YYYY-MM。",
    "Write a realistic synthetic input tree (seeded, byte-for-byte reproducible). Benchmark trees of many "
    "managers: bench/make_tree.py.":
        "生成一套仿真的样例输入数据(固定随机种子，逐字节可复现)。大规模性能测试数据请用 bench/make_tree.py。",
    "Where to write the month folders (default sample_data/<rules>).": "月份文件夹写到哪里(默认 sample_data/<规则>)。",
    "Number of managers (the scripted cast plus random ones; default 60 securities, 40 rcc; at most 2,000).":
        "客户经理人数(预设人物加随机人员；默认证券 60 人、农信社 40 人；最多 2,000 人)。",
    "Random seed: the same seed writes the same bytes.": "随机种子：相同的种子写出相同的文件。",
    "First month, YYYY-MM.": "起始月份，格式 YYYY-MM。",
    "Last month, YYYY-MM (default 2014-03 securities, 2013-12 rcc).":
        "结束月份，格式 YYYY-MM(默认证券 2014-03、农信社 2013-12)。",
    "Replace an existing sample folder.": "替换已有的样例目录。",
    "Explain every number of one manager's pay: rule and article, parameters (with the date each took "
    "effect) and the input rows (file, sheet, row) it came from.":
        "逐项解释一位客户经理薪酬中的每个数字：规则及条款、参数(及其生效月份)和所依据的输入行(文件、工作表、行)。",
    "A closed month, YYYY-MM.": "已计算的月份，格式 YYYY-MM。",
    "The manager's 工号.": "客户经理的工号。",
    "Input folder, to show the input rows (default: the folder recorded in the month's run.json).":
        "输入目录，用于显示输入行(默认：该月 run.json 中记录的目录)。",
    "An earlier version of the month (after --force re-runs).": "该月较早的版本(用 --force 重新计算之后)。",
    "Print only errors and warnings (an input file changed since the run).":
        "只显示错误和警告(例如运行后输入文件被改动)。",
    "Reconcile two output workbooks cell by cell: rows matched by 工号, changes shown old → new, added and "
    "removed managers, totals of the differences. Exit 0 when equal, 1 when different.":
        "逐单元格核对两个输出工作簿：按工号对行，列出变化(旧值 → 新值)、新增和减少的人员及差额合计。"
        "相同时退出码 0，不同时 1。",
    "The earlier workbook (payroll summary, exceptions or slip).": "较早的工作簿(工资汇总表、例外事项报告或薪酬单)。",
    "The later workbook to compare with it.": "与之比较的较新工作簿。",
    "Money differences up to this amount (元) count as equal.": "金额差异不超过此数(元)时视为相同。",
    "Scaffold a branch: one input folder per month of the year, an editable copy of the rulebook TOML (with "
    "its comments) and a README for the clerk (in Chinese).":
        "为营业部建立目录：全年每月一个输入文件夹、一份可编辑的规则 TOML 副本(含注释)和一份中文操作说明 README。",
    "The branch folder to lay out (created if missing).": "要建立的营业部目录(不存在时自动创建)。",
    "The built-in rulebook to copy (securities, rcc).": "要复制的内置规则(securities、rcc)。",
    "The year of the month folders (default: this year).": "月份文件夹的年份(默认：今年)。",
    "Also copy the slip templates into DIR/templates/ (used automatically when DIR is the --input folder); "
    "on a folder already scaffolded, only adds them.":
        "同时把薪酬单模板复制到 DIR/templates/(DIR 作为 --input 时自动使用)；对已建立的目录只补充模板。",
    "Overwrite the scaffold's own files (README.md, rulebook.toml, templates); month folders are never "
    "touched.":
        "覆盖建目录时生成的文件(README.md、rulebook.toml、模板)；月份文件夹永不改动。",
    "Reference pages: `cm-payroll help rules`.": "参考页面：`cm-payroll help rules`。",
    "The rulebook's parameters in force, each with its article, origin (S seed / D default), the month it took "
    "effect and its value; then the exception types.":
        "列出规则中现行的参数：条款、来源(S 细则原文 / D 默认值)、生效月份和取值；然后是例外事项类型。",
    "Show the values in force in this month, YYYY-MM (default: this month).":
        "显示该月(YYYY-MM)适用的取值(默认：本月)。",
    "Recompute a signed or released month (a draft needs none): a signed month's signatures are discarded; a released month's differences are booked as corrections in the first month not released. Earlier outputs are kept as numbered versions.":
        '重新计算已签字或已发放的月份(草稿无需此项)：已签字月份的签字作废；已发放月份的差额作为更正计入第一个未发放的月份。原有输出作为编号版本保留。',
    'Who runs it (the 计算 role of S-Art.32); default the operating-system user.':
        '计算人(S-Art.32 的“计算”环节)；默认为操作系统用户名。',
    'On a new output folder: the months up to this one, YYYY-MM, were paid outside the tool; they are marked released (without signatures) as they are computed.':
        '仅用于新的输出目录：截至该月(YYYY-MM)的各月已在本工具之外发放；计算时即标记为已发放(无签字记录)。',
    'Sign a computed month (S-Art.32): 审核, then 复核, then 签批, each by another person. Refused when an output file was edited or deleted since the run, or (签批) while a case that needs an approval has no 审批号.':
        '为已计算的月份签字(S-Art.32)：依次审核、复核、签批，每一环节由不同的人签字。输出文件在运行后被修改或删除时拒绝签字；有需审批事项尚无审批号时拒绝签批。',
    'The month, YYYY-MM.':
        '月份，格式 YYYY-MM。',
    '审核 (review), 复核 (recheck) or 签批 (approve), in this order.':
        '审核、复核或签批，按此顺序。',
    'The name of the person who signs.':
        '签字人姓名。',
    'The output root of the month.':
        '该月所在的输出目录。',
    "Record approvals (S-Art.34) of a computed month's cases that need one, until 签批. They are kept in the ledger and listed in approvals_YYYY-MM.xlsx beside the month's outputs.":
        '记录已计算月份中需审批事项的审批号(S-Art.34)，签批前均可记录；审批记录保存在台账中，并列入该月输出旁的 approvals_YYYY-MM.xlsx。',
    'Approvals: 工号, 类型代码, 项目, 审批号, 说明 (.xlsx, .xls, .csv, .ods or .parquet).':
        '审批文件：工号、类型代码、项目、审批号、说明(.xlsx、.xls、.csv、.ods 或 .parquet)。',
    'Release an approved month (its earlier months released): writes 资金申请单 (fund request per branch) and 发放清单 (payment list; withheld managers apart) beside its outputs.':
        '发放已签批的月份(之前各月须已发放)：在该月输出旁写出资金申请单(按营业部)和发放清单(暂扣人员另列)。',
    'Release the withheld pay of this 工号 (a released month; the handover done).':
        '发放该工号的暂扣薪酬(月份已发放、交接已完成)。',
    'The 审批号 releasing the withheld pay.':
        '发放暂扣薪酬的审批号。',
    "Input root, for the roster's 银行账号 (default: the folder the run read).":
        '输入目录，用于读取花名册中的银行账号(默认：运行时读取的目录)。',
    "Each computed month's state, signatures, open approvals and corrections.":
        '各已计算月份的状态、签字、待审批事项和更正。',
    'One month, YYYY-MM (default: every month).':
        '某一个月，格式 YYYY-MM(默认：所有月份)。',
    'Spot-check output roots (S-Art.35): ledger, outputs against their signatures, inputs and a recomputation, approvals, sign-off. Exit 0 when clean, 1 with findings.':
        '抽查输出目录(S-Art.35)：台账、输出文件与签字、输入文件与重新计算、审批、签字流程。无问题退出码 0，有问题 1。',
    'Output roots (one per branch) to check.':
        '要抽查的输出目录(每个营业部一个)。',
    'Input root of the months (default: the folder each run read, from run.json).':
        '各月的输入目录(默认：run.json 中记录的运行时目录)。',
    'Write the findings to this workbook (.xlsx): one consolidated report for every root.':
        '将抽查结果写入此工作簿(.xlsx)：所有输出目录合为一份报告。',
}
