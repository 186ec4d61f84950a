"""Renderers: text, LaTeX, JSON, plots and other libraries' objects, all drawn from the record."""
