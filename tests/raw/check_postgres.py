#!/usr/bin/env python3
"""postgres_raw against the real PostgreSQL, checked with psql.

Usage: check_postgres.py PATH/TO/weir_raw_it   (WEIR_PG_URL from .run/env.sh)

1. weir writes rows 0..2000 of the "all" schema (every type, NULLs, NaN,
   +-inf, -0.0, int64 limits, tabs, newlines, backslashes, "\\N", unicode, a
   100 kB string, pre-1970 timestamps) in batches of 300; writing them again
   inserts nothing; an overlapping batch inserts only the new rows.
2. psql reads every row back: each value and each NULL equals what was
   written; exported is false, export_run NULL, ingested_at set.
3. The table has the documented columns, types, defaults and primary key.
4. Throughput: 500k seed-004 rows in batches of 50k, then the same again (all
   conflicts); the rows/s figures are printed, not asserted.
"""
import sys

import rawcheck as rc


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    binary = sys.argv[1]
    rc.need_env("WEIR_PG_URL")
    check = rc.Checks()
    table = rc.unique("raw_check_pg")
    bench = rc.unique("raw_check_bench")
    try:
        out = rc.tool(binary, "pg-write", table, "all", 0, 2000, 300)
        check("first write inserts 2000 rows", out.strip() == "inserted 2000", out)
        out = rc.tool(binary, "pg-write", table, "all", 0, 2000, 300)
        check("the same rows again insert nothing", out.strip() == "inserted 0", out)
        count = rc.psql(f'SELECT count(*) FROM "{table}"')
        check("psql: 2000 rows after the replay", count == ["2000"], count)
        out = rc.tool(binary, "pg-write", table, "all", 1500, 3000, 400)
        check("an overlapping write inserts only the 1000 new rows", out.strip() == "inserted 1000",
              out)

        columns, want = rc.dump(binary, "all", 0, 3000)
        names = [c["name"] for c in columns]
        got = rc.pg_rows(table, columns)
        diff = rc.first_difference(got, want, names)
        check("psql: every value and NULL of 3000 rows round-trips", diff is None, diff)
        nulls = sum(v is None for row in got.values() for v in row)
        check("psql: the rows hold NULLs (and they are NULL, not text)", nulls > 0 and
              rc.psql(f'SELECT count(*) FROM "{table}" WHERE s IS NULL') != ["0"], nulls)
        state = rc.psql(f'SELECT count(*) FILTER (WHERE exported), count(export_run), '
                        f'count(*) FILTER (WHERE ingested_at IS NULL OR ingested_at > now()) '
                        f'FROM "{table}"')
        check("psql: exported false, export_run NULL, ingested_at set", state == ["0|0|0"], state)

        cols = rc.psql("SELECT column_name, data_type, is_nullable, coalesce(column_default, '') "
                       f"FROM information_schema.columns WHERE table_name = '{table}' "
                       "ORDER BY ordinal_position")
        expected_cols = [
            "event_id|text|NO|", "i|bigint|YES|", "f|double precision|YES|", "s|text|YES|",
            "b|boolean|YES|", "ts|timestamp with time zone|YES|", "n|bigint|NO|",
            "t|timestamp with time zone|NO|", "exported|boolean|NO|false", "export_run|text|YES|",
            "ingested_at|timestamp with time zone|NO|now()"]
        check("psql: columns, types, nullability and defaults", cols == expected_cols, cols)
        pk = rc.psql("SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
                     f"AND a.attnum = ANY(i.indkey) WHERE i.indrelid = '\"{table}\"'::regclass "
                     "AND i.indisprimary")
        check("psql: primary key (event_id)", pk == ["event_id"], pk)

        out = rc.tool(binary, "pg-bench", bench, 500000, 50000)
        print(out.strip().replace("\n", "\n     "), flush=True)
        check("bench: 500k rows inserted once, the replay inserted none",
              "inserted 500000" in out and "(inserted 0)" in out, out)
    except Exception as e:  # a tool or reader failing is a failed check, not a crash
        check("ran to the end", False, f"{type(e).__name__}: {e}")
    finally:
        rc.psql(f'DROP TABLE IF EXISTS "{table}"; DROP TABLE IF EXISTS "{bench}"')
    return check.done()


if __name__ == "__main__":
    sys.exit(main())
