"""cm-payroll: grade and pay customer managers month by month from back-office exports.

Data flow, one module per stage:
    load (load/) → validate (validate.py) → aggregate + rules (rulebooks/<name>/) → ledger (ledger.py)
    → render (render/)
The orchestration of one run lives in pipeline.py; the command line in cli.py is a thin layer over it.
"""

__version__ = "0.1.0"
