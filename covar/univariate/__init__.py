"""Univariate stages: pieces of monotonicity, inverses, cell sums, simplification, recognition."""
