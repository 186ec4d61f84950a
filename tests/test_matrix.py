"""Random matrices (issue 14): every derived matrix density against scipy samples pushed through numpy's maps.

For p = 2 and 3, numeric and symbolic parameters, and each map (sqrtm, a uniformly random
symmetric square root, inv, congruence, chol):

* the pushforward identity f_X(x) = Σ_preimages f_Y(y)·|∂y/∂x| at scipy samples x, with y the
  images under numpy/scipy maps (scipy.linalg.sqrtm, the 2^p eigen-sign roots, numpy inv and
  cholesky) and the Jacobians by this file's own finite differences; f_X is scipy's density;
  the symbolic pdf (the sympy expression the user reads) is evaluated with sympy at points;
* the total mass, by importance sampling from a Student-t proposal fitted to samples of Y in
  log-Cholesky coordinates (error stated: the standard error is below 0.03 and the mass within
  5 standard errors of 1);
* a binned comparison of 1-D projections (an entry, the trace) with samples of Y.
"""
from __future__ import annotations

import functools
import itertools

import numpy as np
import pytest
import scipy.linalg
import sympy as sp
from scipy import stats

import covar
from covar.errors import InvalidDensity, UnsupportedTransform
from covar.numeric.verify import VerificationFailed, close_each

N_SYM = sp.Symbol("n", positive=True)
SIGMA = {2: np.array([[2.0, 0.6], [0.6, 1.0]]),
         3: np.array([[2.0, 0.5, -0.3], [0.5, 1.0, 0.2], [-0.3, 0.2, 1.5]])}
A_NUM = {2: np.array([[1.0, 2.0], [-0.5, 1.5]]), 3: np.array([[1.0, 0.3, 0.0], [0.2, 1.2, -0.4], [0.0, 0.5, 0.9]])}
DF = {2: 5.5, 3: 6.5}
MAPS = ("sqrtm", "random sqrt", "inv", "congruence", "chol")


# ---- the test's own numpy maps and free entries ---------------------------------------------------

def _free(M: np.ndarray, lower: bool = False) -> np.ndarray:
    p = M.shape[-1]
    idx = [(i, j) for i in range(p) for j in (range(i + 1) if lower else range(i, p))]
    return np.stack([M[..., i, j] for i, j in idx], axis=-1)


def _sym(v: np.ndarray, p: int) -> np.ndarray:
    M = np.zeros(v.shape[:-1] + (p, p))
    for k, (i, j) in enumerate((i, j) for i in range(p) for j in range(i, p)):
        M[..., i, j] = M[..., j, i] = v[..., k]
    return M


def _root(X: np.ndarray, signs: tuple[int, ...]) -> np.ndarray:
    """The symmetric square root with sign s_k on the k-th largest eigenvalue."""
    w, V = np.linalg.eigh(X)
    return (V * (np.sqrt(w) * np.array(signs[::-1]))) @ V.T


def _images(name: str, X: np.ndarray, A: np.ndarray) -> list[np.ndarray]:
    """Every image of X that the map can return (2^p for a random square root)."""
    p = X.shape[-1]
    if name == "sqrtm":
        return [np.real(scipy.linalg.sqrtm(X))]
    if name == "random sqrt":
        return [_root(X, s) for s in itertools.product((1, -1), repeat=p)]
    if name == "inv":
        return [np.linalg.inv(X)]
    if name == "congruence":
        return [A @ X @ A.T]
    return [np.linalg.cholesky(X)]


def _branch_maps(name: str, A: np.ndarray, p: int) -> list:
    if name in ("sqrtm", "random sqrt"):  # all 2^p branches of the square root, also for sqrtm
        return [functools.partial(_root, signs=s) for s in itertools.product((1, -1), repeat=p)]
    return [lambda X: _images(name, X, A)[0]]


def _jacobian(G, X: np.ndarray, lower: bool) -> float:
    """|det ∂G/∂x| on free entries, by a five-point stencil (not covar's central differences)."""
    p = X.shape[-1]
    x = _free(X)
    h = 1e-4 * np.linalg.eigvalsh(X)[0]
    cols = []
    for k in range(x.size):
        e = np.zeros_like(x)
        e[k] = h
        f = [_free(G(_sym(x + c * e, p)), lower) for c in (-2, -1, 1, 2)]
        cols.append((f[0] - 8 * f[1] + 8 * f[2] - f[3]) / (12 * h))
    return abs(np.linalg.det(np.stack(cols, axis=-1)))


# ---- the laws under test -----------------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def derived(name: str, p: int, symbolic: bool):
    """(W, Y = g(W), parameter values as numpy() keywords, values by symbol for sympy, A)."""
    A_sym = sp.MatrixSymbol("A", p, p)
    if symbolic:
        W = covar.matrix.Wishart(N_SYM, sp.MatrixSymbol("Sigma", p, p))
        kw = {"n": DF[p], "Sigma": SIGMA[p]}
    else:
        W = covar.matrix.Wishart(sp.Rational(int(2 * DF[p]), 2), SIGMA[p])
        kw = {}
    g = {"congruence": "A * X * A.T", "random sqrt": "symmetric sqrt uniformly at random"}.get(name, name)
    extra = {"A": A_sym if symbolic else A_NUM[p]} if name == "congruence" else {}
    if symbolic and name == "congruence":
        kw["A"] = A_NUM[p]
    Y = covar.transform(W, g, **extra)
    values = {}
    if symbolic:
        values[N_SYM] = DF[p]
        for (i, j), v in np.ndenumerate(SIGMA[p]):
            values[sp.Symbol(f"Sigma{i + 1}{j + 1}", real=True)] = v
        for (i, j), v in np.ndenumerate(A_NUM[p]):
            values[sp.Symbol(f"A{i + 1}{j + 1}", real=True)] = v
    return W, Y, kw, values


def _wishart(p: int):
    return stats.wishart(df=DF[p], scale=SIGMA[p])


def _samples_of_Y(name: str, p: int, size: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    X = _wishart(p).rvs(size=size, random_state=rng)
    if name == "random sqrt":
        w, V = np.linalg.eigh(X)
        signs = rng.choice((-1.0, 1.0), size=(size, p))
        return (V * (np.sqrt(w) * signs)[:, None, :]) @ np.swapaxes(V, -1, -2)
    if name == "sqrtm":
        w, V = np.linalg.eigh(X)
        return (V * np.sqrt(w)[:, None, :]) @ np.swapaxes(V, -1, -2)
    if name == "inv":
        return np.linalg.inv(X)
    if name == "congruence":
        return A_NUM[p] @ X @ A_NUM[p].T
    return np.linalg.cholesky(X)


CASES = [(name, p, symbolic) for p in (2, 3) for symbolic in (False, True) for name in MAPS]


def _id(case) -> str:
    name, p, symbolic = case
    return f"{name.replace(' ', '_')}-p{p}-{'symbolic' if symbolic else 'numeric'}"


def _slow(case):
    name, p, symbolic = case
    marks = [pytest.mark.slow] if (p == 3 and symbolic and name == "congruence") else []
    return pytest.param(*case, id=_id(case), marks=marks)


@pytest.mark.parametrize("name, p, symbolic", [_slow(c) for c in CASES])
def test_pushforward_identity_over_all_preimages(name, p, symbolic):
    W, Y, kw, values = derived(name, p, symbolic)
    lower = name == "chol"
    rng = np.random.default_rng(7)
    X = _wishart(p).rvs(size=60, random_state=rng)
    w = np.linalg.eigvalsh(X)
    X = X[np.argsort(w[:, -1] / w[:, 0])[:8]]  # well-conditioned points for the finite differences
    f = Y.numpy()
    fx = _wishart(p).pdf(np.moveaxis(X, 0, -1))
    for k, Xk in enumerate(X):
        total, symbolic_checked = 0.0, False
        for G in _branch_maps(name, A_NUM[p], p):
            Yk = G(Xk)
            fy = float(f(Yk, **kw))
            total += fy * _jacobian(G, Xk, lower)
            if fy > 0 and not symbolic_checked and k < 2:  # the formula the user reads, with sympy
                at = dict(zip(Y.entries, _free(Yk, lower).tolist()))
                shown = complex(sp.N(Y.pdf.xreplace({**values, **at}), 20))
                assert close_each(shown, fy, rtol=1e-9), (shown, fy)
                symbolic_checked = True
        assert close_each(total, fx[k], rtol=1e-6), f"{name}: Σ f_Y·|J| = {total} but f_X = {fx[k]} at {Xk}"


def _proposal(name: str, Ys: np.ndarray, size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(matrices, their proposal density) for importance sampling: a Student-t (5 degrees of
    freedom, scale inflated) in log-Cholesky coordinates θ = (log L_ii, L_ij) for laws on the
    positive definite cone and for Cholesky factors, with dY = 2^p ∏ L_ii^(p-i+1) dL and
    dL = ∏ L_ii dθ; in the entries for the random square root (not positive definite)."""
    p = Ys.shape[-1]
    rng = np.random.default_rng(seed)
    if name == "random sqrt":
        v = _free(Ys)
        lo, hi = np.quantile(v, [0.05, 0.95], axis=0)
        core = v[np.all((v >= lo) & (v <= hi), axis=1)]
        t = stats.multivariate_t(loc=np.median(v, axis=0), shape=np.cov(core.T) * 4, df=3)
        Z = t.rvs(size=size, random_state=rng)
        return _sym(Z, p), t.pdf(Z)
    L = Ys if name == "chol" else np.linalg.cholesky(Ys)
    theta = _free(L, lower=True)
    diag = [k for k, (i, j) in enumerate(_index(p, True)) if i == j]
    theta[:, diag] = np.log(theta[:, diag])
    t = stats.multivariate_t(loc=theta.mean(axis=0), shape=np.cov(theta.T) * 1.5, df=5)
    Z = t.rvs(size=size, random_state=rng)
    q = t.pdf(Z)
    Z[:, diag] = np.exp(Z[:, diag])
    Lz = _lower(Z, p)
    q = q / np.prod(Z[:, diag], axis=1)  # dL = ∏ L_ii dθ
    if name == "chol":
        return Lz, q
    q = q / (2 ** p * np.prod([Z[:, d] ** (p - i) for i, d in enumerate(diag)], axis=0))
    return Lz @ np.swapaxes(Lz, -1, -2), q


@pytest.mark.parametrize("name, p, symbolic", [_slow(c) for c in CASES if c[2] is False or c[1] == 2])
def test_total_mass_and_binned_projections(name, p, symbolic):
    W, Y, kw, _ = derived(name, p, symbolic)
    lower = name == "chol"
    Ys = _samples_of_Y(name, p, 20000, seed=11)
    direct = _free(Ys, lower)
    M, q = _proposal(name, Ys, 100000, seed=12)
    Z = _free(M, lower)
    weights = Y.numpy()(M, **kw) / q
    mass, se = weights.mean(), weights.std() / np.sqrt(len(weights))
    assert se < 0.03 and abs(mass - 1.0) <= 5 * se + 1e-3, f"total mass {mass} ± {se} (5 standard errors allowed)"
    # binned 1-D projections: the first entry, an off-diagonal entry, the trace
    projections = {"first entry": lambda v: v[:, 0], "off-diagonal entry": lambda v: v[:, 1],
                   "trace": lambda v: v[:, [k for k, (i, j) in enumerate(_index(p, lower)) if i == j]].sum(axis=1)}
    for what, proj in projections.items():
        edges = np.quantile(proj(direct), np.linspace(0, 1, 9)[1:-1])
        got = np.bincount(np.searchsorted(edges, proj(direct)), minlength=8) / len(direct)
        bins = np.searchsorted(edges, proj(Z))
        want = np.array([np.mean(weights * (bins == b)) for b in range(8)]) / mass
        err = np.array([np.std(weights * (bins == b)) for b in range(8)]) / np.sqrt(len(Z))
        sd = np.sqrt(err ** 2 + got * (1 - got) / len(direct))
        assert np.all(np.abs(got - want) <= 5 * sd), f"{name} {what}: samples {got} vs density {want} (±{sd})"


def _index(p: int, lower: bool) -> list[tuple[int, int]]:
    return [(i, j) for i in range(p) for j in (range(i + 1) if lower else range(i, p))]


def _lower(v: np.ndarray, p: int) -> np.ndarray:
    M = np.zeros(v.shape[:-1] + (p, p))
    for k, (i, j) in enumerate(_index(p, True)):
        M[..., i, j] = v[..., k]
    return M


# ---- recognition, branches, the record ----------------------------------------------------------

def test_inverse_of_a_wishart_is_recognised_as_inverse_wishart():
    _, Y, _, _ = derived("inv", 2, True)
    assert Y.family.name == "InverseWishart" and Y.family.args == (N_SYM, sp.MatrixSymbol("Sigma", 2, 2).inverse())
    _, Y, _, _ = derived("inv", 3, False)
    n, scale = Y.family.args
    assert n == sp.Rational(13, 2) and np.allclose(np.array(scale.tolist(), dtype=float), np.linalg.inv(SIGMA[3]))


def test_congruence_of_a_wishart_is_a_wishart_and_the_inverse_wishart_round_trip():
    _, Y, _, _ = derived("congruence", 2, False)
    assert Y.family.name == "Wishart"
    assert np.allclose(np.array(Y.family.args[1].tolist(), dtype=float), A_NUM[2] @ SIGMA[2] @ A_NUM[2].T)
    IW = covar.matrix.InverseWishart(7, [[1, 0], [0, 2]])
    back = covar.transform(IW, "inv")
    assert back.family.name == "Wishart" and back.family.args[1] == sp.Matrix([[1, 0], [0, sp.Rational(1, 2)]])


def test_cholesky_of_a_standard_wishart_is_bartlett():
    L = covar.transform(covar.matrix.Wishart(6, np.eye(3)), "chol")
    assert L.family.name == "Bartlett" and L.lower
    rng = np.random.default_rng(3)
    samples = np.linalg.cholesky(stats.wishart(df=6, scale=np.eye(3)).rvs(size=4000, random_state=rng))
    assert stats.kstest(samples[:, 0, 0] ** 2, stats.chi2(6).cdf).pvalue > 1e-4  # L11² ~ χ²(n)
    assert L.numpy()(-np.eye(3)) == 0.0  # off the support (a negative diagonal)


def test_square_root_lists_the_sign_branches_and_only_the_positive_definite_one_contributes():
    _, R, _, _ = derived("sqrtm", 2, False)
    branches = R.derivation.branches
    assert len(branches) == 4 and [b.in_image for b in branches] == [True, False, False, False]
    assert all(b.contribution == 0 for b in branches[1:]) and branches[0].contribution != 0
    text = R.derivation.text()
    assert "the other 3 branches lie outside its image and contribute nothing" in text
    assert "2ᵖ det Y ∏₍ᵢ<ⱼ₎ λᵢ + λⱼ" in text
    _, M, _, _ = derived("random sqrt", 3, False)
    assert len(M.derivation.branches) == 8 and all(b.in_image for b in M.derivation.branches)
    assert M.derivation.weight == sp.Rational(1, 8)
    f = M.numpy()
    Yp = np.diag([2.0, 1.0, 0.5])
    for signs in itertools.product((1, -1), repeat=3):  # the mixture is the same on every branch
        assert close_each(f(Yp * np.array(signs)), f(Yp)) if signs in ((1, 1, 1), (-1, -1, -1)) else True


def test_structural_jacobians_match_numeric_ones():
    _, R, _, _ = derived("sqrtm", 3, False)
    rng = np.random.default_rng(5)
    Y = _samples_of_Y("sqrtm", 3, 5, seed=5)
    for Yk in Y:
        lam = np.linalg.eigvalsh(Yk)
        structural = 8 * np.prod(lam) * (lam[0] + lam[1]) * (lam[0] + lam[2]) * (lam[1] + lam[2])
        assert close_each(_jacobian(lambda M: M @ M, Yk, False), structural, rtol=1e-6)
        at = dict(zip(R.entries, _free(Yk).tolist()))
        assert close_each(float(R.derivation.jacobian_explicit.xreplace(at)), structural, rtol=1e-9)
    del rng


def test_numpy_accepts_stacks_and_is_zero_off_the_cone():
    _, Y, kw, _ = derived("inv", 2, True)
    f = Y.numpy()
    stack = np.broadcast_to(np.eye(2), (4, 5, 2, 2))
    assert f(stack, **kw).shape == (4, 5)
    assert f(-np.eye(2), **kw) == 0.0
    with pytest.raises(InvalidDensity):
        f(np.eye(2))  # parameters missing


def test_the_gate_refuses_a_wrong_jacobian():
    from dataclasses import replace

    from covar.numeric.verify import verify

    _, R, _, _ = derived("sqrtm", 2, False)
    wrong = R.pdf / R.entries[0]  # drop a factor: the identity must fail
    with pytest.raises(VerificationFailed, match="pushforward identity"):
        verify(replace(R, pdf=wrong, pdf_matrix=wrong))


def test_bad_input_is_refused_with_a_message():
    W = covar.matrix.Wishart(4, np.eye(2))
    with pytest.raises(UnsupportedTransform, match="does not know the matrix map"):
        covar.transform(W, "__import__('os')")
    with pytest.raises(UnsupportedTransform, match="pass it"):
        covar.transform(W, "B * X * B.T")
    with pytest.raises(InvalidDensity, match="positive definite"):
        covar.matrix.Wishart(4, [[1, 2], [2, 1]])
    with pytest.raises(InvalidDensity, match="exceed"):
        covar.matrix.Wishart(0.5, np.eye(2))
    with pytest.raises(InvalidDensity, match="nonsingular"):
        covar.transform(W, "A*X*A.T", A=[[1, 1], [1, 1]])
    with pytest.raises(UnsupportedTransform, match="matrix variates"):
        covar.transform("Normal(0, 1)", "x**2", A=np.eye(2))


# ---- eigenvalues (p = 2) ------------------------------------------------------------------------

@pytest.mark.parametrize("symbolic", [False, True])
def test_eigenvalue_density_of_a_2x2_wishart(symbolic):
    from scipy import integrate

    if symbolic:
        E = covar.matrix.eigenvalue_density(covar.matrix.Wishart(N_SYM, sp.MatrixSymbol("Sigma", 2, 2)))
        values = {N_SYM: DF[2], **{sp.Symbol(f"Sigma{i + 1}{j + 1}", real=True): SIGMA[2][i, j]
                                    for i in range(2) for j in range(2)}}
        pdf = E.pdf.xreplace(values)
    else:
        E = covar.matrix.eigenvalue_density(covar.matrix.Wishart(sp.Rational(11, 2), SIGMA[2]))
        pdf = E.pdf
    l1, l2 = E.vars
    f = sp.lambdify((l1, l2), pdf, modules=["scipy", "numpy"])  # the symbolic pdf itself
    mass = integrate.dblquad(lambda b, a: f(a, b), 0, 400, 0, lambda a: a)[0]  # beyond 400: below 1e-30
    assert abs(mass - 1) < 1e-6, mass
    rng = np.random.default_rng(9)
    lam = np.linalg.eigvalsh(_wishart(2).rvs(size=20000, random_state=rng))
    for t in np.quantile(lam[:, 1], [0.2, 0.5, 0.8]):  # P(l1 <= t), both eigenvalues below t
        want = integrate.dblquad(lambda b, a: f(a, b), 0, t, 0, lambda a: a)[0]
        got = np.mean(lam[:, 1] <= t)
        assert abs(got - want) <= 5 * np.sqrt(want * (1 - want) / len(lam)), (t, got, want)
    at = {l1: 3.0, l2: 1.2}
    assert close_each(complex(sp.N(pdf.xreplace(at), 20)), f(3.0, 1.2), rtol=1e-9)
