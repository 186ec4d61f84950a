"""Flow layers: structured log-dets against numpy slogdet of finite-difference Jacobians."""
from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from scipy import integrate

from covar import flows
from covar.numeric.checks import finite_difference_jacobian
from covar.errors import CovarError, UnsupportedTransform
from covar.flows import AffineCoupling, Elementwise, Flow, Layer, Permutation, realnvp_4d_example
from covar.flows.coupling import _times_exp
from covar.flows.elementwise import ELEMENTWISE_MAPS
from covar.laws.joint import JointDensity
from covar.multivariate.transform import transform_joint

import reference


def fd_logdet(f, Z: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """log|det| of the central-difference Jacobian of a batch map f at each row of Z."""
    Jac = finite_difference_jacobian(f, Z, h)
    sign, logdet = np.linalg.slogdet(Jac)
    assert np.all(sign != 0)
    return logdet


def coupling(d: int, seed: int) -> AffineCoupling:
    """A coupling layer with a random mask and nonlinear s, t in the pass-through inputs."""
    rng = np.random.default_rng(seed)
    z = flows.default_symbols("z", d)
    mask = np.zeros(d, dtype=int)
    mask[rng.choice(d, size=d // 2, replace=False)] = 1
    A = [z[i] for i in range(d) if mask[i]]
    nb = d - len(A)
    s = [sp.Rational(int(rng.integers(200, 800)), 1000) * sp.tanh(A[k % len(A)] - A[(k + 1) % len(A)] / 2) for k in range(nb)]
    t = [A[k % len(A)] ** 2 / 3 + sp.sin(A[(k + 2) % len(A)]) for k in range(nb)]
    return AffineCoupling(tuple(mask), tuple(s), tuple(t), inputs=z)


def check_layer(layer, Z: np.ndarray, fd_h: float = 1e-5) -> None:
    fwd, inv, ld = layer.numpy_forward(), layer.numpy_inverse(), layer.numpy_log_det()
    np.testing.assert_allclose(inv(fwd(Z)), Z, atol=1e-10, rtol=0)
    np.testing.assert_allclose(ld(Z), fd_logdet(fwd, Z, fd_h), atol=1e-6)
    # the symbolic log-det, lambdified on its own, agrees with the batch evaluator
    sym = sp.lambdify(layer.inputs, layer.log_det_jacobian, "numpy")
    np.testing.assert_allclose(np.broadcast_to(sym(*Z[:5].T), (5,)), ld(Z[:5]), rtol=1e-12, atol=1e-12)
    # and the symbolic inverse log-det at y = f(z) is its negative
    inv_sym = sp.lambdify(layer.outputs, layer.inverse_log_det_jacobian, "numpy")
    np.testing.assert_allclose(np.broadcast_to(inv_sym(*fwd(Z[:5]).T), (5,)), -ld(Z[:5]), rtol=1e-10, atol=1e-10)


def test_realnvp_4d_worked_example():
    layer, logdet = realnvp_4d_example()
    z1, z2 = flows.default_symbols("z", 2)
    s1, s2 = sp.Function("s1")(z1, z2), sp.Function("s2")(z1, z2)
    assert logdet == s1 + s2
    assert layer.forward[:2] == (z1, z2)
    assert layer.forward[2] == layer.inputs[2] * sp.exp(s1) + sp.Function("t1")(z1, z2)
    concrete, logdet_c = realnvp_4d_example(concrete=True)
    Z = np.random.default_rng(0).normal(size=(200, 4))
    check_layer(concrete, Z)
    expected = np.tanh(Z[:, 0] + Z[:, 1] / 2) + Z[:, 0] * Z[:, 1] / 4
    np.testing.assert_allclose(concrete.numpy_log_det()(Z), expected, rtol=1e-12)


def test_coupling_inverse_is_exact_symbolically():
    layer = coupling(6, 1)
    back = layer.inverse_at(layer.forward)
    assert all(sp.simplify(b - z) == 0 for b, z in zip(back, layer.inputs))


@pytest.mark.parametrize("d", [2, 3, 5, 8])
def test_coupling_logdet_matches_slogdet(d):
    check_layer(coupling(d, d), np.random.default_rng(d).normal(size=(100, d)))


@pytest.mark.parametrize("kind", sorted(ELEMENTWISE_MAPS))  # every row of the table, so a new map is checked too
def test_elementwise_logdet_matches_slogdet(kind):
    slope = sp.Rational(1, 5) if ELEMENTWISE_MAPS[kind].default_slope is not None else None
    layer = Elementwise(kind, dim=5, mask=(1, 0, 1, 1, 0), slope=slope)
    Z = np.random.default_rng(2).normal(size=(100, 5)) * (2.0 if kind == "sigmoid" else 1.0)
    Z[np.abs(Z) < 1e-3] = 0.1  # keep finite differences off the leaky ReLU kink
    check_layer(layer, Z)
    # the row's image holds at every output, and the output condition is the image on the masked columns
    inside = sp.lambdify(layer.outputs, layer.output_condition_at(layer.outputs), "numpy")
    assert np.all(np.broadcast_to(inside(*layer.numpy_forward()(Z).T), (len(Z),)))


def test_layers_share_one_interface():
    """Every layer is a Layer; a layer missing part of the interface cannot be made."""
    z = flows.default_symbols("z", 2)
    made = [AffineCoupling((1, 0), (z[0],), (z[0],)), Elementwise("tanh", dim=2), Permutation((1, 0))]
    assert all(isinstance(layer, Layer) for layer in made + [Flow(tuple(made))])

    class NoInverse(Layer):
        inputs = outputs = z

        def forward_at(self, z):
            return tuple(z)

        def log_det_at(self, z):
            return sp.Integer(0)

    with pytest.raises(TypeError, match="inverse_at"):
        NoInverse()


def test_permutation_has_zero_logdet():
    layer = Permutation((2, 0, 3, 1))
    assert layer.log_det_jacobian == 0
    assert layer.inverse_at(layer.forward) == layer.inputs
    check_layer(layer, np.random.default_rng(3).normal(size=(50, 4)))


def test_stack_of_layers_in_8d():
    d = 8
    stack = Flow((coupling(d, 10), Permutation(tuple(reversed(range(d)))), coupling(d, 11),
                  Elementwise("leaky_relu", dim=d, slope=sp.Rational(1, 2)), coupling(d, 12)))
    Z = np.random.default_rng(4).normal(size=(100, d))
    fwd = stack.numpy_forward()
    np.testing.assert_allclose(stack.numpy_inverse()(fwd(Z)), Z, atol=1e-10, rtol=0)
    np.testing.assert_allclose(stack.numpy_log_det()(Z), fd_logdet(fwd, Z), atol=1e-6)
    # the symbolic composition agrees with the layer-by-layer numpy evaluation
    sym = sp.lambdify(stack.inputs, stack.log_det_jacobian, "numpy")
    np.testing.assert_allclose(sym(*Z[:3].T), stack.numpy_log_det()(Z[:3]), rtol=1e-10)
    fsym = sp.lambdify(stack.inputs, list(stack.forward), "numpy")
    np.testing.assert_allclose(np.stack(fsym(*Z[:3].T), -1), fwd(Z[:3]), rtol=1e-10)
    # and so do the closed-form inverse and its log-det, at y = f(z)
    Y = fwd(Z[:3])
    isym = sp.lambdify(stack.outputs, list(stack.inverse), "numpy")
    np.testing.assert_allclose(np.stack(isym(*Y.T), -1), Z[:3], atol=1e-10, rtol=0)
    ildsym = sp.lambdify(stack.outputs, stack.inverse_log_det_jacobian, "numpy")
    np.testing.assert_allclose(ildsym(*Y.T), -stack.numpy_log_det()(Z[:3]), rtol=1e-10)


def run_steps(stack: Flow, Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Walk a flow's steps numerically, checking each step's inverse and inverse log-det on the way."""
    N, total = Z.shape[0], np.zeros(Z.shape[0])
    for step in stack.steps:
        f, ld = sp.lambdify(step.inputs, list(step.forward)), sp.lambdify(step.inputs, step.log_det)
        g, ild = sp.lambdify(step.outputs, list(step.inverse)), sp.lambdify(step.outputs, step.inverse_log_det)
        V = np.stack(np.broadcast_arrays(*f(*Z.T)), -1)
        np.testing.assert_allclose(np.stack(np.broadcast_arrays(*g(*V.T)), -1), Z, atol=1e-10, rtol=0)
        step_ld = np.broadcast_to(ld(*Z.T), (N,))
        np.testing.assert_allclose(np.broadcast_to(ild(*V.T), (N,)), -step_ld, rtol=1e-10, atol=1e-10)
        total, Z = total + step_ld, V
    return Z, total


def test_stack_steps_chain_through_intermediate_symbols():
    d = 8
    rng = np.random.default_rng(8)
    stack = Flow((coupling(d, 20), Permutation(tuple(rng.permutation(d))),
                  Elementwise("tanh", dim=d, mask=(1, 0) * 4), coupling(d, 21)))
    steps = stack.steps
    assert steps[0].inputs == stack.inputs and steps[-1].outputs == stack.outputs
    assert all(a.outputs == b.inputs for a, b in zip(steps, steps[1:]))
    # a coordinate a layer passes through keeps its symbol; only changed ones get a fresh z_i^(k)
    for k, step in enumerate(steps[:-1], 1):
        kept = step.layer.passthrough()
        for i, u in enumerate(step.outputs):
            assert u == step.inputs[kept[i]] if i in kept else u.name == f"z{i + 1}^({k})"
    # walking the steps numerically is the flow: same outputs and summed log-dets as the layer-by-layer
    # numpy evaluators, whose log-det is in turn checked against slogdet of the Jacobian
    Z = rng.normal(size=(100, d))
    out, total = run_steps(stack, Z)
    np.testing.assert_allclose(out, stack.numpy_forward()(Z), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(total, stack.numpy_log_det()(Z), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(total, fd_logdet(stack.numpy_forward(), Z), atol=1e-6)


def test_stack_derivation_grows_linearly_in_d():
    """The steps' expression size per dimension stays flat: layers are never substituted into each other."""
    def size(d: int) -> int:
        stack = Flow((coupling(d, 1), Permutation(tuple(reversed(range(d)))), coupling(d, 2), coupling(d, 3)))
        exprs = [e for step in stack.steps for e in (*step.forward, *step.inverse, step.log_det)]
        return sum(1 for e in exprs for _ in sp.preorder_traversal(e))

    assert size(64) <= 2.2 * size(32)


def test_times_exp_is_the_evaluated_product():
    """The fast x*exp(s) must be structurally what sympy's Mul would build, not just equal in value."""
    a, b = sp.symbols("a b", real=True)
    zz, f = sp.Symbol("zz"), sp.Function("f")
    xs = [a, zz, a + b, a - b**2 / 3 + sp.sin(b), sp.exp(a), 2 * a, a * b, sp.Integer(3), sp.E, sp.tanh(a)]
    ss = [a, -a, b / 2, sp.tanh(a + b / 2) / 10, 0, sp.log(a), sp.log(2) + a, f(a, b), sp.Rational(1, 2), zz]
    for x in xs:
        for s in ss:
            fast, slow = _times_exp(x, s), x * sp.exp(s)
            assert fast == slow and fast.args == slow.args, (x, s)


def test_public_realnvp_density_from_layer():
    x1, x2 = sp.symbols("x1 x2", real=True)
    base = JointDensity(sp.exp(-(x1**2 + x2**2) / 2) / (2 * sp.pi), (x1, x2), True,
                        sampler=lambda n, rng, p: rng.normal(size=(n, 2)))
    layer = AffineCoupling((1, 0), (x1 / 2,), (x1**2,), inputs=(x1, x2))
    Y = layer.density(base)
    y1, y2 = layer.outputs
    expected = sp.exp(-y1**2 / 2 - (y2 - y1**2) ** 2 * sp.exp(-y1) / 2 - y1 / 2) / (2 * sp.pi)
    f, e = Y.numpy(), sp.lambdify((y1, y2), expected)
    pts = np.random.default_rng(5).normal(size=(40, 2)) * 2
    np.testing.assert_allclose(f(*pts.T), e(*pts.T), rtol=1e-10)
    # the symbolic pdf (mpmath) against f_X(x)/|det J| by finite differences of the map, and numpy()
    X = np.random.default_rng(9).normal(size=(30, 2))
    G = lambda Z: np.stack([Z[:, 0], Z[:, 1] * np.exp(Z[:, 0] / 2) + Z[:, 0] ** 2], 1)  # noqa: E731
    normal = lambda Z: np.exp(-(Z**2).sum(1) / 2) / (2 * np.pi)  # noqa: E731
    reference.check_joint(Y, *reference.reference_joint_pdf(normal, G, X))
    # the general multivariate engine derives the same density from the forward map alone
    K = transform_joint(base, layer.forward, layer.outputs)
    np.testing.assert_allclose(K.numpy()(*pts.T), e(*pts.T), rtol=1e-10)
    # y2 = x2 exp(y1/2) + y1^2: integrate y2 over +-11 conditional standard deviations
    mass = integrate.dblquad(lambda v, u: float(f(np.array(u), np.array(v))), -8, 8,
                             lambda u: u * u - 11 * np.exp(u / 2), lambda u: u * u + 11 * np.exp(u / 2))[0]
    assert mass == pytest.approx(1, abs=1e-6)


def test_flow_density_with_exp_layer_has_positive_support_and_matches_samples():
    z1, z2 = flows.default_symbols("z", 2)
    base = JointDensity(sp.exp(-(z1**2 + z2**2) / 2) / (2 * sp.pi), (z1, z2), True,
                        sampler=lambda n, rng, p: rng.normal(size=(n, 2)))
    stack = Flow((AffineCoupling((0, 1), (z2 / 3,), (sp.sin(z2),)), Elementwise("exp", dim=2)))
    Y = stack.density(base)
    y1, y2 = stack.outputs
    assert Y.support == ((y1 > 0) & (y2 > 0))
    f = Y.numpy()
    assert f(np.array([-1.0]), np.array([1.0]))[0] == 0
    # symbolic pdf (mpmath) = base pdf / |det| of the forward map by finite differences = numpy()
    def G(Z: np.ndarray) -> np.ndarray:
        u = np.stack([Z[:, 0] * np.exp(Z[:, 1] / 3) + np.sin(Z[:, 1]), Z[:, 1]], 1)
        return np.exp(u)
    normal = lambda Z: np.exp(-(Z**2).sum(1) / 2) / (2 * np.pi)  # noqa: E731
    reference.check_joint(Y, *reference.reference_joint_pdf(normal, G, np.random.default_rng(9).normal(size=(30, 2))))
    S = Y.sample(100_000, np.random.default_rng(6))
    # probability of a box by cubature vs the sample frequency (binomial standard error)
    p = integrate.dblquad(lambda v, u: float(f(np.array(u), np.array(v))), 0.5, 2.0, 0.5, 2.0)[0]
    freq = np.mean((S[:, 0] > 0.5) & (S[:, 0] < 2) & (S[:, 1] > 0.5) & (S[:, 1] < 2))
    assert abs(freq - p) < 4 * np.sqrt(p * (1 - p) / len(S))
    # numpy log-prob of the flow agrees with the symbolic density
    logp = stack.numpy_log_prob(lambda Z: -(Z**2).sum(1) / 2 - np.log(2 * np.pi))
    pts = np.abs(np.random.default_rng(7).normal(size=(20, 2))) + 0.1
    np.testing.assert_allclose(np.exp(logp(pts)), f(*pts.T), rtol=1e-10)


def test_coupling_rejects_dependence_on_transformed_half():
    z1, z2 = flows.default_symbols("z", 2)
    with pytest.raises(UnsupportedTransform, match="pass-through"):
        AffineCoupling((1, 0), (z2,), (0,))


def test_bad_layer_arguments_raise():
    with pytest.raises(UnsupportedTransform, match="slope"):
        Elementwise("leaky_relu", dim=2, slope=-1)
    with pytest.raises(UnsupportedTransform):
        Elementwise("relu", dim=2)
    with pytest.raises(CovarError):
        AffineCoupling((1, 2), (), ())
    with pytest.raises(CovarError):
        Permutation((0, 0))
