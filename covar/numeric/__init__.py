"""Numeric machinery: fast evaluators, sampling, the verification gate, checks and time budgets."""
