"""The results protocol: what every analysis result in cfresearch looks like, whichever package made it.

An analysis returns either a tidy DataFrame or a small result object. Result objects

* are frozen dataclasses (a result does not change after it is computed; derive a new one with
  ``dataclasses.replace``);
* have ``to_frame()``, a tidy DataFrame of the result (one row per estimate / item / term);
* have ``summary()``, a short plain-text account (first line: what was estimated, on what base);
* render themselves in a notebook cell without ``print``: ``_repr_html_`` shows the first line of the summary
  above ``to_frame()`` in the house table style (:func:`cfresearch.tables.show`, every value escaped).

Column vocabulary, in DataFrames and in ``to_frame()``:

==============  =============================================================================================
estimate        the point estimate a row reports (a mean, a share, an NPS, a coefficient)
diff            a difference between two estimates (``diff_se`` its standard error when both appear)
se              the standard error of ``estimate`` (of ``diff`` in a table of differences)
ci_low/ci_high  the bounds of its confidence interval at ``level``
statistic       a test statistic (z, t, F or chi-square: the ``test`` column or the docstring says which)
df, df1, df2    its degrees of freedom (df1/df2 for F)
p               its two-sided p-value
n               the unweighted base (respondents, rows)
sum_w           the weighted base (Σw)
effective_n     Kish's effective base (Σw)²/Σw², or the design-based effective size where stated
==============  =============================================================================================

Named measures keep their names where a row holds several (``alpha``, ``std_alpha``, ``omega_total`` in a
reliability table; ``importance`` and ``share_pct`` of a driver). Arguments: ``data`` first (the respondents'
DataFrame), ``weights=``, ``design=``, ``level=`` (confidence level, 0.95).
"""

from __future__ import annotations

import pandas as pd

__all__ = ["Result"]


class Result:
    """Base of every result object: ``to_frame()`` and ``summary()`` to implement, ``_repr_html_`` given.

    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class Mean(Result):
    ...     estimate: float
    ...     n: int
    ...     def to_frame(self): return pd.DataFrame([{"estimate": self.estimate, "n": self.n}])
    ...     def summary(self): return f"Mean {self.estimate:.2f} (n = {self.n})"
    >>> "<table" in Mean(2.5, 10)._repr_html_()
    True
    """

    def to_frame(self) -> pd.DataFrame:  # pragma: no cover - every result implements it
        raise NotImplementedError

    def summary(self) -> str:  # pragma: no cover - every result implements it
        raise NotImplementedError

    def _display_frame(self) -> pd.DataFrame:
        """The table a notebook shows (``to_frame()`` unless a result has a better display)."""
        return self.to_frame()

    def _repr_html_(self) -> str:
        from .tables import show  # tables imports pandas' Styler (jinja2) only when something is displayed

        caption = self.summary().splitlines()[0]
        return show(self._display_frame(), caption=caption, precision=3).to_html()
