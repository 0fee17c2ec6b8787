"""Pareto/NBD (profit/paretonbd.py) against the published CDNOW fit, R BTYD / BTYDplus values, lifetimes run side
by side, direct numerical integration of the likelihood, scipy's hyp2f1, finite differences and simulation.
Sources of the numbers: tests/fixtures/cdnow/README.md."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, special

from cfresearch.profit.fitting import purchase_data
from cfresearch.profit.paretonbd import (
    ParetoNBDModel,
    _Keys,
    _loglik,
    _Prepared,
    _series,
    fit_pareto_nbd,
    simulate_pareto_nbd,
)

PUBLISHED = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}  # FHL 2005 (BG/NBD paper, Pareto/NBD row)
BTYD = {"r": 0.5534, "alpha": 10.5802, "s": 0.6061, "beta": 11.6562}  # BTYD walkthrough / BTYDplus demo
BTYD_MANUAL = {"r": 0.55, "alpha": 10.56, "s": 0.61, "beta": 11.64}  # BTYD manual, pnbd.Expectation example


@pytest.fixture(scope="module")
def model(cdnow):
    return fit_pareto_nbd(cdnow, unit="W")


def quad_loglik(params, x, t_x, T):
    """ln L by direct numerical integration: Γ(r+x)α^r β^s/Γ(r)·[(α+T)^−(r+x)(β+T)^−s + s∫(α+τ)^−(r+x)(β+τ)^−(s+1)dτ],
    the integrand scaled by its value at t_x so that quad works at any x."""
    r, alpha, s, beta = (params[k] for k in ("r", "alpha", "s", "beta"))

    def log_f(tau):
        return -(r + x) * np.log(alpha + tau) - (s + 1) * np.log(beta + tau)

    ref = log_f(t_x)
    scaled = integrate.quad(lambda tau: np.exp(log_f(tau) - ref), t_x, T, epsabs=0, epsrel=1e-13, limit=500)[0]
    alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    log_i = np.log(s * scaled) + ref if scaled > 0 else -np.inf
    return (special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha) + s * np.log(beta)
            + np.logaddexp(alive, log_i))


# ─── the published fit ────────────────────────────────────────────────────────────────────────────────────


def test_cdnow_estimates_match_the_paper(model):
    for name in ("r", "alpha", "s"):
        assert model.params[name] == pytest.approx(PUBLISHED[name], abs=5e-4), name
    # β is poorly determined (se ≈ 6.2): the paper's MATLAB fit stopped at 11.669, BTYD's at 11.656
    assert model.params["beta"] == pytest.approx(PUBLISHED["beta"], abs=0.015)
    assert model.log_likelihood == pytest.approx(-9595.0, abs=0.05)
    assert model.converged and model.n == 2357
    assert model.se["beta"] == pytest.approx(6.2, abs=0.1) and model.se["r"] == pytest.approx(0.0476, abs=5e-4)


def test_log_likelihood_at_btyds_estimates(cdnow):
    p = _Prepared(purchase_data(cdnow, where="test"))
    ll = _loglik(np.array(list(BTYD.values())), p, gradient=False)
    assert ll == pytest.approx(-9594.976, abs=0.005)  # BTYD pnbd.cbs.LL (its T are unrounded day counts / 7)


# ─── predictions against BTYD, BTYDplus and lifetimes ─────────────────────────────────────────────────────


def test_expected_purchases_match_btyd():
    expected = [0.0, 0.05077821, 0.09916088, 0.14542507, 0.18979930, 0.23247466, 0.27361274, 0.31335159,
                0.35181024, 0.38909211]
    m = ParetoNBDModel.from_params(BTYD_MANUAL)
    np.testing.assert_allclose(m.expected_purchases(np.arange(10)), expected, atol=5e-9)
    # s = 1 exactly: the limit rβ/α·ln((β+t)/β)
    one = ParetoNBDModel.from_params({**BTYD_MANUAL, "s": 1.0})
    assert one.expected_purchases(5.0) == pytest.approx(0.55 * 11.64 / 10.56 * np.log(16.64 / 11.64), rel=1e-12)


def test_p_alive_and_conditional_expectation_of_btyds_walkthrough():
    m = ParetoNBDModel.from_params(BTYD)
    assert m.probability_alive(26, 30.86, 31) == pytest.approx(0.9979, abs=5e-5)
    assert m.conditional_expected_purchases(52, 26, 30.86, 31) == pytest.approx(25.46, abs=0.01)


def test_predictions_match_lifetimes_side_by_side():
    # lifetimes 0.11.3 ParetoNBDFitter with params_ = BTYD's, run in the bench venv (tests/fixtures/cdnow/README.md)
    m = ParetoNBDModel.from_params(BTYD)
    x, t_x, T = [2, 0, 26, 5, 1, 40], [30.43, 0, 30.86, 10.0, 38.0, 5.0], [38.86, 38.86, 31, 38.0, 38.0, 38.0]
    p_alive = [8.69110644e-01, 2.94961486e-01, 9.97917767e-01, 5.17087337e-02, 1.0, 3.49588558e-19]
    ce = [1.45509284, 1.07028946e-01, 2.01145604e01, 1.91125959e-01, 1.03390377, 9.43585594e-18]
    np.testing.assert_allclose(m.probability_alive(x, t_x, T), p_alive, rtol=1e-8)
    np.testing.assert_allclose(m.conditional_expected_purchases(39, x, t_x, T), ce, rtol=1e-8)


def test_p_alive_and_conditional_expectations_match_btydplus(cdnow):
    m = ParetoNBDModel.from_params(BTYD)
    x, t_x, T = cdnow["frequency"], cdnow["recency"], cdnow["T"]
    p_alive = m.probability_alive(x, t_x, T)
    np.testing.assert_allclose([p_alive.mean(), *np.percentile(p_alive, [25, 50, 75])],
                               [0.4462, 0.3174, 0.3499, 0.4763], atol=5e-5)
    ce = pd.Series(m.conditional_expected_purchases(39, x, t_x, T)).groupby(x.to_numpy()).mean()
    np.testing.assert_allclose(ce.loc[0:5].round(2), [0.14, 0.60, 1.20, 1.71, 2.40, 2.91])


# ─── the likelihood, its gradient and the hypergeometric series ───────────────────────────────────────────


@pytest.mark.parametrize("params", [BTYD, {"r": 1.2, "alpha": 10.0, "s": 1.3, "beta": 70.0},
                                    {"r": 0.8, "alpha": 40.0, "s": 0.5, "beta": 2.0},
                                    {"r": 0.7, "alpha": 5.0, "s": 0.9, "beta": 5.0}])
def test_log_likelihood_equals_direct_integration(params):
    x = np.array([0, 1, 2, 7, 26, 60, 300, 3])
    t_x = np.array([0.0, 0.5, 30.43, 29.43, 30.86, 5.0, 70.0, 12.0])
    T = np.array([38.86, 38.0, 38.86, 38.86, 31.0, 78.0, 70.0, 12.0])  # the last two: bought at T (I = 0)
    ours = ParetoNBDModel.from_params(params).log_likelihood_customers(x, t_x, T)
    direct = [quad_loglik(params, *row) for row in zip(x, t_x, T, strict=True)]
    np.testing.assert_allclose(ours, direct, rtol=1e-10)


def test_series_agrees_with_scipy_hyp2f1_and_quadrature():
    # G = 2F1(1, m; c; z) = 1 + z·Q in the regimes of the fit: z up to 0.95, small and large c
    z = np.linspace(0.0, 0.95, 40)
    for m_arg, c0 in ((1.6, 2.2), (0.9, 1.5), (2.3, 60.0)):
        for x in (0.0, 3.0, 40.0):
            keys = _Keys(np.full(z.size, x), -z)  # τ = −z: ascending τ puts the largest z first, as in a fit
            zs = -keys.tau
            g = 1 + zs * _series(keys, zs, lambda _x, m=m_arg: m, c0)[0]
            c = c0 + x
            np.testing.assert_allclose(g, special.hyp2f1(1, m_arg, c, zs), rtol=1e-14)
            # Euler's integral (c−1)∫(1−u)^(c−2)(1−zu)^(−m)du, the endpoint factor as quad's algebraic weight
            euler = [(c - 1) * integrate.quad(lambda u, zi=zi, m=m_arg: (1 - zi * u) ** -m, 0, 1, weight="alg",
                                              wvar=(0, c - 2), epsabs=0, epsrel=1e-13)[0] for zi in zs[::8]]
            np.testing.assert_allclose(g[::8], euler, rtol=1e-12)


@pytest.mark.parametrize("theta", [(0.553, 10.578, 0.606, 11.669), (0.55, 14.0, 0.61, 3.0), (1.2, 10.0, 1.3, 70.0)])
def test_gradient_against_finite_differences(cdnow, theta):
    p = _Prepared(purchase_data(cdnow, where="test"))
    theta = np.array(theta)
    _, grad = _loglik(theta, p)
    numeric = []
    for i in range(4):
        e = np.zeros(4)
        e[i] = 1e-6 * theta[i]
        numeric.append((_loglik(theta + e, p, gradient=False) - _loglik(theta - e, p, gradient=False)) / (2 * e[i]))
    np.testing.assert_allclose(grad, numeric, rtol=2e-6, atol=2e-3)


def test_extreme_histories_stay_finite():
    m = ParetoNBDModel.from_params(BTYD)
    x = np.array([0, 1, 500, 5_000, 20_000])
    t_x = np.array([0.0, 1e-9, 1.0, 2.0, 9_999.0])
    T = np.array([1e-6, 1e6, 1e4, 1e4, 1e4])
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        p = m.probability_alive(x, t_x, T)
        ce = m.conditional_expected_purchases(52, x, t_x, T)
        ll = m.log_likelihood_customers(x, t_x, T)
    assert np.all((p >= 0) & (p <= 1)) and p[3] == 0.0 and p[4] > 0.99
    assert np.all(np.isfinite(ce)) and np.all(ce >= 0)
    assert np.all(np.isfinite(ll))


# ─── simulation and parameter recovery ────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("truth, seed", [({"r": 0.8, "alpha": 12.0, "s": 0.7, "beta": 5.0}, 3),
                                         ({"r": 0.55, "alpha": 10.6, "s": 0.6, "beta": 40.0}, 4)])
def test_parameters_are_recovered_from_simulated_data(truth, seed):
    T = np.random.default_rng(seed).uniform(26, 78, 40_000)
    sim = simulate_pareto_nbd(truth, T, seed=seed + 100)
    m = fit_pareto_nbd(sim)
    assert m.converged
    for name, value in truth.items():
        assert abs(m.params[name] - value) < 3 * m.se[name], (name, m.params[name], m.se[name])
    p = ParetoNBDModel.from_params(truth).probability_alive(sim["frequency"], sim["recency"], sim["T"])
    assert p.mean() == pytest.approx(sim["alive"].mean(), abs=0.01)
