"""``covar flow``: a normalizing flow written as layer specs on the command line, read into covar.flows.

A layer spec is ``KIND [ARG] | key: value | ...``; every layer's inputs are z1..zd:

* ``coupling MASK | s: S1, S2 | t: T1, T2`` — RealNVP affine coupling; MASK like ``1100`` (1 passes
  through), s and t one expression per transformed component, in the pass-through inputs
* ``permute P`` — y_i = z_{P[i]} with P like ``1,0`` (0-based)
* ``exp``, ``tanh``, ``sigmoid``, ``leaky_relu`` — elementwise; ``| mask: 10``, ``| slope: 1/10``
* ``realnvp`` — the worked 4-D RealNVP example of covar.flows (concrete s and t)
"""
from __future__ import annotations

from typing import Any

from covar.text.vectors import split_top_level

_ELEMENTWISE = ("exp", "tanh", "sigmoid", "leaky_relu")


def _usage(message: str) -> Exception:
    from covar.cli.main import UsageFailure

    return UsageFailure(message)


def read_layer(spec: str, dim: int | None) -> Any:
    """One layer from its spec (``dim`` is the flow's dimension, when known).

    >>> read_layer("coupling 10 | s: z1/2 | t: z1**2", None).log_det_jacobian
    z1/2
    >>> read_layer("permute 1,0", 2).perm
    (1, 0)
    """
    from covar.flows import AffineCoupling, Elementwise, Permutation, realnvp_4d_example

    head, *options = [part.strip() for part in spec.split("|")]
    kind, _, arg = head.partition(" ")
    keys: dict[str, str] = {}
    for option in options:
        key, sep, value = option.partition(":")
        if not sep:
            raise _usage(f"--layer {spec!r}: write options as 'key: value', e.g. '| s: z1/2'")
        keys[key.strip()] = value.strip()
    arg = arg.strip()
    if kind == "realnvp":
        return realnvp_4d_example(concrete=True)[0]
    if kind == "coupling":
        if set(keys) != {"s", "t"} or not arg:
            raise _usage(f"--layer {spec!r}: write 'coupling MASK | s: S1, ... | t: T1, ...'")
        return AffineCoupling(_mask(arg, spec), tuple(split_top_level(keys["s"], ",")),
                              tuple(split_top_level(keys["t"], ",")))
    if kind == "permute":
        try:
            return Permutation(tuple(int(p) for p in arg.split(",")))
        except ValueError:
            raise _usage(f"--layer {spec!r}: write 'permute 1,0' (0-based indices)") from None
    if kind in _ELEMENTWISE:
        unknown = set(keys) - {"mask", "slope"}
        if unknown:
            raise _usage(f"--layer {spec!r}: unknown option {sorted(unknown)[0]!r} (mask, slope)")
        mask = _mask(keys["mask"], spec) if "mask" in keys else ()
        if not mask and dim is None:
            raise _usage(f"--layer {spec!r}: give '| mask: 11' or put the layer after one that fixes the dimension")
        return Elementwise(kind, dim=dim, mask=mask, slope=keys.get("slope"))
    raise _usage(f"--layer {spec!r}: unknown kind {kind!r}; use coupling, permute, realnvp, "
                 f"{', '.join(_ELEMENTWISE)}")


def _mask(text: str, spec: str) -> tuple[int, ...]:
    digits = text.replace(",", "").replace(" ", "")
    if not digits or set(digits) - {"0", "1"}:
        raise _usage(f"--layer {spec!r}: a mask is a string of 0 and 1, e.g. 1100")
    return tuple(int(d) for d in digits)


def flow_law(specs: tuple[str, ...], base: str | None, timeout: float) -> Any:
    """The JointDensity of the flow's output for ``base`` (independent families joined by *;
    default: independent standard normals)."""
    import covar
    from covar.text.vectors import joint_factors
    from covar.flows import Flow, flow_density
    from covar.numeric.budget import time_budget

    if not specs:
        raise _usage("give at least one --layer, e.g. --layer realnvp")
    with time_budget(timeout, "deriving the flow"):
        layers: list[Any] = []
        for spec in specs:
            layers.append(read_layer(spec, layers[-1].dim if layers else None))
        flow = layers[0] if len(layers) == 1 else Flow(tuple(layers))
        if base is None:
            factors = ["Normal(0, 1)"] * flow.dim
        else:
            found = joint_factors(base) or ([base] if flow.dim == 1 else None)
            if found is None:
                raise _usage(f"--base {base!r}: give {flow.dim} independent families joined by *")
            factors = found
        if len(factors) != flow.dim:
            raise _usage(f"--base has {len(factors)} factors, the flow {flow.dim} dimensions")
        try:
            joint = covar.independent(*(covar.parse_density(f) for f in factors))
        except covar.ParseError as exc:
            raise _usage(f"--base {base!r}: {exc}") from exc
        return flow_density(flow, joint)
