"""Maximum-likelihood fitting shared by the lifetime-value models, and the fitted-model result they return.

* :func:`maximise_likelihood` maximises a log-likelihood over strictly positive parameters θ. It optimises
  φ = log θ with L-BFGS-B from deterministic start values (the first of several starts that reaches the best
  objective wins), using the analytic gradient when the log-likelihood supplies one. The objective is the one of
  lifetimes' fitters: the mean negative log-likelihood per customer plus an optional L2 penalty on the natural
  parameters, ``-LL(θ)/n + penalizer·Σ(wⱼθⱼ)²`` (lifetimes' ``penalizer_coef``; 0 by default, i.e. plain ML; the
  weights wⱼ, 1 by default, let a model penalise a time-scale parameter in a unit-free way, as lifetimes does).
  At the optimum it takes the Hessian H of ``n·objective`` in φ (analytic when given, else central differences of
  the gradient), Cov(φ) = H⁻¹, and by the delta method Cov(θ) = diag(θ)·H⁻¹·diag(θ), so se(θⱼ) = θⱼ·se(φⱼ)
  (standard ML theory, e.g. Cameron & Trivedi 2005, *Microeconometrics*, §5.6 and §7.2).
* :class:`FittedModel` is the result: the papers' parameter names, the standard errors, the full log-likelihood
  on the original scale (comparable with the papers' values), convergence flag, iterations and message.
  ``to_frame()`` gives Wald intervals formed on the log scale and transformed back (all parameters are
  positive): exp(φ̂ ± z·se(φ̂)).

A model module writes its log-likelihood (optionally returning the gradient too), calls
:func:`maximise_likelihood` and builds its :class:`FittedModel` subclass from ``fit.fields()``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, stats

from cfresearch.checks import require_columns
from cfresearch.results import Result

__all__ = ["FittedModel", "MaximumLikelihood", "PurchaseData", "maximise_likelihood", "purchase_data"]

_DEFAULT_TOL = 1e-12
_GRAD_TOL = 1e-6


@dataclass(frozen=True)
class FittedModel(Result):
    """A fitted lifetime-value model: parameters with the papers' names, Hessian standard errors, log-likelihood.

    ``log_likelihood`` is the full log-likelihood on the data's own time scale (as the papers report it, e.g.
    −9582.4 for the BG/NBD on CDNOW), not lifetimes' rescaled mean. ``se`` is NaN where the Hessian is not
    positive definite. ``covariance`` is the covariance matrix of the natural-scale parameters (rows and columns
    in the order of ``params``). ``penalizer`` is the L2 penalty used (0: maximum likelihood); ``unit`` the time
    unit of the summary the model was fitted on ("W", "D", ...; empty when not stated).

    >>> m = FittedModel("Demo", {"r": 0.5}, {"r": 0.05}, -10.0, 100, True, 7, "ok", np.array([[0.0025]]))
    >>> m.to_frame().round(3).to_dict("records")
    [{'param': 'r', 'estimate': 0.5, 'se': 0.05, 'ci_low': 0.411, 'ci_high': 0.608}]
    >>> print(m.summary())
    Demo fitted on 100 customers: LL = -10.00 (converged, 7 iterations)
    r = 0.5 (se 0.05)
    Intervals are Wald 95% intervals on the log scale, transformed back.
    """

    name: str
    params: dict[str, float]
    se: dict[str, float]
    log_likelihood: float
    n: int
    converged: bool
    iterations: int
    message: str
    covariance: np.ndarray = field(repr=False, compare=False)
    penalizer: float = 0.0
    unit: str = ""

    def to_frame(self, level: float = 0.95) -> pd.DataFrame:
        """One row per parameter: param, estimate, se, ci_low, ci_high (log-scale Wald interval at ``level``)."""
        z = stats.norm.ppf(0.5 + level / 2)
        rows = []
        for name, value in self.params.items():
            se = self.se.get(name, np.nan)
            half = z * se / value if value > 0 else np.nan
            rows.append({"param": name, "estimate": value, "se": se,
                         "ci_low": value * np.exp(-half), "ci_high": value * np.exp(half)})
        return pd.DataFrame(rows, columns=["param", "estimate", "se", "ci_low", "ci_high"])

    def summary(self) -> str:
        """Name, customers, log-likelihood and convergence on the first line; then one line per parameter."""
        state = "converged" if self.converged else f"NOT converged: {self.message}"
        lines = [f"{self.name} fitted on {self.n:,} customers: LL = {self.log_likelihood:,.2f} "
                 f"({state}, {self.iterations} iterations)"]
        lines += [f"{k} = {v:.4g} (se {self.se.get(k, np.nan):.3g})" for k, v in self.params.items()]
        note = "Intervals are Wald 95% intervals on the log scale, transformed back."
        if self.penalizer:
            note += f" L2 penalty {self.penalizer:g} (penalised ML: the SEs are approximate)."
        return "\n".join([*lines, note])


@dataclass(frozen=True)
class MaximumLikelihood:
    """What :func:`maximise_likelihood` found (natural-scale parameters, unpenalised log-likelihood).

    ``log_covariance`` is H⁻¹ on the log scale; ``covariance`` its delta-method transform to the natural scale.
    ``evaluations`` counts log-likelihood calls of the optimiser (the Hessian's are not counted).
    """

    names: tuple[str, ...]
    estimate: np.ndarray
    log_likelihood: float
    covariance: np.ndarray
    log_covariance: np.ndarray
    converged: bool
    iterations: int
    evaluations: int
    message: str
    penalizer: float = 0.0

    @property
    def params(self) -> dict[str, float]:
        return dict(zip(self.names, map(float, self.estimate), strict=True))

    @property
    def se(self) -> dict[str, float]:
        return dict(zip(self.names, map(float, np.sqrt(np.diag(self.covariance))), strict=True))

    def fields(self) -> dict:
        """The keyword arguments of :class:`FittedModel` that come from the fit (all but name, n and unit)."""
        return {"params": self.params, "se": self.se, "log_likelihood": self.log_likelihood,
                "converged": self.converged, "iterations": self.iterations, "message": self.message,
                "covariance": self.covariance, "penalizer": self.penalizer}


class _Objective:
    """n·objective and its gradient in φ = log θ, from a natural-scale log-likelihood (caching the last call)."""

    def __init__(self, loglik, gradient: bool, n: float, penalizer: float, weights: np.ndarray):
        self.loglik, self.gradient, self.n, self.penalizer = loglik, gradient, float(n), float(penalizer)
        self.w2 = np.asarray(weights, dtype=float) ** 2
        self.calls = 0

    def value_and_grad(self, phi: np.ndarray) -> tuple[float, np.ndarray]:
        """(−LL + n·λΣθ², its gradient in φ); +inf and a zero gradient where the log-likelihood is not finite."""
        self.calls += 1
        theta = np.exp(phi)
        if self.gradient:
            ll, g = self.loglik(theta)
            g = np.asarray(g, dtype=float)
        else:
            ll, g = self.loglik(theta), None
        if not np.isfinite(ll) or (g is not None and not np.all(np.isfinite(g))):
            return np.inf, np.zeros_like(phi)
        value = -ll + self.n * self.penalizer * float(self.w2 @ theta**2)
        if g is None:
            return value, None
        return value, (-g + 2 * self.n * self.penalizer * self.w2 * theta) * theta

    def scaled(self, phi: np.ndarray):
        """The objective per customer (lifetimes' scale), which keeps L-BFGS-B's tolerances meaningful."""
        value, g = self.value_and_grad(phi)
        if g is None:
            return value / self.n
        return value / self.n, g / self.n


def _numeric_gradient(fun, phi: np.ndarray, step: float = 1e-6) -> np.ndarray:
    out = np.empty_like(phi)
    for j in range(phi.size):
        h = step * max(1.0, abs(phi[j]))
        e = np.zeros_like(phi)
        e[j] = h
        out[j] = (fun(phi + e)[0] - fun(phi - e)[0]) / (2 * h)
    return out


def _hessian(obj: _Objective, phi: np.ndarray, step: float = 1e-5, differences: str = "central") -> np.ndarray:
    """Central (or forward) differences of the gradient of n·objective in φ (of the value when no gradient),
    symmetrised."""
    k = phi.size
    if obj.gradient:
        def grad(p):
            return obj.value_and_grad(p)[1]
    else:
        def grad(p):
            return _numeric_gradient(obj.value_and_grad, p, step=1e-4)
    h = np.empty((k, k))
    g0 = grad(phi) if differences == "forward" else None
    for j in range(k):
        d = step * max(1.0, abs(phi[j]))
        e = np.zeros(k)
        e[j] = d
        if g0 is None:
            h[:, j] = (grad(phi + e) - grad(phi - e)) / (2 * d)
        else:
            h[:, j] = (grad(phi + e) - g0) / d
    return (h + h.T) / 2


def _coordinates(obj: _Objective, phi_starts: np.ndarray, curvature):
    """(ψ → φ, the objective in ψ, the starts in ψ): the identity without ``curvature``, else ψ = Lᵀ(φ − φ₀)."""
    if curvature is None:
        return (lambda psi: psi), obj.scaled, phi_starts
    chol = np.linalg.cholesky(np.asarray(curvature, dtype=float) / obj.n)
    phi0 = phi_starts[0]

    def to_phi(psi):
        return phi0 + np.linalg.solve(chol.T, psi)

    def fun(psi):
        value, g = obj.scaled(to_phi(psi))
        return value, (None if g is None else np.linalg.solve(chol, g))

    return to_phi, (fun if obj.gradient else (lambda psi: obj.scaled(to_phi(psi)))), (phi_starts - phi0) @ chol


def _boxed_minimize(fun, start: np.ndarray, gradient: bool, options: dict, box: float = 2.0, moves: int = 20):
    """L-BFGS-B from a warm start in curvature coordinates, kept within ±``box`` of its centre; a solution on the
    box's edge moves the centre there and searches again. L-BFGS-B's first step has length 1 in the rescaled
    coordinates whatever the curvature says, which on a flat likelihood (the Pareto/NBD along s, β) can jump to
    parameters where one evaluation costs minutes; the box keeps every trial point near the warm start."""
    centre = np.asarray(start, dtype=float)
    res = None
    for _ in range(moves):
        bounds = list(zip(centre - box, centre + box))
        res = optimize.minimize(fun, centre, jac=True if gradient else None, method="L-BFGS-B", bounds=bounds,
                                options=options)
        if not np.any(np.abs(res.x - centre) >= box * (1 - 1e-6)):
            return res
        centre = res.x
    return res


def _invert(h: np.ndarray) -> tuple[np.ndarray, bool]:
    """H⁻¹ when H is finite and positive definite; a NaN matrix otherwise."""
    if not np.all(np.isfinite(h)) or np.linalg.eigvalsh(h).min() <= 0:
        return np.full_like(h, np.nan), False
    return np.linalg.inv(h), True


def maximise_likelihood(loglik: Callable, start: Sequence[float] | Sequence[Sequence[float]], *,
                        names: Sequence[str], n: float, gradient: bool = True, hessian: Callable | None = None,
                        penalizer: float = 0.0, penalty_weights: Sequence[float] | None = None,
                        max_iter: int = 1000, tol: float = _DEFAULT_TOL,
                        differences: str = "central", curvature: np.ndarray | None = None) -> MaximumLikelihood:
    """Maximum-likelihood (or L2-penalised) estimates of positive parameters, with Hessian standard errors.

    ``loglik(theta)`` returns the full log-likelihood at the natural-scale parameters ``theta`` (an array in the
    order of ``names``), or, with ``gradient=True``, the pair (log-likelihood, its gradient dLL/dθ). It may
    return ``-inf``/``nan`` where the parameters are unusable: the optimiser then backs off. ``start`` is one
    start vector or several: they are tried in turn until L-BFGS-B succeeds from one (deterministic; if none
    succeeds, the best objective reached wins). ``n`` is the number of
    customers (the sum of the weights when the data are compressed), which scales the objective to lifetimes'
    per-customer mean. ``hessian(theta)`` may give the analytic Hessian of the log-likelihood in θ; otherwise it
    is taken by central differences of the gradient on the log scale. ``converged`` means L-BFGS-B succeeded (or
    stopped at a stationary point: every gradient component of the per-customer objective below 1e-6) and the
    Hessian is finite and positive definite.

    ``curvature`` (optional) is an approximate Hessian of −LL in φ = log θ near the first start (e.g. a fit on a
    subsample, scaled up by the sizes): L-BFGS-B then works in coordinates ψ = Lᵀ(φ − φ₀), LLᵀ = curvature, where
    the objective is nearly isotropic, and needs few iterations on large data.

    ``differences="forward"`` takes the numerical Hessian by forward differences (k + 1 gradients instead of 2k:
    for expensive likelihoods; accurate to ~1e-5 relative, ample for standard errors).

    ``penalty_weights`` (one per parameter, default 1) make the penalty ``penalizer·Σ(wⱼθⱼ)²``.

    The Hessian, and hence the standard errors, is that of the objective maximised (with the penalty when
    ``penalizer > 0``: then the SEs describe the penalised estimator only approximately).

    Poisson counts with mean θ: the ML estimate is the sample mean, with se √(θ/n).

    >>> from scipy.special import gammaln
    >>> y = np.array([2, 3, 0, 4, 1, 2])
    >>> def ll(theta):
    ...     lam = theta[0]
    ...     return np.sum(y * np.log(lam) - lam - gammaln(y + 1)), np.array([y.sum() / lam - y.size])
    >>> fit = maximise_likelihood(ll, [1.0], names=["lambda"], n=y.size)
    >>> round(fit.params["lambda"], 6), round(fit.se["lambda"], 4), round(float(np.sqrt(2 / 6)), 4), fit.converged
    (2.0, 0.5774, 0.5774, True)
    """
    names = tuple(names)
    starts = np.atleast_2d(np.asarray(start, dtype=float))
    if starts.shape[1] != len(names) or np.any(starts <= 0):
        raise ValueError(f"start values must be positive, one per parameter {names}")
    weights = np.ones(len(names)) if penalty_weights is None else np.asarray(penalty_weights, dtype=float)
    obj = _Objective(loglik, gradient, n, penalizer, weights)
    to_phi, fun, starts_psi = _coordinates(obj, np.log(starts), curvature)
    best = None
    for i, s in enumerate(starts_psi):
        options = {"maxiter": max_iter, "ftol": tol, "gtol": 1e-9, "maxcor": 20}
        if curvature is not None and i == 0:
            res = _boxed_minimize(fun, s, gradient, options)
        else:
            res = optimize.minimize(fun, s, jac=True if gradient else None, method="L-BFGS-B", options=options)
        if best is None or (np.isfinite(res.fun) and res.fun < best.fun):
            best = res
        if res.success and np.isfinite(res.fun):
            break
    phi = to_phi(best.x)
    theta = np.exp(phi)
    if hessian is not None:
        if not gradient:
            raise ValueError("an analytic hessian needs the analytic gradient too (gradient=True)")
        g0 = np.asarray(obj.loglik(theta)[1], dtype=float)
        # H_φ of −LL + nλΣ(wθ)²: −diag(θ)·H_θ·diag(θ) − diag(θ∘g) + diag(4nλw²θ²)
        h = -(theta[:, None] * np.asarray(hessian(theta)) * theta[None, :]) - np.diag(theta * g0)
        h += np.diag(4 * n * penalizer * weights**2 * theta**2)
    else:
        h = _hessian(obj, phi, differences=differences)
    log_cov, ok = _invert(h)
    cov = theta[:, None] * log_cov * theta[None, :]
    ll = obj.loglik(theta)
    ll = float(ll[0] if gradient else ll)
    # L-BFGS-B may stop on a line search that cannot improve further at the optimum (float precision): accept a
    # stationary point too (largest gradient component of the per-customer objective below _GRAD_TOL)
    stationary = best.success or (gradient and np.max(np.abs(best.jac)) < _GRAD_TOL)
    converged = bool(stationary and ok and np.isfinite(ll))
    message = str(best.message) if ok else f"{best.message}; Hessian not positive definite"
    return MaximumLikelihood(names, theta, ll, cov, log_cov, converged, int(best.nit), obj.calls, message,
                             float(penalizer))


@dataclass(frozen=True)
class PurchaseData:
    """A purchase summary as arrays, compressed to its distinct (x, t_x, T) rows when that pays.

    ``x`` (int64), ``t_x`` and ``T`` (float64) are the distinct rows and ``weight`` how many customers each stands
    for (None when the rows were not compressed: every weight is 1); ``n`` is the number of customers.
    ``x_counts[k]`` is the number of customers with x = k (so terms that depend on x only are evaluated once per
    value of x, as in CLVTools' "compressed CBS" and BTYD's ``custs``).
    """

    x: np.ndarray
    t_x: np.ndarray
    T: np.ndarray
    weight: np.ndarray | None
    n: int
    x_counts: np.ndarray

    def total(self, values: np.ndarray) -> float:
        """Σ over customers of per-row ``values`` (weighted by the row counts when compressed)."""
        return float(values.sum() if self.weight is None else values @ self.weight)

    def by_x(self, values: np.ndarray) -> np.ndarray:
        """Per value of x, the (weighted) sum of per-row ``values``."""
        w = values if self.weight is None else values * self.weight
        return np.bincount(self.x, weights=w, minlength=self.x_counts.size)


_COMPRESS_MIN_ROWS = 50_000
_COMPRESS_PROBE = 20_000


def _compress(x: np.ndarray, t_x: np.ndarray, T: np.ndarray):
    """Distinct (x, t_x, T) rows and their counts, when a probe of the first rows shows at least half repeat."""
    if x.size < _COMPRESS_MIN_ROWS:
        return None
    probe = pd.DataFrame({"x": x[:_COMPRESS_PROBE], "t": t_x[:_COMPRESS_PROBE], "T": T[:_COMPRESS_PROBE]})
    if (~probe.duplicated()).sum() > _COMPRESS_PROBE // 2:
        return None
    grouped = pd.DataFrame({"x": x, "t": t_x, "T": T}).groupby(["x", "t", "T"], sort=False).size()
    keys = grouped.index
    return (keys.get_level_values(0).to_numpy(np.int64), keys.get_level_values(1).to_numpy(float),
            keys.get_level_values(2).to_numpy(float), grouped.to_numpy(float))


def purchase_data(summary: pd.DataFrame, *, where: str, compress: bool = True) -> PurchaseData:
    """Checked arrays of a purchase summary's frequency (x), recency (t_x) and T, optionally compressed.

    The summary follows the contract of Fader, Hardie & Lee (2005): x is the number of repeat purchases (a
    non-negative integer), 0 ≤ t_x ≤ T, T > 0, and t_x = 0 when x = 0. A row that breaks these raises ValueError
    naming its index label and the column.

    >>> s = pd.DataFrame({"frequency": [2, 0, 2], "recency": [30.43, 0.0, 30.43], "T": [38.86, 38.86, 38.86]})
    >>> d = purchase_data(s, where="demo")
    >>> d.n, d.x_counts.tolist(), d.weight
    (3, [1.0, 0.0, 2.0], None)
    >>> purchase_data(s.assign(recency=[40.0, 0, 1]), where="demo")
    Traceback (most recent call last):
    ...
    ValueError: demo: recency must lie between 0 and T (first bad row: index 0, recency 40.0, T 38.86)
    """
    require_columns(summary, ["frequency", "recency", "T"], where=where)
    freq = summary["frequency"].to_numpy(dtype=float)
    t_x = summary["recency"].to_numpy(dtype=float)
    T = summary["T"].to_numpy(dtype=float)
    if freq.size == 0:
        raise ValueError(f"{where}: the summary has no customers")
    checks = [
        ("frequency", ~(np.isfinite(freq) & (freq >= 0) & (freq == np.round(freq))),
         "frequency must be a non-negative whole number of repeat purchases"),
        ("T", ~(np.isfinite(T) & (T > 0)), "T must be positive"),
        ("recency", ~(np.isfinite(t_x) & (t_x >= 0) & (t_x <= T)), "recency must lie between 0 and T"),
        ("recency", (freq == 0) & (t_x != 0), "recency must be 0 when frequency is 0"),
    ]
    for column, bad, text in checks:
        if bad.any():
            i = int(np.argmax(bad))
            extra = f", T {T[i]:g}" if column == "recency" else ""
            raise ValueError(f"{where}: {text} (first bad row: index {summary.index[i]!r}, {column} "
                             f"{summary[column].iloc[i]}{extra})")
    x = freq.astype(np.int64)
    counts = np.bincount(x).astype(float)
    packed = _compress(x, t_x, T) if compress else None
    if packed is None:
        return PurchaseData(x, t_x, T, None, int(x.size), counts)
    return PurchaseData(*packed[:3], packed[3], int(x.size), counts)
