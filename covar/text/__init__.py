"""Text input: user text read by a whitelist walk of Python's ast, and densities built from it.

One module per job, in the order text flows through them:

- :mod:`~covar.text.limits` -- size limits, the length check, short error messages;
- :mod:`~covar.text.vocabulary` -- the whitelisted functions, constants and symbol names;
- :mod:`~covar.text.syntax` -- text to a screened Python AST (syntax, brackets, size, nodes);
- :mod:`~covar.text.magnitudes` -- numeric guards: defined, real, bounded values;
- :mod:`~covar.text.expressions` -- ``parse_expr``: the AST built into sympy;
- :mod:`~covar.text.calls` -- ``parse_call``: ``Name(args)`` distribution calls;
- :mod:`~covar.text.sets` -- ``parse_set``: intervals, unions, finite and named sets;
- :mod:`~covar.text.assumptions` -- ``parse_assumptions`` (``--assume``) and ``make_symbols``;
- :mod:`~covar.text.values` -- ``as_sympy``/``as_expression``/``as_set``: any user value to sympy;
- :mod:`~covar.text.inputs` -- ``parse_density``: densities from text.

Nothing here calls ``eval``, or ``sympify`` on a user's string.
"""
