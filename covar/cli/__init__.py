"""covar.cli: the ``covar`` command line (entry point ``covar.cli.main:main``).

It reads text, calls covar's public API and renders the Derivation record; it never derives
anything itself. Heavy imports (sympy, numpy, covar) happen inside commands so that
``covar --help`` and ``covar --version`` start instantly.
"""
