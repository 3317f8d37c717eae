"""Seeded synthetic input trees (`cm-payroll sample`)."""
