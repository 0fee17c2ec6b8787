"""The cost model: time-driven ABC reproduces Kaplan & Anderson's worked example; every error names the YAML line.

Kaplan, R. S. & Anderson, S. R. (2004). "Time-driven activity-based costing." Harvard Business Review 82(11),
131-138 (reprint R0411J): a customer-service department costs $560,000 a quarter; its practical capacity is
700,000 minutes, so capacity costs $0.80 a minute. Unit times of 8, 44 and 50 minutes for processing an order,
handling a customer inquiry and performing a credit check give rates of $6.40, $35.20 and $40.00. With 49,000
orders, 1,400 inquiries and 2,500 credit checks in the quarter, 578,600 minutes are used and $97,120 of capacity
(17%) is unused. Conventional ABC had spread the whole $560,000 by an employee survey of time shares (70% / 10% /
20%), giving $8.00 / $40.00 / $44.80 per event. The inputs and the conventional rates are as the article
reports them; the time-driven figures are checked here for internal consistency (each follows from the inputs).
"""

from __future__ import annotations

import pytest

from cfresearch.data import DataError
from cfresearch.profit.costs import load_cost_model

KA = {"currency": "USD",
      "activities": {"order": {"minutes": 8, "pool": "customer_service"},
                     "inquiry": {"minutes": 44, "pool": "customer_service"},
                     "credit_check": {"minutes": 50, "pool": "customer_service"}},
      "pools": {"customer_service": {"cost": 560_000, "practical_minutes": 700_000, "period": "quarter"}}}
VOLUMES = {"order": 49_000, "inquiry": 1_400, "credit_check": 2_500}


def test_kaplan_anderson_capacity_cost_rate_and_activity_rates():
    model = load_cost_model(KA)
    assert model.pools["customer_service"].rate == pytest.approx(0.80)
    rates = {a: model.unit_cost(a) for a in VOLUMES}
    assert rates == pytest.approx({"order": 6.40, "inquiry": 35.20, "credit_check": 40.00})


def test_kaplan_anderson_unused_capacity_is_reported_apart():
    model = load_cost_model(KA)
    minutes = sum(VOLUMES[a] * model.activities[a].minutes for a in VOLUMES)
    assert minutes == 578_600
    cap = model.capacity({"customer_service": minutes}).iloc[0]
    assert cap["used_cost"] == pytest.approx(462_880)  # 6.40 x 49,000 + 35.20 x 1,400 + 40.00 x 2,500
    assert cap["used_cost"] == pytest.approx(sum(model.unit_cost(a) * VOLUMES[a] for a in VOLUMES))
    assert cap["unused_cost"] == pytest.approx(97_120)
    assert cap["unused_cost"] / cap["cost"] == pytest.approx(0.1734, abs=1e-4)  # "about 17%"
    # conventional ABC: the whole cost spread by the survey's time shares; the same total, higher rates
    shares = {"order": 0.70, "inquiry": 0.10, "credit_check": 0.20}
    abc = {a: 560_000 * shares[a] / VOLUMES[a] for a in VOLUMES}
    assert abc == pytest.approx({"order": 8.00, "inquiry": 40.00, "credit_check": 44.80})
    assert sum(abc[a] * VOLUMES[a] for a in VOLUMES) == pytest.approx(560_000)
    assert sum(abc[a] * VOLUMES[a] for a in VOLUMES) - cap["used_cost"] == pytest.approx(cap["unused_cost"])


def test_pool_period_scales_cost_to_the_analysis_window():
    model = load_cost_model(KA)  # a quarter's cost; a 2-quarter window doubles the capacity supplied
    cap = model.capacity({"customer_service": 578_600}, days=2 * 365.25 / 4).iloc[0]
    assert cap["cost"] == pytest.approx(1_120_000) and cap["rate"] == pytest.approx(0.80)
    assert cap["unused_cost"] == pytest.approx(1_120_000 - 462_880)


def test_units_in_strings_are_converted_and_checked(tmp_path):
    model = load_cost_model({"currency": "GBP", "activities": {"visit": {"minutes": "0.5 h", "pool": "field"},
                                                               "order": {"rate": "1.20 GBP"}},
                             "pools": {"field": {"cost": "240000 GBP", "practical_minutes": "5000 hours"}}})
    assert model.activities["visit"].minutes == 30
    assert model.pools["field"].practical_minutes == 300_000
    assert model.unit_cost("visit") == pytest.approx(24.0) and model.unit_cost("order") == 1.2


def _problems(text: str) -> list[tuple]:
    with pytest.raises(DataError) as err:
        load_cost_model(text)
    return [(r.row, r.column, r.kind) for r in err.value.issues.itertuples()], str(err.value)


def test_every_problem_is_reported_with_its_yaml_line(tmp_path):
    path = tmp_path / "costs.yaml"
    path.write_text(
        "currency: GBP\n"                                            # 1
        "activities:\n"                                              # 2
        "  order: {rate: 1.20, driver: transactions}\n"              # 3
        "  support_contact: {minutes: 9, pool: service_desk}\n"      # 4: unknown pool
        "  visit: {rate: 40, minutes: 50, pool: field_team}\n"       # 5: both
        "  call: {driver: activities}\n"                             # 6: missing rate
        "  delivery:\n"                                              # 7
        "    rate: -6.5\n"                                           # 8: negative
        "  return: {rate: 8 EUR}\n"                                  # 9: another currency
        "  chat: {rate: 0.40 GBP/min}\n"                             # 10: a cost per minute as a rate
        "  email: {minutes: 3 GBP, pool: field_team}\n"              # 11: money as minutes
        "pools:\n"                                                   # 12
        "  field_team: {cost: 240000, practical_minutes: 0}\n"       # 13: zero capacity
        "  desk: {cost: 1000, practical_minuts: 10}\n")              # 14: misspelt key
    with pytest.raises(DataError) as err:
        load_cost_model(path)
    got = {(r.row, r.column, r.kind) for r in err.value.issues.itertuples()}
    assert got == {
        (4, "activities.support_contact.pool", "unknown pool"),
        (5, "activities.visit", "both rate and minutes"),
        (6, "activities.call", "missing rate"),
        (8, "activities.delivery.rate", "negative value"),
        (9, "activities.return.rate", "unit mismatch"),
        (10, "activities.chat.rate", "unit mismatch"),
        (11, "activities.email.minutes", "unit mismatch"),
        (13, "pools.field_team.practical_minutes", "not positive"),
        (14, "pools.desk", "missing value"),
        (14, "pools.desk.practical_minuts", "unknown key"),
    }
    message = str(err.value)
    assert message.startswith(f"{path}: 10 problems in the cost model")
    assert "did you mean 'practical_minutes'" in message and "row 9, column activities.return.rate" in message


def test_transaction_driver_only_for_orders_deliveries_and_returns():
    (problem,), _ = _problems("activities:\n  visit: {rate: 40, driver: transactions}\n")
    assert problem == (2, "activities.visit.driver", "unknown driver")


def test_bad_yaml_and_missing_file(tmp_path):
    with pytest.raises(DataError, match="not valid YAML") as err:
        load_cost_model("activities:\n  order: {rate: 1\n")
    assert err.value.row == 3
    with pytest.raises(DataError, match="cost model file not found"):
        load_cost_model(tmp_path / "none.yaml")


def test_summary_and_frame():
    model = load_cost_model(KA)
    assert model.to_frame()["unit_cost"].round(2).tolist() == [6.40, 35.20, 40.00]
    assert "0.8000 per minute" in model.summary()
    assert model.derived == ()
