"""Orders per customer: the one pass over the transaction lines that validation and the ledger share.

A transaction line belongs to an order (``customer_id``, ``order_id``); an order is a sale when it has a line with
``returned = false``, delivered when one of its sale lines was delivered, returned when it has a refund line
(``returned = true``). Per customer, :func:`orders_per_customer` gives in one group-by over the lines, then one
over the orders:

==================  ============================================================================================
orders              orders with a sale
revenue, cogs       sums over every line (refunds net out)
delivery_fee        sum over every line (0 when the transactions have no delivery_fee column)
n_delivered         delivered sale orders
n_returned          orders with a refund line
first_date,         the first and last order date, where an order's date is the date of its first sale line
last_date
_ch<i>              sale orders whose channel is ``channels[i]`` (an order's channel: the first, alphabetically,
                    of its sale lines' channels)
_orphan_orders      orders with a refund line and no sale line (a refund without its order)
_dup_candidates     orders that could hold two identical lines: three lines or more, or two lines both sales or both
                    refunds (a sale and its refund differ in ``returned``)
==================  ============================================================================================

Validation (:mod:`cfresearch.profit.transactions`) keeps the result, cached in the engine (a temporary table on
DuckDB, a persisted DataFrame on Spark): its last two columns say whether the slower checks (the refunds' anti-join,
the group-by over every column that finds duplicate lines) need to run at all, and the ledger
(:mod:`cfresearch.profit.ledger`) then starts from it instead of grouping the lines again. On 10,000,000 lines
that one pass replaces three (bench/bench_ledger.py).
"""

from __future__ import annotations

__all__ = ["channels_of", "orders_per_customer", "packs_bits"]

_PACKED = 59  # channels that fit in the order's bits beside its three flags (a signed 64-bit integer)


def channels_of(engine, table) -> list[str]:
    """The distinct non-missing channels of a transactions table (an Ibis table on ``engine``), sorted.

    >>> import pandas as pd
    >>> from cfresearch.profit.engine import get_engine
    >>> e = get_engine("duckdb")
    >>> channels_of(e, e.read(pd.DataFrame({"channel": ["store", None, "online", "store"]})).table)
    ['online', 'store']
    """
    names = engine.collect(table.filter(table.channel.notnull()).select("channel").distinct())["channel"]
    return sorted(str(c) for c in names)


def packs_bits(engine) -> bool:
    """Whether ``engine``'s Ibis backend compiles a bitwise-OR aggregate (DuckDB does, Spark's compiler not).

    >>> from cfresearch.profit.engine import get_engine
    >>> packs_bits(get_engine("duckdb"))
    True
    """
    import ibis.expr.operations as ops

    return bool(engine.backend.has_operation(ops.BitOr))


def orders_per_customer(table, channels: list[str], *, fee: bool = True, packed: bool = True):
    """The per-customer order counts and sums of the module docstring, as an Ibis expression over ``table`` (the
    typed transaction lines: customer_id, order_id, date, revenue, cogs, channel, delivered, returned and, when
    ``fee``, delivery_fee). ``channels``: the channels to count orders of (:func:`channels_of`). ``packed``: an
    order's flags and channels as the bits of one integer (a bitwise OR, which Ibis' Spark compiler lacks:
    :func:`packs_bits` says whether an engine has it); else one aggregate for each.

    >>> import pandas as pd
    >>> from cfresearch.profit.engine import get_engine
    >>> e = get_engine("duckdb")
    >>> lines = pd.DataFrame({"customer_id": ["a", "a", "a", "b", "b"], "order_id": ["1", "1", "2", "3", "4"],
    ...     "date": pd.to_datetime(["2024-01-05", "2024-01-05", "2024-02-01", "2024-03-01", "2024-03-02"]),
    ...     "revenue": [10.0, 10.0, 5.0, 8.0, -8.0], "cogs": [6.0, 6.0, 3.0, 5.0, -5.0],
    ...     "channel": ["store", "store", "online", "online", "online"], "delivered": [False, False, True, True, False],
    ...     "returned": [False, False, False, False, True]})
    >>> per = orders_per_customer(e.read(lines).table, ["online", "store"], fee=False)
    >>> e.collect(per.order_by("customer_id")).drop(columns=["first_date", "last_date"]).to_dict("records")[0]
    {'customer_id': 'a', 'orders': 2, 'revenue': 25.0, 'cogs': 15.0, 'delivery_fee': 0.0, 'n_delivered': 1, \
'n_returned': 0, '_ch0': 1, '_ch1': 1, '_orphan_orders': 0, '_dup_candidates': 1}
    >>> e.collect(per.order_by("customer_id"))[["orders", "n_returned", "_orphan_orders"]].iloc[1].tolist()
    [1, 1, 1]
    """
    import ibis

    t = table
    sale = ~t.returned
    # What an order is, packed in one integer per order (a bitwise OR over its lines; one aggregate where four
    # cost a sixth more time on 10M lines): bit 0 a sale line, bit 1 a delivered sale line, bit 2 a refund line,
    # bit 3 + i a sale line in channels[i]. Unpacked (or past _PACKED channels), the same bits come from any()s
    # and the order's channel from its own aggregate.
    packed = packed and len(channels) <= _PACKED
    bits = sale.cast("int64") | ((t.delivered & sale).cast("int64") << 1) | (t.returned.cast("int64") << 2)
    code = ibis.cases(*[(t.channel == c, i) for i, c in enumerate(channels)], else_=ibis.null("int64")) \
        if channels else None
    if packed and channels:
        bits = bits | sale.ifelse(ibis.literal(8, "int64") << code, 0).fill_null(0)
    extra = {"fee": t.delivery_fee.sum()} if fee else {}
    if packed:
        extra["_bits"] = bits.bit_or()
    else:
        flags = {"_s": sale, "_d": t.delivered & sale, "_r": t.returned}
        extra |= {k: v.any() for k, v in flags.items()} | ({"ch": code.min(where=sale)} if channels else {})
    o = t.group_by(["customer_id", "order_id"]).aggregate(
        _n=t.count(), revenue=t.revenue.sum(), cogs=t.cogs.sum(), date=t.date.min(where=sale),
        **extra)
    if not packed:
        o = o.mutate(_bits=o._s.cast("int64") | (o._d.cast("int64") << 1) | (o._r.cast("int64") << 2))
    is_sale, returned = (o._bits & 1) == 1, (o._bits & 4) == 4
    if packed:  # the first channel in the list among the order's sale lines: the lowest channel bit set
        channel = {i: (o._bits & (((1 << (i + 1)) - 1) << 3)) == (8 << i) for i in range(len(channels))}
    else:
        channel = {i: is_sale & (o.ch == i) for i in range(len(channels))}
    # No aggregate short of a distinct count tells identical lines apart in orders of three lines or more; in
    # orders of two, a sale and a refund differ (a test of equal revenue as well cost a sixth of the pass's time).
    candidate = (o._n > 2) | ((o._n == 2) & ~(is_sale & returned))
    return o.group_by("customer_id").aggregate(
        orders=o.count(where=is_sale), revenue=o.revenue.sum(), cogs=o.cogs.sum(),
        delivery_fee=o.fee.sum() if fee else ibis.literal(0.0), n_delivered=o.count(where=(o._bits & 2) == 2),
        n_returned=o.count(where=returned), first_date=o.date.min(), last_date=o.date.max(),
        **{f"_ch{i}": o.count(where=c) for i, c in channel.items()},
        _orphan_orders=o.count(where=returned & ~is_sale), _dup_candidates=o.count(where=candidate))
