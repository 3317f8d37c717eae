"""Helpers of tests/test_bad_input.py: a small valid securities month, written as .xlsx/.csv."""
