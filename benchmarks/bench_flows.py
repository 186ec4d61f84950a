"""Benchmark: deriving affine-coupling flows symbolically, and evaluating their log-dets.

    python benchmarks/bench_flows.py

For d = 2, 8, 32, 128, 256 it prints the time to derive one coupling layer (forward map,
closed-form inverse, log|det J| and its inverse, from the structure) and a 4-layer stack
(the same, layer by layer in intermediate symbols: ``Flow.steps``), with the growth between
successive d; the time to compose the stack's closed forms on request; and the time to
evaluate the lambdified log-det on 10^4 points against a hand-written numpy sum of s_i. At
the largest d it adds numpy slogdet of a finite-difference Jacobian for comparison, and
ends with a line saying whether each target is met.
"""
from __future__ import annotations

import time
import timeit
from typing import Callable

import numpy as np
import sympy as sp
from sympy.core.cache import clear_cache

from covar.numeric.checks import finite_difference_jacobian
from covar.flows import AffineCoupling, Flow, Permutation, default_symbols

DIMS = (2, 8, 32, 128, 256)
BATCH = 10_000
SMALL_BATCH = 32  # the batch size of a training step: per-call overhead dominates
LAYER_TARGET_S, STACK_TARGET_S, EVAL_TARGET_RATIO = 2.0, 3.0, 2.0
SLOPE_TARGET = 1.2  # log-log slope of derivation time over d >= 32: 1 is linear
REPEATS = 5  # best of, for derivation times: the machine may be shared


def make_layer(d: int, shift: int, z: tuple[sp.Symbol, ...]) -> AffineCoupling:
    """Alternating mask; s_k = w_k tanh(z_a + z_b / 2), t_k = z_a / 3 (each uses 2 inputs)."""
    mask = tuple((i + shift) % 2 for i in range(d))
    A = [z[i] for i in range(d) if mask[i]]
    n = len(A)
    s = tuple(sp.Rational(k % 7 + 1, 10) * sp.tanh(A[k] + A[(k + 1) % n] / 2) for k in range(d - n))
    t = tuple(A[k] / 3 for k in range(d - n))
    return AffineCoupling(mask, s, t, inputs=z)


def make_stack(d: int) -> Flow:
    z = default_symbols("z", d)
    rev = Permutation(tuple(reversed(range(d))), inputs=z)
    return Flow((make_layer(d, 0, z), rev, make_layer(d, 1, z), make_layer(d, 0, z)))


def derive_layer(d: int) -> AffineCoupling:
    """Define a layer and derive what a user sees: forward, inverse and both log-dets."""
    layer = make_layer(d, 0, default_symbols("z", d))
    _ = layer.forward, layer.inverse, layer.log_det_jacobian, layer.inverse_log_det_jacobian
    return layer


def derive_stack(d: int) -> Flow:
    """Define a 4-layer stack and derive it: every layer's maps and log-dets in intermediate symbols."""
    stack = make_stack(d)
    _ = stack.steps
    return stack


def compose_stack(d: int) -> Flow:
    """The stack's closed forms in z (resp. y) alone, which Flow builds only on request."""
    stack = make_stack(d)
    _ = stack.forward, stack.inverse, stack.log_det_jacobian
    return stack


def cold_time(f: Callable[[], object]) -> float:
    """One run after clearing sympy's cache, so it cannot reuse expressions another run built."""
    clear_cache()
    start = time.perf_counter()
    f()
    return time.perf_counter() - start


def derivation_times() -> dict[int, tuple[float, float]]:
    """{d: (best layer time, best stack time)}; repeats go round-robin over d so that a burst of
    load on a shared machine hits every d alike instead of bending the growth curve."""
    best = {d: (np.inf, np.inf) for d in DIMS}
    for _ in range(REPEATS):
        for d in DIMS:
            layer, stack = cold_time(lambda: derive_layer(d)), cold_time(lambda: derive_stack(d))
            best[d] = (min(best[d][0], layer), min(best[d][1], stack))
    return best


def best_of(f: Callable[[], object], repeats: int = 7, number: int = 10) -> float:
    """Seconds per call: the best of ``repeats`` means over ``number`` calls (sub-ms calls are noisy)."""
    return min(timeit.repeat(f, number=number, repeat=repeats)) / number


def hand_written(d: int) -> Callable[[np.ndarray], np.ndarray]:
    """The numpy a practitioner would write for sum_k s_k for the same layer."""
    A = np.array([i for i in range(d) if i % 2 == 1])
    n = len(A)
    k = np.arange(d - n)
    w = (k % 7 + 1) / 10
    a, b = A[k], A[(k + 1) % n]

    def logdet(Z: np.ndarray) -> np.ndarray:
        return (w * np.tanh(Z[:, a] + Z[:, b] / 2)).sum(axis=1)

    return logdet


def slope(ds: list[int], ts: list[float]) -> float:
    """Least-squares exponent p in t ~ d^p."""
    return float(np.polyfit(np.log(ds), np.log(ts), 1)[0])


def main() -> None:
    rng = np.random.default_rng(0)
    print(f"derivation times are best of {REPEATS} from a cold sympy cache; x prev = time / time at the previous d")
    print(f"{'d':>5} {'d x':>4} | {'layer derive s':>14} {'x prev':>6} | {'4-stack derive s':>16} {'x prev':>6} "
          f"| {'closed form s':>13} | {'lambdify s':>10} {'logdet ms':>9} {'hand ms':>8} {'ratio':>5} {'max|diff|':>9}")
    rows, derived = [], derivation_times()
    for d in DIMS:
        (t_layer, t_stack), t_closed = derived[d], cold_time(lambda: compose_stack(d))
        layer = derive_layer(d)
        start = time.perf_counter()
        ld = layer.numpy_log_det()
        t_lambdify = time.perf_counter() - start
        Z = rng.normal(size=(BATCH, d))
        hand = hand_written(d)
        diff = float(np.max(np.abs(ld(Z) - hand(Z))))
        t_eval, t_hand = best_of(lambda: ld(Z)), best_of(lambda: hand(Z))
        prev = rows[-1] if rows else None
        growth = (lambda i, t: f"{t / prev[i]:>6.2f}" if prev else f"{'':>6}")
        print(f"{d:>5} {d // prev[0] if prev else '':>4} | {t_layer:>14.3f} {growth(1, t_layer)} | {t_stack:>16.3f} "
              f"{growth(2, t_stack)} | {t_closed:>13.3f} | {t_lambdify:>10.3f} {1e3 * t_eval:>9.3f} "
              f"{1e3 * t_hand:>8.3f} {t_eval / t_hand:>5.2f} {diff:>9.1e}")
        Zs = rng.normal(size=(SMALL_BATCH, d))
        small = best_of(lambda: ld(Zs), number=200) / best_of(lambda: hand(Zs), number=200)
        rows.append((d, t_layer, t_stack, t_eval / t_hand, small))

    d = DIMS[-1]
    layer = derive_layer(d)
    Zs = rng.normal(size=(20, d))
    start = time.perf_counter()
    Jac = finite_difference_jacobian(layer.numpy_forward(), Zs)
    t_jac = time.perf_counter() - start
    start = time.perf_counter()
    ref = np.linalg.slogdet(Jac)[1]
    t_slogdet = time.perf_counter() - start
    err = float(np.max(np.abs(ref - layer.numpy_log_det()(Zs))))
    per_point = (t_jac + t_slogdet) / len(Zs)
    Zb = rng.normal(size=(BATCH, d))
    t_structured = best_of(lambda: layer.numpy_log_det()(Zb), 3, 3)
    print(f"\nd = {d}, numerically formed Jacobian + numpy slogdet: {1e3 * per_point:.2f} ms per point "
          f"({1e3 * t_jac / len(Zs):.2f} forming, {1e3 * t_slogdet / len(Zs):.2f} slogdet), "
          f"i.e. {per_point * BATCH:.0f} s for {BATCH} points vs {1e3 * t_structured:.1f} ms structured; "
          f"max |structured - slogdet| = {err:.1e}")

    big = [r for r in rows if r[0] >= 32]
    p_layer = slope([r[0] for r in big], [r[1] for r in big])
    p_stack = slope([r[0] for r in big], [r[2] for r in big])
    t_layer, t_stack, worst = rows[-1][1], rows[-1][2], max(r[3] for r in rows)
    print(f"\nlog-det at {SMALL_BATCH} points, covar / hand numpy: "
          + ", ".join(f"d={r[0]} {r[4]:.2f}x" for r in rows))
    verdict = (lambda ok: "MET" if ok else "NOT MET")
    print(f"\ntargets: d={d} layer derived in <= {LAYER_TARGET_S:g} s: {verdict(t_layer <= LAYER_TARGET_S)} "
          f"({t_layer:.2f} s); d={d} 4-layer stack <= {STACK_TARGET_S:g} s: {verdict(t_stack <= STACK_TARGET_S)} "
          f"({t_stack:.2f} s); linear growth (time ~ d^p, p <= {SLOPE_TARGET:g} over d >= 32): layer "
          f"{verdict(p_layer <= SLOPE_TARGET)} (p = {p_layer:.2f}), stack {verdict(p_stack <= SLOPE_TARGET)} "
          f"(p = {p_stack:.2f}); log-det eval <= {EVAL_TARGET_RATIO:g}x hand numpy at every d: "
          f"{verdict(worst <= EVAL_TARGET_RATIO)} (worst {worst:.2f}x); at {SMALL_BATCH} points, d={d}: "
          f"{verdict(rows[-1][4] <= EVAL_TARGET_RATIO)} ({rows[-1][4]:.2f}x)")


if __name__ == "__main__":
    main()
