"""The maximum-likelihood helper of the lifetime-value models (profit/fitting.py), checked against closed forms:
Poisson and gamma ML estimates and their Fisher-information standard errors, scipy's own gamma fit, the penalised
first-order condition, and the log-scale Wald interval of FittedModel."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from scipy.special import digamma, gammaln, polygamma

from cfresearch.profit.fitting import FittedModel, maximise_likelihood


@pytest.fixture(scope="module")
def gamma_data():
    return np.random.default_rng(7).gamma(shape=2.5, scale=1 / 0.8, size=4000)


def gamma_loglik(y):
    n, sy, sly = y.size, y.sum(), np.log(y).sum()

    def ll(theta):
        k, rate = theta
        value = n * (k * np.log(rate) - gammaln(k)) + (k - 1) * sly - rate * sy
        return value, np.array([n * (np.log(rate) - digamma(k)) + sly, n * k / rate - sy])

    def hess(theta):
        k, rate = theta
        return -n * np.array([[polygamma(1, k), -1 / rate], [-1 / rate, k / rate**2]])

    return ll, hess


def test_poisson_mean_and_its_standard_error():
    y = np.array([0, 1, 1, 2, 3, 5, 2, 0, 4, 2])

    def ll(theta):
        return np.sum(y * np.log(theta[0]) - theta[0] - gammaln(y + 1)), np.array([y.sum() / theta[0] - y.size])

    fit = maximise_likelihood(ll, [10.0], names=["lam"], n=y.size)
    assert fit.converged
    assert fit.params["lam"] == pytest.approx(2.0, abs=1e-7)
    assert fit.se["lam"] == pytest.approx(np.sqrt(2.0 / 10), rel=1e-5)  # Fisher information n/λ
    assert fit.log_likelihood == pytest.approx(stats.poisson.logpmf(y, 2.0).sum(), rel=1e-12)


def test_gamma_estimates_match_scipy_and_fisher_information(gamma_data):
    ll, hess = gamma_loglik(gamma_data)
    fit = maximise_likelihood(ll, [1.0, 1.0], names=["k", "rate"], n=gamma_data.size)
    k_sp, _, scale_sp = stats.gamma.fit(gamma_data, floc=0, method="MLE")
    assert fit.converged
    assert fit.params["k"] == pytest.approx(k_sp, rel=1e-5)
    assert fit.params["rate"] == pytest.approx(1 / scale_sp, rel=1e-5)
    expected_cov = np.linalg.inv(-hess(fit.estimate))  # inverse observed information on the natural scale
    np.testing.assert_allclose(fit.covariance, expected_cov, rtol=1e-4)
    assert fit.log_likelihood == pytest.approx(stats.gamma.logpdf(gamma_data, fit.params["k"],
                                                                  scale=1 / fit.params["rate"]).sum(), rel=1e-10)


def test_analytic_hessian_numeric_hessian_and_no_gradient_agree(gamma_data):
    ll, hess = gamma_loglik(gamma_data)
    kw = {"names": ["k", "rate"], "n": gamma_data.size}
    numeric = maximise_likelihood(ll, [1.0, 1.0], **kw)
    analytic = maximise_likelihood(ll, [1.0, 1.0], hessian=hess, **kw)
    no_grad = maximise_likelihood(lambda t: ll(t)[0], [1.0, 1.0], gradient=False, **kw)
    np.testing.assert_allclose(numeric.covariance, analytic.covariance, rtol=1e-5)
    np.testing.assert_allclose(no_grad.estimate, analytic.estimate, rtol=1e-4)
    np.testing.assert_allclose(no_grad.covariance, analytic.covariance, rtol=1e-3)
    # the log-scale covariance is the natural one divided by θθ' (delta method)
    np.testing.assert_allclose(analytic.log_covariance * np.outer(analytic.estimate, analytic.estimate),
                               analytic.covariance)


def test_penalty_is_lifetimes_l2_on_the_mean_negative_log_likelihood():
    y = np.array([1, 2, 3, 6])
    lam_pen = 0.1

    def ll(theta):
        return np.sum(y * np.log(theta[0]) - theta[0]), np.array([y.sum() / theta[0] - y.size])

    fit = maximise_likelihood(ll, [1.0], names=["lam"], n=y.size, penalizer=lam_pen)
    # minimise −(Σy log λ − nλ)/n + c λ²  ⇒  2cλ² + λ − ȳ = 0
    root = (-1 + np.sqrt(1 + 8 * lam_pen * y.mean())) / (4 * lam_pen)
    assert fit.params["lam"] == pytest.approx(root, rel=1e-7)
    assert fit.penalizer == lam_pen
    assert fit.log_likelihood == pytest.approx(ll(np.array([root]))[0], rel=1e-10)  # reported LL is unpenalised


def test_several_starts_and_non_finite_regions():
    # a likelihood undefined (−inf) for λ > 5: the optimiser backs off and still finds the maximum at 2
    def ll(theta):
        lam = theta[0]
        if lam > 5:
            return -np.inf, np.array([np.nan])
        return -(lam - 2.0) ** 2, np.array([-2 * (lam - 2.0)])

    fit = maximise_likelihood(ll, [[4.9], [0.5]], names=["lam"], n=1)
    assert fit.params["lam"] == pytest.approx(2.0, abs=1e-6)
    assert fit.converged
    with pytest.raises(ValueError, match="positive"):
        maximise_likelihood(ll, [-1.0], names=["lam"], n=1)


def test_flat_likelihood_gives_nan_standard_errors():
    def ll(theta):
        return -((theta[0] - 1.0) ** 2), np.array([-2 * (theta[0] - 1.0), 0.0])  # θ₂ is not identified

    fit = maximise_likelihood(ll, [2.0, 3.0], names=["a", "b"], n=1)
    assert not fit.converged and "Hessian" in fit.message
    assert np.isnan(fit.se["b"])


def test_fitted_model_frame_uses_log_scale_wald_intervals(gamma_data):
    ll, _ = gamma_loglik(gamma_data)
    fit = maximise_likelihood(ll, [1.0, 1.0], names=["k", "rate"], n=gamma_data.size)
    model = FittedModel(name="Gamma", n=gamma_data.size, **fit.fields())
    frame = model.to_frame()
    assert list(frame.columns) == ["param", "estimate", "se", "ci_low", "ci_high"]
    k, se = fit.params["k"], fit.se["k"]
    log_se = np.sqrt(fit.log_covariance[0, 0])
    assert frame.loc[0, "ci_low"] == pytest.approx(k * np.exp(-1.959963985 * log_se), rel=1e-8)
    assert frame.loc[0, "ci_high"] == pytest.approx(k * np.exp(1.959963985 * se / k), rel=1e-8)
    assert model.summary().startswith("Gamma fitted on 4,000 customers: LL = ")
    assert "<table" in model._repr_html_()


def test_a_warm_start_far_from_the_optimum_still_reaches_it():
    """With ``curvature`` the search is boxed around the warm start (no giant first step); an optimum beyond the
    box is still reached by moving the box."""
    y = np.array([20.0, 30.0, 25.0, 22.0])

    def ll(theta):  # Poisson: the optimum is the mean, 24.25, far from the start 1
        lam = theta[0]
        return float(np.sum(y * np.log(lam) - lam)), np.array([y.sum() / lam - y.size])

    fit = maximise_likelihood(ll, [1.0], names=["lambda"], n=y.size, curvature=np.array([[1.0]]))
    assert fit.params["lambda"] == pytest.approx(24.25, rel=1e-6) and fit.converged
