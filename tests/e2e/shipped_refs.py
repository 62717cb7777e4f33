"""References for shipped specs (jobs/specs/), shared by the tests and the
benches that run them: per result table its key, its columns, which of
them are approximate, and the rows computed with reference.py from the
events read back with kcat."""
import reference as ref

BETS_OOO = 5_000  # the bets specs' max_out_of_orderness
MONEY = {"amount": 2}  # the bets specs read amounts as decimal(12, 2)


def bets(events):
    """The four bets jobs of seeds 000/001 (bets-top-games, -avg-amount,
    -by-status, -active-users): [(table, key, columns, approximate, rows)]."""
    common = dict(time_field="timestamp", ooo_ms=BETS_OOO, events=events)
    return [
        ("bet_stats", ["game_id"], ["bets", "total_amount", "rank"], (),
         ref.top(ref.aggregate(key=["game_id"], size_ms=60_000,
                               aggs=[("count", None, "bets"), ("sum", "amount", "total_amount")],
                               decimals=MONEY, **common), 10, "bets")),
        ("bet_avg_amount", ["currency"], ["avg_amount", "min_amount", "max_amount", "bets"], (),
         ref.aggregate(key=["currency"], size_ms=60_000,
                       aggs=[("avg", "amount", "avg_amount"), ("min", "amount", "min_amount"),
                             ("max", "amount", "max_amount"), ("count", None, "bets")],
                       decimals=MONEY, **common)),
        ("bet_status_counts", ["status"], ["bets"], (),
         ref.aggregate(key=["status"], size_ms=60_000, aggs=[("count", None, "bets")], **common)),
        ("bet_active_users", [], ["active_users", "active_users_approx", "bets"],
         ("active_users_approx",),
         ref.aggregate(key=[], size_ms=300_000, slide_ms=60_000,
                       aggs=[("count_distinct", "user_id", "active_users"),
                             ("approx_count_distinct", "user_id", "active_users_approx"),
                             ("count", None, "bets")], **common)),
    ]
