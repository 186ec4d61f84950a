"""``covar serve``: the derivation in a web page (the ``covar[web]`` extra: starlette, uvicorn).

Modules: :mod:`.app` the ASGI application, :mod:`.problem` the request's fields and cache key,
:mod:`.jobs` what a worker does (:mod:`.reading` the problem read as the CLI reads it,
:mod:`.pictures` its figure, warped grid and animation), :mod:`.workers` the pool of worker
processes, :mod:`.cache` answers by problem, :mod:`.gallery` the examples page,
:mod:`.serve` the command. The page itself (HTML, CSS, JS) is in ``static/``.
"""
