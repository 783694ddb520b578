#!/usr/bin/env python3
"""Row-for-row check of a Spark run against the single-process rows: every row of
OUT/ndjson/part-*.ndjson, matched by id, must equal (as a JSON value, index included) the row of
`ecospace check --batch` on the same file. Prints one line; exits 1 listing the first
differences.

usage: compare_rows.py SINGLE.ndjson OUT"""
import glob
import json
import os
import sys


def rows(paths):
    out = {}
    for p in paths:
        with open(p, encoding="utf-8") as f:
            for line in f:
                r = json.loads(line)
                if r["id"] in out:
                    sys.exit(f"compare_rows.py: id {r['id']} twice in {p}")
                out[r["id"]] = r
    return out


def main():
    single, out = sys.argv[1], sys.argv[2]
    want = rows([single])
    parts = sorted(glob.glob(os.path.join(out, "ndjson", "part-*.ndjson")))
    got = rows(parts)
    missing = sorted(set(want) - set(got))
    extra = sorted(set(got) - set(want))
    differ = sorted(k for k in set(want) & set(got) if want[k] != got[k])
    if missing or extra or differ:
        print(f"compare_rows.py: {out} differs from {single}:", file=sys.stderr)
        print(f"  {len(missing)} missing {missing[:5]}, {len(extra)} extra {extra[:5]}, {len(differ)} differ", file=sys.stderr)
        for k in differ[:3]:
            print(f"  {k}:\n    single {json.dumps(want[k])[:400]}\n    spark  {json.dumps(got[k])[:400]}", file=sys.stderr)
        sys.exit(1)
    print(f"{len(got)} rows in {len(parts)} parts equal the single-process rows")


if __name__ == "__main__":
    main()
