from cm_payroll.cli import main

main()
