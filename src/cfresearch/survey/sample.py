"""Deterministic sample data for the survey study: a customer-satisfaction tracker and an employee self-assessment.

:func:`write_sample` writes, byte-identically on every run (fixed seed, integer data, fixed-order YAML):

``responses.csv`` + ``codebook.yaml``
    2,100 customers interviewed in 3 waves of 700.
``targets.yaml``
    Population margins of region, age group and gender (shares by value label).
``employees.csv`` + ``employees_codebook.yaml``
    240 employees rating themselves on 6 scales of 4 items, some items reverse-keyed.
``truth.yaml``
    Every constant of the generating model below, the invalid values planted, and the true reliabilities.

The model (all constants are module-level and copied into ``truth.yaml``):

*Design.* Stratified cluster sample: 5 regions (strata) with 8 stores each (clusters, ``store_id`` = 100 ×
region + 1..8); per wave a fixed number of interviews per region (:data:`SAMPLE_PER_WAVE`), spread over the
region's stores in proportion to fixed store sizes. The sample is deliberately unbalanced against the
population (:data:`POPULATION`): Central and East, the young and women are over-represented, so weighting
matters. Channel depends on age (the young shop online), customer type on age.

*Attributes.* Respondent i's latent view of attribute k is
``z_ik = shift_k + wave_k + LOADING·(F_i + type_i) + u_store(i) + NOISE·e_ik`` with F, e ~ N(0, 1) and a store
effect u ~ N(0, STORE_SD²); the rating 1..5 is ``1 + #{cut : z_ik > cut}`` for :data:`ATTRIBUTE_CUTS`. Wave 3 is
better on speed and delivery (:data:`WAVE_EFFECTS`). A share of ratings is replaced by 99 "don't know"
(:data:`DONT_KNOW`; delivery mostly for in-store shoppers, problem resolution for those without a problem).

*Outcomes.* Overall satisfaction ``csat`` 1..5 follows an ordered logit in the (true, unmasked) ratings:
``csat = 1 + #{j : η_i + ε_i > CSAT_CUTS_j}``, ``η_i = Σ_k DRIVER_WEIGHTS_k · (x_ik − 3) + v_store(i)``, ε logistic;
the driver weights are distinct (problem resolution and keeping promises strongest, delivery and first
impression weakest). ``nps`` 0..10 uses ``η_i + NPS_TYPE_EFFECT[type] + ε'`` with :data:`NPS_CUTS` (Loyal
customers higher). ``ces`` 1..7 (7 = very easy) is an ordered logit in speed and problem resolution plus a
channel effect. The "why do you choose us" dichotomies are Bernoulli with logit ``WHY_BASE + segment effects``.

*Comments.* 40 % of respondents comment, praising their best-rated attribute (csat 4-5 and nps 7-10),
criticising their worst (csat 1-2 or nps 0-4) or both (otherwise), from fixed templates; a few mention a
staff name, an e-mail address or a phone number (to exercise redaction), some contain ``<``, ``&`` and
quotes, one a name in decomposed Unicode.

*Invalid values.* Three attribute ratings of 6, one nps of 11 and one ``why_`` value of 2 are planted and
listed in ``truth.yaml`` (``invalid_values``), so that loading with ``on_invalid="set_missing"`` has something
to do. There are no duplicated ids.

*Employees.* Six correlated traits (r = :data:`TRAIT_CORR`); item j of a scale is
``y* = λ_j·θ + sqrt(1 − λ_j²)·e``, cut at :data:`ITEM_CUTS` into 1..5; reverse-keyed items have λ < 0 (so they
must be reversed before scoring). The true reliabilities of the continuous responses follow from the loadings
(ω = (Σ|λ|)² / ((Σ|λ|)² + Σ(1 − λ²)), and α of the same one-factor model); the alpha of the generated items is
recorded too. Persuasion is the weak scale (ω ≈ 0.63), the others ω ≈ 0.8-0.87. About 1 % of item answers
are blank.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .codebook import Codebook, Variable, dump_yaml

__all__ = ["write_sample", "generate_responses", "generate_employees", "responses_codebook", "employees_codebook",
           "SEED"]

SEED = 20250601

REGIONS = {1: "North", 2: "South", 3: "East", 4: "West", 5: "Central"}
AGE_GROUPS = {1: "18-34", 2: "35-49", 3: "50-64", 4: "65+"}
GENDERS = {1: "Female", 2: "Male", 3: "Another gender / prefer not to say"}
CUSTOMER_TYPES = {1: "New", 2: "Regular", 3: "Loyal"}
CHANNELS = {1: "In store", 2: "Online", 3: "Phone"}
WAVES = {1: "Wave 1 (Q1 2025)", 2: "Wave 2 (Q2 2025)", 3: "Wave 3 (Q3 2025)"}
WAVE_START = {1: "2025-01-13", 2: "2025-04-14", 3: "2025-07-14"}
FIELDWORK_DAYS = 28

#: Population margins (shares by code) — written to targets.yaml by label.
POPULATION = {
    "region": [0.22, 0.26, 0.18, 0.20, 0.14],
    "age_group": [0.28, 0.26, 0.25, 0.21],
    "gender": [0.51, 0.47, 0.02],
}
#: Interviews per wave by region (sum 700): Central and East over-sampled.
SAMPLE_PER_WAVE = [126, 140, 154, 112, 168]
#: Sampling probabilities of age group and gender (young and women over-represented).
SAMPLE_AGE = [0.40, 0.28, 0.20, 0.12]
SAMPLE_GENDER = [0.58, 0.39, 0.03]
STORES_PER_REGION = 8
#: P(channel = In store, Online, Phone | age group).
CHANNEL_BY_AGE = [[0.45, 0.45, 0.10], [0.55, 0.32, 0.13], [0.62, 0.20, 0.18], [0.63, 0.12, 0.25]]
#: P(customer type = New, Regular, Loyal | age group).
TYPE_BY_AGE = [[0.35, 0.45, 0.20], [0.25, 0.45, 0.30], [0.20, 0.45, 0.35], [0.15, 0.40, 0.45]]

ATTRIBUTES = {
    "q_first_impression": ("First impression of the store or website", "the first impression"),
    "q_staff_friendliness": ("Friendliness of staff", "the staff"),
    "q_product_knowledge": ("Staff product knowledge", "the product advice"),
    "q_speed_convenience": ("Speed and convenience", "the speed of service"),
    "q_problem_resolution": ("Resolving problems", "the way my problem was handled"),
    "q_delivery": ("Delivery", "the delivery"),
    "q_price_value": ("Value for money", "the value for money"),
    "q_keeping_promises": ("Keeping promises", "keeping promises"),
}
ATTR = list(ATTRIBUTES)
#: Mean shift of each attribute's latent (performance differs by attribute).
ATTRIBUTE_SHIFT = [0.45, 0.55, 0.20, -0.15, -0.30, -0.10, -0.45, 0.00]
LOADING = 0.60
NOISE = 0.80
STORE_SD = 0.25
ATTRIBUTE_CUTS = [-1.6, -0.8, 0.0, 0.9]
#: Latent shift of the common factor by customer type (New, Regular, Loyal).
TYPE_SHIFT = [-0.10, 0.00, 0.25]
#: Wave effects on the attribute latents: {attribute: [wave 1, wave 2, wave 3]}.
WAVE_EFFECTS = {"q_speed_convenience": [0.0, 0.15, 0.50], "q_delivery": [0.0, 0.15, 0.50]}
#: True ordered-logit coefficients of csat on each rating (per scale point, ratings centred at 3).
DRIVER_WEIGHTS = [0.10, 0.35, 0.27, 0.20, 0.60, 0.06, 0.15, 0.48]
CSAT_CUTS = [-3.2, -1.8, 0.0, 1.9]
CSAT_STORE_SD = 0.20
#: nps = #{cut : η + type effect + logistic > cut}, 0..10.
NPS_CUTS = [-4.0, -3.4, -2.9, -2.4, -1.9, -1.3, -0.6, 0.3, 1.1, 2.4]
NPS_TYPE_EFFECT = [-0.40, 0.00, 0.80]
#: ces (1 = very difficult .. 7 = very easy): ordered logit in speed and resolution, plus channel.
CES_WEIGHTS = {"q_speed_convenience": 0.55, "q_problem_resolution": 0.45}
CES_CHANNEL = [0.0, 0.30, -0.40]
CES_CUTS = [-3.3, -2.4, -1.5, -0.5, 0.6, 1.8]
#: P(99 "don't know") by attribute; delivery by channel (In store, Online, Phone).
DONT_KNOW = {"q_first_impression": 0.01, "q_staff_friendliness": 0.015, "q_product_knowledge": 0.05,
             "q_speed_convenience": 0.01, "q_problem_resolution": 0.09, "q_delivery": [0.13, 0.02, 0.05],
             "q_price_value": 0.02, "q_keeping_promises": 0.03}
WHY = {
    "why_price": "Good prices", "why_quality": "Quality of products", "why_location": "Convenient location",
    "why_staff": "Helpful staff", "why_range": "Wide range", "why_recommended": "Recommended by someone",
}
WHY_BASE = {"why_price": -0.6, "why_quality": 0.0, "why_location": -0.4, "why_staff": -1.0, "why_range": -0.8,
            "why_recommended": -1.5}
#: Additive logit effects on the why_ choices by segment ("column=label": {item: effect}).
WHY_EFFECTS = {
    "customer_type=New": {"why_price": 0.5, "why_recommended": 0.9},
    "customer_type=Loyal": {"why_staff": 0.6, "why_quality": 0.3},
    "channel=In store": {"why_location": 0.8, "why_staff": 0.4},
    "channel=Online": {"why_range": 0.7, "why_location": -1.0, "why_price": 0.3},
    "age_group=18-34": {"why_price": 0.4},
    "age_group=65+": {"why_staff": 0.4},
}
COMMENT_RATE = 0.40
N_INVALID_LIKERT = 3

# Employees
N_EMPLOYEES = 240
DEPARTMENTS = {1: "Store", 2: "Online", 3: "Contact centre"}
DEPARTMENT_SIZES = [120, 60, 60]
TENURE = {1: "Under 1 year", 2: "1-3 years", 3: "3-5 years", 4: "5 years or more"}
TENURE_P = [0.20, 0.35, 0.25, 0.20]
TRAIT_CORR = 0.30
ITEM_CUTS = [-1.6, -0.7, 0.2, 1.1]
EMPLOYEE_BLANK_RATE = 0.01
#: scale -> (label, [(item wording, loading)]); a negative loading = reverse-keyed item.
SCALES: dict[str, tuple[str, list[tuple[str, float]]]] = {
    "att": ("Calm and positive attitude", [
        ("I stay calm when a customer is upset", 0.86),
        ("I keep a positive tone even on busy days", 0.82),
        ("Small setbacks spoil my mood for the rest of the shift", -0.78),
        ("I can put a difficult conversation behind me quickly", 0.84)]),
    "com": ("Confident, friendly communication", [
        ("I greet every customer warmly", 0.84),
        ("I find it awkward to start a conversation with a customer", -0.80),
        ("I explain things clearly and confidently", 0.86),
        ("Customers tell me I am easy to talk to", 0.82)]),
    "kno": ("Product knowledge", [
        ("I know our products well enough to compare them", 0.88),
        ("I can answer most product questions without checking", 0.86),
        ("I keep up with new products and offers", 0.82),
        ("I often have to guess when a customer asks about a product", -0.80)]),
    "con": ("Handling conflict", [
        ("I can calm down an angry customer", 0.80),
        ("I avoid customers who complain", -0.74),
        ("I look for a fair solution when a customer is unhappy", 0.82),
        ("Complaints make me lose my temper", -0.72)]),
    "per": ("Persuasion", [
        ("I can convince a hesitant customer to buy", 0.70),
        ("I suggest a better option when I see one", 0.62),
        ("I find it hard to make a recommendation sound convincing", -0.52),
        ("Customers often follow my suggestions", 0.66)]),
    "cgr": ("Finding common ground", [
        ("I struggle to see a problem from the customer's side", -0.78),
        ("I find something we agree on before discussing the problem", 0.82),
        ("I can find a solution that suits both the customer and the company", 0.84),
        ("I build rapport quickly with different kinds of people", 0.80)]),
}

_PRAISE = [
    "Really happy with {a}.",
    "{A} was excellent, thank you.",
    "Great experience overall, especially {a}.",
    "I keep coming back because of {a}.",
    "Five stars for {a} & the friendly welcome.",
    'Honestly "{a}" is the reason I shop here.',
]
_COMPLAINT = [
    "Very disappointed with {a}.",
    "{A} needs to improve.",
    "Not happy: {a} was poor and nobody followed up.",
    "They said \"we'll call you back\" and never did. {A} was the worst part.",
    "Honestly {a} < what I expected.",
]
_MIXED = [
    "{A} was good but {b} could be better.",
    "Fine overall; {b} let it down, {a} was nice.",
]
_NAMES = ["Maria", "Tom", "Priya", "José"]
_NAME_TEMPLATES = [" Ask for {n}, really helpful.", " {n} at the till sorted it out.", " {n} was rude to me."]
_PHONE = " Please call me on 07700 900{d:03d}."
_EMAIL = " My email is {n}.{d}@example.org if you need details."


def _r(x: float, digits: int = 4) -> float:
    return float(round(float(x), digits))


def _cut(latent: np.ndarray, cuts: list[float], base: int) -> np.ndarray:
    """Ordinal category: base + number of cutpoints below the latent value (vectorised)."""
    return base + (latent[..., None] > np.asarray(cuts)).sum(axis=-1)


def _choice(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One draw per row from rows of category probabilities (0-based category)."""
    u = rng.random(len(probs))
    return (u[:, None] > np.cumsum(probs, axis=1)[:, :-1]).sum(axis=1)


def generate_responses(seed: int = SEED) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The customer responses (as written to responses.csv, codes not labels) and the truth record."""
    rng = np.random.default_rng(seed)
    n_regions, n_stores = len(REGIONS), len(REGIONS) * STORES_PER_REGION
    store_ids = np.array([100 * r + s for r in REGIONS for s in range(1, STORES_PER_REGION + 1)])
    store_size = rng.dirichlet(np.full(STORES_PER_REGION, 4.0), size=n_regions)  # within-region shares
    store_attr = rng.normal(0, STORE_SD, n_stores)
    store_csat = rng.normal(0, CSAT_STORE_SD, n_stores)

    # design: per wave, fixed interviews per region spread over its stores
    counts = np.stack([rng.multinomial(SAMPLE_PER_WAVE[r], store_size[r]) for r in range(n_regions)
                       for _ in WAVES]).reshape(n_regions, len(WAVES), STORES_PER_REGION)
    counts = counts.transpose(1, 0, 2).reshape(len(WAVES), n_stores)  # wave x store
    wave = np.repeat(np.tile(np.arange(1, len(WAVES) + 1)[:, None], (1, n_stores)).ravel(), counts.ravel())
    store_idx = np.repeat(np.tile(np.arange(n_stores), len(WAVES)), counts.ravel())
    n = len(wave)
    region = store_ids[store_idx] // 100
    age = _choice(rng, np.tile(SAMPLE_AGE, (n, 1))) + 1
    gender = _choice(rng, np.tile(SAMPLE_GENDER, (n, 1))) + 1
    channel = _choice(rng, np.asarray(CHANNEL_BY_AGE)[age - 1]) + 1
    ctype = _choice(rng, np.asarray(TYPE_BY_AGE)[age - 1]) + 1
    day = rng.integers(0, FIELDWORK_DAYS, n)

    # attribute ratings
    factor = rng.normal(size=n) + np.asarray(TYPE_SHIFT)[ctype - 1]
    wave_eff = np.zeros((n, len(ATTR)))
    for a, eff in WAVE_EFFECTS.items():
        wave_eff[:, ATTR.index(a)] = np.asarray(eff)[wave - 1]
    latent = (np.asarray(ATTRIBUTE_SHIFT) + wave_eff + LOADING * factor[:, None] + store_attr[store_idx, None]
              + NOISE * rng.normal(size=(n, len(ATTR))))
    ratings = _cut(latent, ATTRIBUTE_CUTS, 1)

    # outcomes from the true (unmasked) ratings
    eta = (ratings - 3) @ np.asarray(DRIVER_WEIGHTS) + store_csat[store_idx]
    csat = _cut(eta + rng.logistic(size=n), CSAT_CUTS, 1)
    nps = _cut(eta + np.asarray(NPS_TYPE_EFFECT)[ctype - 1] + rng.logistic(size=n), NPS_CUTS, 0)
    ces_eta = sum(w * (ratings[:, ATTR.index(a)] - 3) for a, w in CES_WEIGHTS.items())
    ces = _cut(ces_eta + np.asarray(CES_CHANNEL)[channel - 1] + rng.logistic(size=n), CES_CUTS, 1)

    # don't know (99)
    dk_p = np.column_stack([np.asarray(p)[channel - 1] if isinstance(p, list) else np.full(n, p)
                            for p in DONT_KNOW.values()])
    shown = np.where(rng.random((n, len(ATTR))) < dk_p, 99, ratings)

    # why do you choose us
    labels = {"customer_type": CUSTOMER_TYPES, "channel": CHANNELS, "age_group": AGE_GROUPS}
    codes = {"customer_type": ctype, "channel": channel, "age_group": age}
    why_logit = np.tile(np.asarray(list(WHY_BASE.values())), (n, 1))
    for seg, effects in WHY_EFFECTS.items():
        col, lab = seg.split("=")
        code = next(c for c, v in labels[col].items() if v == lab)
        for item, eff in effects.items():
            why_logit[:, list(WHY).index(item)] += eff * (codes[col] == code)
    why = (rng.random((n, len(WHY))) < 1 / (1 + np.exp(-why_logit))).astype(int)

    comment = _comments(rng, ratings, shown, csat, nps)
    email_num = rng.choice(np.arange(1000, 100000), size=n, replace=False)

    df = pd.DataFrame({
        "wave": wave, "_day": day, "store_id": store_ids[store_idx], "region": region, "age_group": age,
        "gender": gender, "customer_type": ctype, "channel": channel, "nps": nps, "csat": csat, "ces": ces,
        **{a: shown[:, k] for k, a in enumerate(ATTR)}, **{w: why[:, k] for k, w in enumerate(WHY)},
        "comment": comment, "_email": email_num,
    })
    df = df.sort_values(["wave", "_day", "store_id"], kind="stable").reset_index(drop=True)
    start = pd.to_datetime(pd.Series(df["wave"].map(WAVE_START)))
    df.insert(0, "respondent_id", [f"R{i:05d}" for i in range(1, len(df) + 1)])
    df.insert(2, "interview_date", (start + pd.to_timedelta(df.pop("_day"), unit="D")).dt.strftime("%Y-%m-%d"))
    df["email"] = "customer" + df.pop("_email").astype(str) + "@example.com"
    cols = ["respondent_id", "wave", "interview_date", "region", "store_id", "age_group", "gender", "customer_type",
            "channel", "nps", "csat", "ces", *ATTR, *WHY, "comment", "email"]
    df = df[cols]

    invalid = _plant_invalid(rng, df)
    truth = _responses_truth(seed, store_ids, store_size, store_attr, store_csat, invalid)
    return df, truth


def _comments(rng: np.random.Generator, ratings: np.ndarray, shown: np.ndarray, csat: np.ndarray,
              nps: np.ndarray) -> np.ndarray:
    """Template comments tied to the respondent's mood and best / worst rated attribute (vectorised)."""
    n = len(csat)
    nouns = np.array([ATTRIBUTES[a][1] for a in ATTR])
    rated = shown != 99
    jitter = rng.random(ratings.shape) * 0.1
    best = np.where(rated, ratings + jitter, -np.inf).argmax(axis=1)
    worst = np.where(rated, ratings + jitter, np.inf).argmin(axis=1)

    def fill(templates: list[str], a: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
        cap = lambda s: s[:1].upper() + s[1:]  # noqa: E731
        table = np.array([[[t.format(a=x, A=cap(x), b=y, B=cap(y)) for y in nouns] for x in nouns]
                          for t in templates], dtype=object)
        t = rng.integers(0, len(templates), n)
        return table[t, a, a if b is None else b]

    happy = (csat >= 4) & (nps >= 7)
    unhappy = (csat <= 2) | (nps <= 4)
    text = np.where(happy, fill(_PRAISE, best), np.where(unhappy, fill(_COMPLAINT, worst), fill(_MIXED, best, worst)))
    kind = rng.random(n)
    who = rng.integers(0, len(_NAMES), n)
    name_t = rng.integers(0, len(_NAME_TEMPLATES), n)
    digits = rng.integers(0, 1000, n)
    names = np.array([[t.format(n=nm) for nm in _NAMES] for t in _NAME_TEMPLATES], dtype=object)
    extra = np.where(kind < 0.04, names[name_t, who], "")
    phones = np.array([_PHONE.format(d=d) for d in range(1000)], dtype=object)
    emails = np.array([[_EMAIL.format(n=nm.lower(), d=d) for d in range(100)] for nm in ["sam", "alex", "jo"]],
                      dtype=object)
    extra = np.where((kind >= 0.04) & (kind < 0.055), phones[digits], extra)
    extra = np.where((kind >= 0.055) & (kind < 0.07), emails[who % 3, digits % 100], extra)
    out = np.where(rng.random(n) < COMMENT_RATE, (text.astype(object) + extra).astype(object), "").astype(object)
    # the first comment naming José is written in decomposed Unicode (NFD); loading normalises it to NFC
    jose = np.flatnonzero(np.char.find(out.astype(str), "José") >= 0)
    if jose.size:
        out[jose[0]] = unicodedata.normalize("NFD", out[jose[0]])
    return out


def _plant_invalid(rng: np.random.Generator, df: pd.DataFrame) -> list[dict[str, Any]]:
    """Plant the invalid values (in place) and list them as {respondent_id, row, column, value}."""
    planted: list[tuple[int, str, int]] = []
    att = df[ATTR].to_numpy()
    cells = np.argwhere(att != 99)
    pick = cells[rng.choice(len(cells), N_INVALID_LIKERT, replace=False)]
    planted += [(int(r), ATTR[c], 6) for r, c in pick]
    planted.append((int(rng.integers(len(df))), "nps", 11))
    planted.append((int(rng.integers(len(df))), str(rng.choice(list(WHY))), 2))
    for r, col, value in planted:
        df.loc[r, col] = value
    planted.sort(key=lambda p: (p[0], list(df.columns).index(p[1])))
    return [{"respondent_id": df.loc[r, "respondent_id"], "row": r + 2, "column": col, "value": value}
            for r, col, value in planted]


def _responses_truth(seed, store_ids, store_size, store_attr, store_csat, invalid) -> dict[str, Any]:
    return {
        "seed": seed,
        "design": {
            "strata": "region", "clusters": "store_id", "waves": len(WAVES),
            "interviews_per_wave_by_region": {REGIONS[r + 1]: n for r, n in enumerate(SAMPLE_PER_WAVE)},
            "stores": {int(s): {"size_share_in_region": _r(store_size.ravel()[i]),
                                "attribute_effect": _r(store_attr[i]), "csat_effect": _r(store_csat[i])}
                       for i, s in enumerate(store_ids)},
            "sample_probabilities": {"age_group": dict(zip(AGE_GROUPS.values(), SAMPLE_AGE)),
                                     "gender": dict(zip(GENDERS.values(), SAMPLE_GENDER))},
            "channel_by_age_group": {AGE_GROUPS[i + 1]: dict(zip(CHANNELS.values(), p))
                                     for i, p in enumerate(CHANNEL_BY_AGE)},
            "customer_type_by_age_group": {AGE_GROUPS[i + 1]: dict(zip(CUSTOMER_TYPES.values(), p))
                                           for i, p in enumerate(TYPE_BY_AGE)},
        },
        "population": _targets(),
        "attributes": {
            "model": "z = shift + wave effect + loading*(F + type shift) + store effect + noise*e; "
                     "rating = 1 + #(cuts below z)",
            "loading": LOADING, "noise_sd": NOISE, "store_effect_sd": STORE_SD, "cuts": ATTRIBUTE_CUTS,
            "shift": dict(zip(ATTR, ATTRIBUTE_SHIFT)),
            "customer_type_shift": dict(zip(CUSTOMER_TYPES.values(), TYPE_SHIFT)),
            "wave_effects": {a: {f"wave {i + 1}": e for i, e in enumerate(v)} for a, v in WAVE_EFFECTS.items()},
            "dont_know_rate": {a: (dict(zip(CHANNELS.values(), p)) if isinstance(p, list) else p)
                               for a, p in DONT_KNOW.items()},
        },
        "csat": {
            "model": "ordered logit: csat = 1 + #(cuts below eta + logistic), eta = sum(weight*(rating-3)) + store",
            "driver_weights": dict(zip(ATTR, DRIVER_WEIGHTS)),
            "driver_rank": [a for _, a in sorted(zip(DRIVER_WEIGHTS, ATTR), reverse=True)],
            "cuts": CSAT_CUTS, "store_effect_sd": CSAT_STORE_SD,
        },
        "nps": {"model": "nps = #(cuts below eta + customer type effect + logistic), 0..10", "cuts": NPS_CUTS,
                "customer_type_effect": dict(zip(CUSTOMER_TYPES.values(), NPS_TYPE_EFFECT))},
        "ces": {"model": "ordered logit, 1 = very difficult .. 7 = very easy", "weights": CES_WEIGHTS,
                "channel_effect": dict(zip(CHANNELS.values(), CES_CHANNEL)), "cuts": CES_CUTS},
        "why": {"model": "Bernoulli, logit = base + segment effects", "base_logit": WHY_BASE,
                "segment_effects": WHY_EFFECTS},
        "comments": {"rate": COMMENT_RATE},
        "invalid_values": invalid,
    }


def _targets() -> dict[str, dict[str, float]]:
    labels = {"region": REGIONS, "age_group": AGE_GROUPS, "gender": GENDERS}
    return {v: {labels[v][i + 1]: s for i, s in enumerate(shares)} for v, shares in POPULATION.items()}


def responses_codebook() -> Codebook:
    """The codebook of responses.csv."""
    V = Variable
    variables = [
        V("respondent_id", "Respondent ID", "id", required=True),
        V("wave", "Survey wave", "wave", values=dict(WAVES), required=True),
        V("interview_date", "Interview date", "date"),
        V("region", "Region", "single", values=dict(REGIONS), required=True),
        V("store_id", "Store (sampling cluster)", "numeric", required=True),
        V("age_group", "Age group", "single", values=dict(AGE_GROUPS)),
        V("gender", "Gender", "single", values=dict(GENDERS)),
        V("customer_type", "Customer type", "single", values=dict(CUSTOMER_TYPES)),
        V("channel", "Channel used", "single", values=dict(CHANNELS)),
        V("nps", "How likely are you to recommend us to a friend or colleague?", "nps", range=(0, 10),
          values={0: "Not at all likely", 10: "Extremely likely"}),
        V("csat", "Overall, how satisfied are you with us?", "likert", range=(1, 5),
          values={1: "Very dissatisfied", 2: "Dissatisfied", 3: "Neither", 4: "Satisfied", 5: "Very satisfied"}),
        V("ces", "How easy was it to get what you needed?", "likert", range=(1, 7),
          values={1: "Very difficult", 7: "Very easy"}),
    ]
    pts = {1: "Very poor", 2: "Poor", 3: "Fair", 4: "Good", 5: "Very good", 99: "Don't know / not applicable"}
    variables += [V(a, ATTRIBUTES[a][0], "likert", values=dict(pts), range=(1, 5), missing=[99]) for a in ATTR]
    variables += [V(w, lab, "multi", values={0: "Not mentioned", 1: "Mentioned"}, set="why") for w, lab in WHY.items()]
    variables += [V("comment", "Anything else you would like to tell us?", "open"),
                  V("email", "E-mail address", "pii")]
    return Codebook(variables={v.name: v for v in variables}, title="Customer satisfaction tracker (sample data)",
                    id="respondent_id", wave="wave", weight=None, strata="region", clusters="store_id",
                    multi_sets={"why": {"label": "Why do you choose us?", "items": list(WHY)}})


def generate_employees(seed: int = SEED) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The employee self-assessment (as written to employees.csv) and its truth record."""
    rng = np.random.default_rng(seed + 1)
    n, k = N_EMPLOYEES, len(SCALES)
    dept = rng.permutation(np.repeat(np.arange(1, len(DEPARTMENTS) + 1), DEPARTMENT_SIZES))
    tenure = _choice(rng, np.tile(TENURE_P, (n, 1))) + 1
    corr = np.full((k, k), TRAIT_CORR) + (1 - TRAIT_CORR) * np.eye(k)
    theta = rng.multivariate_normal(np.zeros(k), corr, size=n, method="cholesky")
    df = pd.DataFrame({"employee_id": [f"E{i:04d}" for i in range(1, n + 1)], "department": dept,
                       "tenure_band": tenure})
    truth_scales: dict[str, Any] = {}
    for s, (name, (label, items)) in enumerate(SCALES.items()):
        lam = np.array([w for _, w in items])
        ystar = theta[:, [s]] * lam + np.sqrt(1 - lam**2) * rng.normal(size=(n, len(lam)))
        resp = _cut(ystar, ITEM_CUTS, 1)
        blank = rng.random(resp.shape) < EMPLOYEE_BLANK_RATE
        for j in range(len(lam)):
            df[f"{name}_{j + 1}"] = pd.array(np.where(blank[:, j], 0, resp[:, j]), dtype="Int64")
            df.loc[blank[:, j], f"{name}_{j + 1}"] = pd.NA
        keyed = np.where(lam < 0, 6 - resp, resp).astype(float)
        keyed[blank] = np.nan
        keyed = keyed[~np.isnan(keyed).any(axis=1)]
        a = np.abs(lam)
        total = a.sum() ** 2 + (1 - a**2).sum()
        kk = len(lam)
        cov = np.cov(keyed, rowvar=False)
        truth_scales[name] = {
            "label": label, "items": [f"{name}_{j + 1}" for j in range(kk)], "loadings": lam.tolist(),
            "reverse": [f"{name}_{j + 1}" for j in range(kk) if lam[j] < 0],
            "omega_latent": _r(a.sum() ** 2 / total),
            "alpha_latent": _r(kk / (kk - 1) * (1 - kk / total)),
            "alpha_sample_listwise": _r(kk / (kk - 1) * (1 - np.trace(cov) / cov.sum())),
        }
    truth = {"seed": seed + 1, "n": n, "trait_correlation": TRAIT_CORR, "item_cuts": ITEM_CUTS,
             "blank_rate": EMPLOYEE_BLANK_RATE,
             "model": "y* = loading*theta + sqrt(1 - loading^2)*e; item = 1 + #(cuts below y*); "
                      "negative loading = reverse-keyed",
             "scales": truth_scales}
    return df, truth


def employees_codebook() -> Codebook:
    """The codebook of employees.csv (items carry their scale and reverse keying)."""
    V = Variable
    pts = {1: "Strongly disagree", 2: "Disagree", 3: "Neither", 4: "Agree", 5: "Strongly agree"}
    variables = [V("employee_id", "Employee ID", "id", required=True),
                 V("department", "Department", "single", values=dict(DEPARTMENTS), required=True),
                 V("tenure_band", "Time with the company", "single", values=dict(TENURE))]
    scales = {}
    for name, (label, items) in SCALES.items():
        names = [f"{name}_{j + 1}" for j in range(len(items))]
        variables += [V(nm, text, "likert", values=dict(pts), range=(1, 5), reverse=w < 0, scale=name)
                      for nm, (text, w) in zip(names, items)]
        scales[name] = {"label": label, "items": names, "min": 1, "max": 5}
    return Codebook(variables={v.name: v for v in variables}, title="Employee self-assessment (sample data)",
                    id="employee_id", scales=scales)


def write_sample(dest: str | Path) -> list[Path]:
    """Write the survey sample data into ``dest`` (created if needed); return the files written.

    Byte-identical from run to run: fixed seeds, integer data, YAML in a fixed key order.
    """
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    responses, truth = generate_responses()
    employees, emp_truth = generate_employees()
    truth["employees"] = emp_truth
    texts = {
        "responses.csv": responses.to_csv(index=False, lineterminator="\n"),
        "codebook.yaml": responses_codebook().to_yaml(),
        "targets.yaml": dump_yaml(_targets()),
        "employees.csv": employees.to_csv(index=False, lineterminator="\n"),
        "employees_codebook.yaml": employees_codebook().to_yaml(),
        "truth.yaml": dump_yaml(truth),
    }
    written = []
    for name, text in texts.items():
        path = dest / name
        path.write_bytes(text.encode("utf-8"))
        written.append(path)
    return written
