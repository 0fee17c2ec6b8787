"""Customer profitability: ledgers to per-customer profit after cost to serve, whale curves, RFM, lifetime value
and service-policy what-ifs, on embedded DuckDB or on Spark.

=====================  ===========================================================================================
engine                 where the relational work runs: DuckDB (default), Spark (a session or Spark Connect URL),
                       or the pandas reference path
transactions           load and validate transactions, service activities and customers (CSV, Parquet, DuckDB
                       file, DataFrame, Spark table) with errors naming the file, row and column
costs                  the cost model (YAML): rates per activity, time-driven pools with practical capacity, fixed
                       costs per segment
ledger                 the customer P&L (Ibis expressions run in the engine) and the purchase summary
whale, rfm, cohorts    whale curve and profit deciles, profitability matrix; RFM scores and segments; cohort
                       retention and the shifted-beta-geometric model
bgnbd, paretonbd       repeat-purchase models by maximum likelihood with standard errors (fitting)
gammagamma, clv        the spend model; discounted customer lifetime value
holdout, lifetime      calibration/holdout validation and tracking; the whole lifetime-value protocol
policy                 service-policy what-ifs with their break-even response; service tiers
study                  one study loaded in one step, as the report notebook uses it
cdnow, sample          the CDNOW sample of the lifetime-value papers; the bundled sample data
=====================  ===========================================================================================
"""

from __future__ import annotations

from cfresearch.profit.bgnbd import BetaGeoModel, fit_bgnbd, simulate_bgnbd
from cfresearch.profit.cdnow import load_cdnow
from cfresearch.profit.clv import clv, clv_by_segment, discounted_expected_transactions
from cfresearch.profit.cohorts import CohortRetention, SBGModel, cohort_retention, fit_sbg
from cfresearch.profit.costs import CostModel, load_cost_model
from cfresearch.profit.engine import Engine, get_engine, spark_session
from cfresearch.profit.gammagamma import GammaGammaModel, fit_gamma_gamma, frequency_spend_correlation
from cfresearch.profit.holdout import (
    HoldoutCheck,
    calibration_holdout,
    holdout_check,
    repeat_purchases_by_period,
    tracking,
)
from cfresearch.profit.ledger import CustomerLedger, customer_ledger, summarise_purchases
from cfresearch.profit.lifetime import LifetimeValue, lifetime_value
from cfresearch.profit.paretonbd import ParetoNBDModel, fit_pareto_nbd, simulate_pareto_nbd
from cfresearch.profit.policy import (
    FewerVisits,
    FreeDelivery,
    PrioritySupport,
    ServiceTiers,
    WhatIfResult,
    recommend_tiers,
    what_if,
)
from cfresearch.profit.rfm import RFMResult, rfm, rfm_scores
from cfresearch.profit.study import ProfitabilityStudy, load_profitability, named_policy
from cfresearch.profit.transactions import LoadedTable, load_activities, load_customers, load_transactions
from cfresearch.profit.whale import ProfitabilityMatrix, WhaleCurve, profit_deciles, profitability_matrix, whale_curve

__all__ = [
    "BetaGeoModel", "CohortRetention", "CostModel", "CustomerLedger", "Engine", "FewerVisits", "FreeDelivery",
    "GammaGammaModel", "HoldoutCheck", "LifetimeValue", "LoadedTable", "ParetoNBDModel", "PrioritySupport",
    "ProfitabilityMatrix", "ProfitabilityStudy", "RFMResult", "SBGModel", "ServiceTiers", "WhaleCurve",
    "WhatIfResult", "calibration_holdout", "clv", "clv_by_segment", "cohort_retention", "customer_ledger",
    "discounted_expected_transactions", "fit_bgnbd", "fit_gamma_gamma", "fit_pareto_nbd", "fit_sbg",
    "frequency_spend_correlation", "get_engine", "holdout_check", "lifetime_value", "load_activities", "load_cdnow",
    "load_cost_model", "load_customers", "load_profitability", "load_transactions", "named_policy", "profit_deciles",
    "profitability_matrix", "recommend_tiers", "repeat_purchases_by_period", "rfm", "rfm_scores", "simulate_bgnbd",
    "simulate_pareto_nbd", "spark_session", "summarise_purchases", "tracking", "what_if", "whale_curve",
]
