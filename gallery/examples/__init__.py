"""The gallery's examples, one module each, in the order of the index.

Each module defines ``example() -> gallery.Example``; module constants ``COST`` (a rough
build time, to schedule the slow ones first), ``ANIMATED`` and ``STAGES`` (maps animated in
turn) feed the progress bar and the scheduler without building the example.
"""
NAMES = ("shift", "scale", "log_gamma", "sqrt_chi2", "square", "abs_value", "relu",
         "composition", "polar", "realnvp")
