"""Multivariate stages: inverses and Jacobians of maps of random vectors, branch sums, marginals."""
