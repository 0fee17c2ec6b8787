"""The Pareto/NBD model of repeat purchasing (Schmittlein, Morrison & Colombo 1987, "Counting your customers: who
are they and what will they do next?", *Management Science* 33(1), 1-24; "SMC" below), fitted by maximum likelihood
with the stable likelihood of Fader, Hardie & Lee (2005), "A note on implementing the Pareto/NBD model in MATLAB"
("FHL note"; also Fader & Hardie 2005, note 009, "A note on deriving the Pareto/NBD model and related expressions").

While alive, a customer buys at Poisson rate λ, λ ~ gamma(r, α); their lifetime is exponential with rate μ,
μ ~ gamma(s, β), independent of λ. For x repeat purchases, the last at t_x, observed for T::

    L = Γ(r+x)·α^r·β^s / Γ(r) · [ (α+T)^−(r+x)·(β+T)^−s  +  s·I ],
    I = ∫_{t_x}^{T} (α+τ)^−(r+x)·(β+τ)^−(s+1) dτ
      = [ (m+t_x)^−k·F(t_x) − (m+T)^−k·F(T) ] / k,     k = r+s+x,  F(τ) = ₂F₁(k, b'; k+1; |α−β|/(m+τ)),

with m = max(α, β) and b' = s+1 when α ≥ β, b' = r+x when α < β: the FHL note's branch, which keeps the argument
of ₂F₁ in [0, 1). Here every piece is kept in logs: log I = −ln k + Φ(t_x) + ln(1 − e^(Φ(T)−Φ(t_x))) with
Φ(τ) = ln[(m+τ)^−k·F(τ)], and the two terms of L are combined by log-sum-exp. Euler's transformation (Abramowitz
& Stegun 15.3.3) writes F(τ) = (1−z)^(1−b')·G with G = ₂F₁(1, c−b'; c; z), c = k+1, a series of positive terms
whose ratio is below z, between 1 and 1/(1−z): it never overflows. G and its derivatives in its parameters and in
z are evaluated by Horner's rule on the distinct (x, τ) pairs, which share the coefficients for one x, with as many
terms as the largest z of each block needs for 1e-16 accuracy; this gives the analytic gradient as well (scipy's
``hyp2f1`` has no parameter derivatives; its values agree with these to ~1e-15 here, see the tests).

:class:`ParetoNBDModel` predicts, for a new customer, E[X(t)] = rβ/(α(s−1))·[1 − (β/(β+t))^(s−1)] (SMC eq. 17);
for a customer with history (x, t_x, T), P(alive) = alive term / L (SMC eq. 11; note 009 eq. 18) and
E[Y(t) | x, t_x, T] = P(alive)·(r+x)(β+T)/((α+T)(s−1))·[1 − ((β+T)/(β+T+t))^(s−1)] (SMC eq. 22; note 009
eq. 20). :func:`simulate_pareto_nbd` draws purchase summaries from the model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

from cfresearch.profit.fitting import FittedModel, PurchaseData, maximise_likelihood, purchase_data

__all__ = ["ParetoNBDModel", "fit_pareto_nbd", "simulate_pareto_nbd"]

_NAMES = ("r", "alpha", "s", "beta")
_TOL = 1e-16
_CHUNK = 4096
_MAX_TERMS = 200_000
_WARM_ROWS = 50_000


def _params(params) -> tuple[float, float, float, float]:
    if isinstance(params, FittedModel):
        params = params.params
    if isinstance(params, dict):
        return tuple(float(params[k]) for k in _NAMES)
    return tuple(float(v) for v in params)


class _Keys:
    """The distinct (x, τ) pairs of a column of times, sorted by x then τ (so z = |α−β|/(m+τ) falls within a
    block of one x), split into blocks of at most _CHUNK pairs; ``inverse`` maps each row to its pair."""

    def __init__(self, x: np.ndarray, tau: np.ndarray):
        by_tau = np.argsort(tau)
        order = by_tau[np.argsort(x[by_tau].astype(np.int64), kind="stable")]
        xs, ts = x[order], tau[order]
        new = np.empty(xs.size, dtype=bool)
        new[0] = True
        np.logical_or(xs[1:] != xs[:-1], ts[1:] != ts[:-1], out=new[1:])
        self.x, self.tau = xs[new], ts[new]
        self.inverse = np.empty(x.size, dtype=np.intp)
        self.inverse[order] = np.cumsum(new) - 1
        starts = np.flatnonzero(np.r_[True, self.x[1:] != self.x[:-1]])
        stops = np.r_[starts[1:], self.x.size]
        self.groups = [(float(self.x[a]), int(a), int(b)) for a, b in zip(starts, stops, strict=True)]


def _coefficients(m: float, c: float, zmax: float) -> np.ndarray:
    """Rows a_(n+1), a_(n+1)·Σ_{j≤n} 1/(m+j), a_(n+1)·Σ_{j≤n} 1/(c+j) (n = 0..N−1) of Q = Σ a_(n+1) zⁿ, where
    G = ₂F₁(1, m; c; z) = 1 + z·Q and a_n = (m)_n/(c)_n; N is the first n with a_(n+1)·zmax^(n+1) ≤ tol·(1 − zmax)
    (a bound of the tail: the ratio of consecutive terms is below z)."""
    target = np.log(_TOL * (1 - zmax)) if zmax > 0 else -np.inf
    log_z = np.log(zmax) if zmax > 0 else -np.inf
    size = 64
    while True:
        j = np.arange(size, dtype=float)
        log_a = np.cumsum(np.log((m + j) / (c + j)))  # log a_1..a_size
        with np.errstate(invalid="ignore"):
            ok = log_a + np.arange(1, size + 1) * log_z <= target
        if ok.any() or size >= _MAX_TERMS:
            n_terms = int(np.argmax(ok)) + 1 if ok.any() else size
            break
        size *= 4
    a = np.exp(log_a[:n_terms])
    return np.vstack([a, a * np.cumsum(1.0 / (m + j[:n_terms])), a * np.cumsum(1.0 / (c + j[:n_terms]))])


def _terms_needed(coef: np.ndarray, z0: float) -> int:
    """How many terms of ``coef`` a block whose largest argument is z0 needs (at least 1)."""
    if z0 <= 0:
        return 1
    with np.errstate(divide="ignore"):
        bound = np.log(coef[0]) + np.arange(1, coef.shape[1] + 1) * np.log(z0)
    ok = bound <= np.log(_TOL * (1 - z0))
    return int(np.argmax(ok)) + 1 if ok.any() else coef.shape[1]


def _series(keys: _Keys, z: np.ndarray, m_of, c: float) -> np.ndarray:
    """(3, pairs): Q, ∂Q/∂m and −∂Q/∂c of G = ₂F₁(1, m; c+x; z) = 1 + z·Q at each distinct pair (Horner's rule on
    each block, whose pairs share one x and so the coefficients)."""
    out = np.empty((3, z.size))
    for x, start, stop in keys.groups:
        coef = _coefficients(m_of(x), c + x, float(z[start]))
        for lo in range(start, stop, _CHUNK):
            hi = min(lo + _CHUNK, stop)
            zc = z[lo:hi]
            n_terms = _terms_needed(coef, float(zc[0]))
            y = np.repeat(coef[:, n_terms - 1: n_terms], hi - lo, axis=1)
            for n in range(n_terms - 2, -1, -1):
                y *= zc
                y += coef[:, n: n + 1]
            out[:, lo:hi] = y
    return out


def _phi(theta, keys: _Keys) -> np.ndarray:
    """(5, pairs): Φ(τ) = ln[(m+τ)^−k·F(τ)] and its derivatives in (r, α, s, β) at the distinct (x, τ) pairs.

    Φ = −m'·ln(m+τ) − (b'−1)·ln(n+τ) + ln G(z), n = min(α, β), z = (m−n)/(m+τ), with m' = r+x, b'−1 = s when
    α ≥ β and m' = s+1, b'−1 = r+x−1 when α < β (FHL note's branches, after Euler's transformation)."""
    r, alpha, s, beta = theta
    first = alpha >= beta
    big, small = (alpha, beta) if first else (beta, alpha)
    x, tau = keys.x, keys.tau
    inv_big, inv_small = 1.0 / (big + tau), 1.0 / (small + tau)
    log_big, log_small = np.log(big + tau), np.log(small + tau)
    z = (big - small) * inv_big
    if first:
        m_arg, b_minus_1 = r + x, s
        q = _series(keys, z, lambda xv: r + xv, r + s + 1)
    else:
        m_arg, b_minus_1 = s + 1, r + x - 1
        q = _series(keys, z, lambda xv: s + 1, r + s + 1)
    g = 1 + z * q[0]
    g_m, g_c = z * q[1] / g, -z * q[2] / g
    # dG/dz from the recurrence of the coefficients: (1−z)·G' = m·G − (c−1)·(G−1)/z, with (G−1)/z = Q
    g_z = (m_arg * g - (r + s + x) * q[0]) / ((1 - z) * g)
    log_g = np.log(g)
    phi = -m_arg * log_big - b_minus_1 * log_small + log_g
    d_big = (-m_arg + g_z * (1 - z)) * inv_big
    d_small = -b_minus_1 * inv_small - g_z * inv_big
    if first:
        return np.vstack([phi, -log_big + g_m + g_c, d_big, -log_small + g_c, d_small])
    return np.vstack([phi, -log_small + g_c, d_small, -log_big + g_m + g_c, d_big])


class _Prepared:
    """A purchase summary with the distinct (x, t_x) and (x, T) pairs of its rows (the work of one fit)."""

    def __init__(self, d: PurchaseData):
        self.d = d
        self.xf = d.x.astype(float)
        self.keys_tx = _Keys(self.xf, d.t_x)
        self.keys_T = _Keys(self.xf, d.T)
        self.xs = np.arange(d.x_counts.size, dtype=float)


def _row_terms(theta, p: _Prepared, gradient: bool):
    """Per row: LL without its x-only part, and (with ``gradient``) the gradient of that in (r, α, s, β)."""
    r, alpha, s, beta = theta
    d = p.d
    ph_tx = np.take(_phi(theta, p.keys_tx), p.keys_tx.inverse, axis=1)
    ph_T = np.take(_phi(theta, p.keys_T), p.keys_T.inverse, axis=1)
    k = r + s + p.xf
    delta = ph_T[0] - ph_tx[0]  # ≤ 0; 0 only when t_x = T (then I = 0)
    em = -np.expm1(delta)
    with np.errstate(divide="ignore"):
        log_i = ph_tx[0] + np.log(em) - np.log(k)
    log_aT, log_bT = np.log(alpha + d.T), np.log(beta + d.T)
    alive = -(r + p.xf) * log_aT - s * log_bT
    u = np.log(s) + log_i - alive
    sp = np.logaddexp(0.0, u)
    ll = alive + sp
    if not gradient:
        return ll, None
    w_i = np.exp(u - sp)  # the weight of the "died in (t_x, T]" term
    rho = np.divide(np.exp(delta), em, out=np.zeros_like(em), where=em > 0)  # −d ln(1 − e^Δ)/dΔ
    d_log_i = ph_tx[1:] - rho * (ph_T[1:] - ph_tx[1:])
    d_log_i[0] -= 1.0 / k
    d_log_i[2] -= 1.0 / k
    d_log_i[2] += 1.0 / s
    d_alive = np.vstack([-log_aT, -(r + p.xf) / (alpha + d.T), -log_bT, -s / (beta + d.T)])
    grad_rows = d_alive + w_i * (d_log_i - d_alive)
    return ll, grad_rows


def _loglik(theta, p: _Prepared, gradient: bool = True):
    """Σ LL of the Pareto/NBD (FHL note, in logs) and its analytic gradient in (r, α, s, β)."""
    r, alpha, s, beta = theta
    n_x, xs = p.d.x_counts, p.xs
    a_x = special.gammaln(r + xs) - special.gammaln(r)
    ll_rows, grad_rows = _row_terms(theta, p, gradient)
    ll = float(n_x @ a_x) + p.d.n * (r * np.log(alpha) + s * np.log(beta)) + p.d.total(ll_rows)
    if not gradient:
        return ll
    w = p.d.weight
    g_rows = grad_rows.sum(axis=1) if w is None else grad_rows @ w
    grad = g_rows + np.array([n_x @ (special.digamma(r + xs) - special.digamma(r)) + p.d.n * np.log(alpha),
                              p.d.n * r / alpha, p.d.n * np.log(beta), p.d.n * s / beta])
    if not np.all(np.isfinite(grad)):
        return -np.inf, grad
    return ll, grad


def _starts(d: PurchaseData) -> list[list[float]]:
    """Deterministic starts: r = s = 1 with α = β matching the mean purchase rate, then two spreads."""
    mean_T = d.total(d.T) / d.n
    mean_x = float(np.arange(d.x_counts.size) @ d.x_counts) / d.n
    alpha0 = mean_T / max(mean_x, 0.1)
    return [[1.0, alpha0, 1.0, alpha0], [0.5, alpha0, 0.5, 2 * alpha0], [2.0, alpha0 / 2, 2.0, alpha0 / 2]]


def _as_array(value):
    return np.asarray(value, dtype=float)


def _out(value):
    value = np.asarray(value, dtype=float)
    return float(value) if value.ndim == 0 else value


def _history_log_terms(theta, frequency, recency, T):
    """(log of the alive term, log of s·I, shape) for arbitrary histories (broadcast)."""
    x, t_x, T = np.broadcast_arrays(_as_array(frequency), _as_array(recency), _as_array(T))
    shape = x.shape
    frame = pd.DataFrame({"frequency": x.ravel(), "recency": t_x.ravel(), "T": T.ravel()})
    p = _Prepared(purchase_data(frame, where="Pareto/NBD", compress=False))
    r, alpha, s, beta = theta
    ll_rows, _ = _row_terms(theta, p, gradient=False)
    alive = -(r + p.xf) * np.log(alpha + p.d.T) - s * np.log(beta + p.d.T)
    return alive, ll_rows, shape, p


@dataclass(frozen=True)
class ParetoNBDModel(FittedModel):
    """A fitted Pareto/NBD model (:func:`fit_pareto_nbd`): parameters r, α, s, β and the model's predictions.

    Times are in the unit of the summary the model was fitted on (``unit``); every method is vectorised over
    arrays (numpy broadcasting) and returns a float for scalar input.
    """

    def _theta(self):
        return _params(self.params)

    def expected_purchases(self, t):
        """E[X(t)]: expected repeat purchases of a new customer in (0, t] (SMC eq. 17; note 009 eq. 9).

        R BTYD's manual (``pnbd.Expectation`` at r = 0.55, α = 10.56, s = 0.61, β = 11.64): 0.0508 after one week.

        >>> m = ParetoNBDModel.from_params({"r": 0.55, "alpha": 10.56, "s": 0.61, "beta": 11.64})
        >>> round(m.expected_purchases(1.0), 4)
        0.0508
        """
        r, alpha, s, beta = self._theta()
        t = _as_array(t)
        lead = r * beta / alpha
        log_ratio = np.log1p(t / beta)  # ln((β+t)/β)
        return _out(lead * _one_minus_power_over(s - 1, log_ratio))

    def probability_alive(self, frequency, recency, T):
        """P(alive | x, t_x, T): the alive term of the likelihood over the likelihood (SMC eq. 11; note 009 eq. 18).

        BTYD's walkthrough: 0.9979 for x = 26, t_x = 30.86, T = 31 at its CDNOW estimates.

        >>> m = ParetoNBDModel.from_params({"r": 0.5534, "alpha": 10.5802, "s": 0.6061, "beta": 11.6562})
        >>> round(m.probability_alive(26, 30.86, 31), 4)
        0.9979
        """
        alive, ll_rows, shape, _ = _history_log_terms(self._theta(), frequency, recency, T)
        return _out(np.exp(alive - ll_rows).reshape(shape))

    def conditional_expected_purchases(self, t, frequency, recency, T):
        """E[Y(t) | x, t_x, T]: expected purchases in (T, T+t] of a customer with history (x, t_x, T)
        (SMC eq. 22; note 009 eq. 20): P(alive)·(r+x)(β+T)/((α+T)(s−1))·[1 − ((β+T)/(β+T+t))^(s−1)].

        BTYD's walkthrough: 25.46 for x = 26, t_x = 30.86, T = 31 over 52 weeks (lifetimes gives 25.455 at the
        same parameters, as here).

        >>> m = ParetoNBDModel.from_params({"r": 0.5534, "alpha": 10.5802, "s": 0.6061, "beta": 11.6562})
        >>> round(m.conditional_expected_purchases(52, 26, 30.86, 31), 1)
        25.5
        """
        r, alpha, s, beta = self._theta()
        t, x, t_x, T = np.broadcast_arrays(_as_array(t), _as_array(frequency), _as_array(recency), _as_array(T))
        p_alive = _as_array(self.probability_alive(x, t_x, T)).reshape(x.shape)
        lead = (r + x) * (beta + T) / (alpha + T)
        return _out(p_alive * lead * _one_minus_power_over(s - 1, np.log1p(t / (beta + T))))

    def log_likelihood_customers(self, frequency, recency, T) -> np.ndarray:
        """Each customer's log-likelihood (the FHL note's likelihood, in logs) at the model's parameters.

        >>> m = ParetoNBDModel.from_params({"r": 0.5534, "alpha": 10.5802, "s": 0.6061, "beta": 11.6562})
        >>> np.round(m.log_likelihood_customers([2, 0], [30.43, 0.0], [38.86, 38.86]), 3).tolist()
        [-9.555, -0.521]
        """
        r, alpha, s, beta = self._theta()
        _, ll_rows, shape, p = _history_log_terms(self._theta(), frequency, recency, T)
        a = special.gammaln(r + p.xf) - special.gammaln(r) + r * np.log(alpha) + s * np.log(beta)
        return (a + ll_rows).reshape(shape)

    @classmethod
    def from_params(cls, params, *, unit: str = "") -> ParetoNBDModel:
        """A model with given parameters (a dict r, alpha, s, beta; no fit: se NaN, log-likelihood NaN).

        >>> ParetoNBDModel.from_params({"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}).params["s"]
        0.606
        """
        theta = _params(params)
        return cls(name="Pareto/NBD", params=dict(zip(_NAMES, theta, strict=True)),
                   se=dict.fromkeys(_NAMES, np.nan), log_likelihood=np.nan, n=0, converged=False, iterations=0,
                   message="parameters given, not fitted", covariance=np.full((4, 4), np.nan), unit=unit)


def _one_minus_power_over(e, log_ratio):
    """[1 − exp(−e·L)]/e for L = log_ratio ≥ 0, and its limit L at e = 0 (stable near e = 0 via expm1)."""
    e = np.asarray(e, dtype=float)
    small = np.abs(e) < 1e-10
    safe = np.where(small, 1.0, e)
    return np.where(small, log_ratio, -np.expm1(-safe * log_ratio) / safe)


def fit_pareto_nbd(summary: pd.DataFrame, *, unit: str | None = None, penalizer: float = 0.0) -> ParetoNBDModel:
    """Fit the Pareto/NBD model (Schmittlein, Morrison & Colombo 1987) by maximum likelihood to a purchase summary.

    ``summary`` has one row per customer with ``frequency`` (x), ``recency`` (t_x) and ``T`` in one time unit
    (``unit``, recorded; default ``summary.attrs["unit"]``). The likelihood is the FHL note's, in log space, with
    the analytic gradient (module docstring); deterministic starts; standard errors from central differences of
    the analytic gradient (delta method from the log scale). ``penalizer`` adds an L2 penalty to the mean negative
    log-likelihood, ``penalizer·(r² + (α/max T)² + s² + (β/max T)²)`` (0: plain ML). It is the penalty of
    :func:`cfresearch.profit.bgnbd.fit_bgnbd`; lifetimes' ``ParetoNBDFitter`` adds its penalty to the *summed*
    negative log-likelihood instead, so the same coefficient penalises n times less there.

    The published CDNOW fit (Fader, Hardie & Lee 2005): r = 0.553, α = 10.578, s = 0.606, β = 11.669,
    LL = −9595.0 (the likelihood is flat along α ≈ β: BTYD stops at α = 10.580, β = 11.656, LL −9594.976).

    >>> from cfresearch.profit.cdnow import load_cdnow
    >>> m = fit_pareto_nbd(load_cdnow(), unit="W")
    >>> {k: round(v, 2) for k, v in m.params.items()}, round(m.log_likelihood, 1), m.converged
    ({'r': 0.55, 'alpha': 10.58, 's': 0.61, 'beta': 11.67}, -9595.0, True)
    """
    d = purchase_data(summary, where="fit_pareto_nbd")
    fit = _maximise(d, _starts(d), penalizer)
    unit = summary.attrs.get("unit", "") if unit is None else unit
    return ParetoNBDModel(name="Pareto/NBD", n=d.n, unit=str(unit), **fit.fields())


def _maximise(d: PurchaseData, starts, penalizer: float):
    """Maximise on ``d``; above _WARM_ROWS rows, first on every k-th row (about _WARM_ROWS of them), whose
    estimates and Hessian then start the fit on all rows (deterministic: the same rows every time)."""
    curvature = None
    if d.x.size > 2 * _WARM_ROWS:
        step = d.x.size // _WARM_ROWS
        weight = None if d.weight is None else d.weight[::step]
        x = d.x[::step]
        sub = PurchaseData(x, d.t_x[::step], d.T[::step], weight, int(x.size if weight is None else weight.sum()),
                           np.bincount(x, weights=weight).astype(float))
        warm = _maximise(sub, starts, penalizer)
        starts = [list(warm.estimate), *starts]
        if warm.converged:
            curvature = np.linalg.inv(warm.log_covariance) * (d.n / sub.n)
    p = _Prepared(d)
    time_scale = 1.0 / float(d.T.max())
    return maximise_likelihood(lambda theta: _loglik(theta, p), starts, names=_NAMES, n=d.n, penalizer=penalizer,
                               penalty_weights=[1.0, time_scale, 1.0, time_scale], differences="forward",
                               curvature=curvature)


def simulate_pareto_nbd(params, T, seed=None) -> pd.DataFrame:
    """Draw purchase summaries from the Pareto/NBD model: one customer per element of ``T`` (observation lengths).

    Per customer λ ~ gamma(r, rate α), μ ~ gamma(s, rate β) and a lifetime τ ~ exponential(μ); the customer buys
    x ~ Poisson(λ·min(τ, T)) times in (0, min(τ, T)], the last at min(τ, T)·Beta(x, 1) (the largest of x uniforms;
    0 when x = 0). Returns frequency, recency, T and the truth: ``alive`` (τ > T), ``rate`` (λ), ``death_rate``
    (μ). ``seed`` seeds a numpy Generator (or is one).

    >>> sim = simulate_pareto_nbd({"r": 0.55, "alpha": 10.6, "s": 0.6, "beta": 11.7}, np.full(3, 39.0), seed=1)
    >>> list(sim.columns)
    ['frequency', 'recency', 'T', 'alive', 'rate', 'death_rate']
    """
    r, alpha, s, beta = _params(params)
    rng = np.random.default_rng(seed)
    T = np.asarray(T, dtype=float)
    lam = rng.gamma(r, 1.0 / alpha, size=T.size)
    mu = rng.gamma(s, 1.0 / beta, size=T.size)
    life = rng.exponential(1.0 / np.maximum(mu, 1e-300))
    window = np.minimum(life, T)
    x = rng.poisson(lam * window)
    t_x = np.zeros(T.size)
    pos = x > 0
    t_x[pos] = window[pos] * rng.beta(x[pos], 1.0)
    return pd.DataFrame({"frequency": x, "recency": t_x, "T": T, "alive": life > T, "rate": lam, "death_rate": mu})
