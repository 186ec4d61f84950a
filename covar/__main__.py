"""``python -m covar``: the command line, as the ``covar`` program runs it."""
from covar.cli.main import main

main()
