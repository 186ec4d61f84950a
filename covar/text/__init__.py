"""Text input: user text read by a whitelist walk of Python's ast, and densities built from it."""
