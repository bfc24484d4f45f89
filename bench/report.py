#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Second half of bench/run: checks that dcr and DuckDB gave the same answers, then writes
# bench/RESULTS.md (medians, ratios, peak memory) and prints a short summary. Exit 1 on a mismatch.
import argparse
import csv
import datetime
import json
import math
import os
import statistics
import sys

# Column kinds of each workload's answer, in SELECT order.
KINDS = {"a": ["int"], "b": ["str", "str", "int", "int", "float"]}
TITLES = {"a": "(a) load both CSVs", "b": "(b) load + join + group by"}
REL_TOL = 1e-9
# What bench/duck.mjs runs (file paths shortened).
DUCK_SQL = {
    "a": "`CREATE TABLE a AS SELECT * FROM read_csv('a.csv')`, the same for b, then "
         "`SELECT COUNT(*) FROM a`",
    "b": "`SELECT a.dim1, b.dim2, COUNT(*), COUNT(DISTINCT a.id), SUM(b.amount) FROM "
         "read_csv('a.csv') a JOIN read_csv('b.csv') b ON a.id = b.id GROUP BY 1, 2`",
}


def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def read_answer(path, kinds):
    """Rows of a CSV answer (header skipped) as typed tuples, sorted; raises ValueError."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    if not rows:
        raise ValueError("empty output (not even a header)")
    header, body = rows[0], rows[1:]
    if len(header) != len(kinds):
        raise ValueError(f"header has {len(header)} columns, expected {len(kinds)}: {header}")
    out = []
    for n, row in enumerate(body, start=2):
        if len(row) != len(kinds):
            raise ValueError(f"line {n}: {len(row)} fields, expected {len(kinds)}")
        vals = []
        for kind, v in zip(kinds, row):
            try:
                vals.append(int(v) if kind == "int" else float(v) if kind == "float" else v)
            except ValueError:
                raise ValueError(f"line {n}: {v!r} is not {kind}") from None
        out.append(tuple(vals))
    # Sort on the exact columns only: floats may differ in the last bits.
    exact = [i for i, k in enumerate(kinds) if k != "float"]
    out.sort(key=lambda r: tuple(r[i] for i in exact))
    return out


def compare(dcr_rows, duck_rows, kinds):
    """None when the answers agree, else a one-line reason."""
    if len(dcr_rows) != len(duck_rows):
        return f"dcr gave {len(dcr_rows)} rows, DuckDB {len(duck_rows)}"
    for x, y in zip(dcr_rows, duck_rows):
        for kind, u, v in zip(kinds, x, y):
            same = math.isclose(u, v, rel_tol=REL_TOL, abs_tol=0.0) if kind == "float" else u == v
            if not same:
                return f"dcr row {x} vs DuckDB row {y}"
    return None


def expected_problem(workload, rows, n):
    """What the generator guarantees: (a) N rows; (b) N - N/2 matches, each id once."""
    if workload == "a":
        return None if rows == [(n,)] else f"expected COUNT(*) = {n}, got {rows}"
    matches = n - n // 2
    total = sum(r[2] for r in rows)
    if total != matches:
        return f"the join matched {total} rows, expected {matches}"
    if any(r[2] != r[3] for r in rows):
        return "COUNT(DISTINCT a.id) differs from COUNT(*) in some group (ids are unique)"
    if len(rows) > 200:
        return f"{len(rows)} groups, at most 10 x 20 = 200 possible"
    return None


def cpu_model():
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def mem_total_gib():
    try:
        with open("/proc/meminfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def mib(kib):
    return kib / 1024


def fmt_ratio(x, y):
    return f"{x / y:.2f}" if y > 0 else "n/a"


def main():
    ap = argparse.ArgumentParser()
    for opt in ("work", "out", "dcr-version", "dcr-commit", "dcr-from", "duckdb-version",
                "gen", "query-a", "query-b"):
        ap.add_argument("--" + opt, required=True)
    ap.add_argument("--rows", type=int, required=True)
    ap.add_argument("--runs", type=int, required=True)
    args = ap.parse_args()

    results = {}
    all_ok = True
    for w in ("a", "b"):
        r = {"dcr_s": [], "dcr_kib": [], "duck_s": [], "duck_kib": [], "duck_proc_s": [],
             "duck_proc_kib": [], "problems": []}
        for i in range(1, args.runs + 1):
            base = os.path.join(args.work, "%s-" + w + "-" + str(i))
            d = load_json(base % "dcr" + ".json")
            outer = load_json(base % "duck" + ".json")
            inner = load_json(base % "duck" + ".inner.json")
            r["dcr_s"].append(d["seconds"])
            r["dcr_kib"].append(d["max_rss_kib"])
            r["duck_s"].append(inner["seconds"])
            r["duck_kib"].append(max(0, inner["max_rss_kib"] - inner["rss_before_kib"]))
            r["duck_proc_s"].append(outer["seconds"])
            r["duck_proc_kib"].append(outer["max_rss_kib"])
            try:
                dcr_rows = read_answer(base % "dcr" + ".csv", KINDS[w])
            except ValueError as e:
                r["problems"].append(f"run {i}: dcr's answer: {e}")
                continue
            try:
                duck_rows = read_answer(base % "duck" + ".csv", KINDS[w])
            except ValueError as e:
                r["problems"].append(f"run {i}: DuckDB's answer: {e}")
                continue
            why = compare(dcr_rows, duck_rows, KINDS[w])
            if why:
                r["problems"].append(f"run {i}: answers differ: {why}")
            for who, rows in (("dcr", dcr_rows), ("DuckDB", duck_rows)):
                why = expected_problem(w, rows, args.rows)
                if why:
                    r["problems"].append(
                        f"run {i}: {who}'s answer is not what was generated: {why}")
        all_ok = all_ok and not r["problems"]
        results[w] = r

    med = statistics.median
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# `dcr sql` against DuckDB",
        "",
        f"Written by `bench/run` on {now}; rerun it rather than editing this file "
        "(see [README.md](README.md)).",
        "",
        "| | |",
        "|---|---|",
        f"| CPU | {cpu_model()} |",
        f"| online cores (`nproc`) | {len(os.sched_getaffinity(0))} |",
        f"| memory | {mem_total_gib()} |",
        f"| rows per table (N) | {args.rows:,} |",
        f"| runs (R) | {args.runs}, alternating: dcr (a), DuckDB (a), dcr (b), DuckDB (b) |",
        f"| dcr | {args.dcr_version}, commit {args.dcr_commit}, binary from {args.dcr_from} |",
        f"| DuckDB | {args.duckdb_version} (npm @duckdb/node-api, in-memory database) |",
        "| threads | each engine's default (DuckDB: one per core) |",
        f"| data | {args.gen} |",
        "",
    ]
    summary = []
    for w in ("a", "b"):
        r = results[w]
        ds, dk = med(r["dcr_s"]), med(r["dcr_kib"])
        us, uk = med(r["duck_s"]), med(r["duck_kib"])
        t_ok = us > 0 and ds / us <= 1.0
        m_ok = uk > 0 and dk / uk <= 1.0
        same = "yes" if not r["problems"] else "no"
        query = args.query_a if w == "a" else args.query_b
        duck_sql = DUCK_SQL[w]
        lines += [
            f"## {TITLES[w]}",
            "",
            f"- dcr: `dcr sql --contract contract.json --table a=a.csv --table b=b.csv "
            f"{'--all-columns ' if w == 'a' else ''}\"{query}\"`",
            f"- DuckDB: {duck_sql}",
            "",
            "| | dcr | DuckDB | dcr / DuckDB | target met (<= 1.0) |",
            "|---|---:|---:|---:|---|",
            f"| median seconds | {ds:.3f} | {us:.3f} | {fmt_ratio(ds, us)} | "
            f"{'yes' if t_ok else 'no'} |",
            f"| peak memory, MiB (median of runs) | {mib(dk):.0f} | {mib(uk):.0f} | "
            f"{fmt_ratio(dk, uk)} | {'yes' if m_ok else 'no'} |",
            f"| seconds, each run | {', '.join(f'{x:.3f}' for x in r['dcr_s'])} | "
            f"{', '.join(f'{x:.3f}' for x in r['duck_s'])} | | |",
            f"| DuckDB's whole node process (for information): median seconds, peak RSS MiB | "
            f"| {med(r['duck_proc_s']):.3f} s, {mib(med(r['duck_proc_kib'])):.0f} MiB | | |",
            "",
            f"answers identical: {same}",
            "",
        ]
        for p in r["problems"]:
            lines.append(f"- {p}")
        if r["problems"]:
            lines.append("")
        summary.append(
            f"{TITLES[w]:28} dcr {ds:7.3f} s {mib(dk):7.0f} MiB | DuckDB {us:7.3f} s "
            f"{mib(uk):7.0f} MiB | dcr/DuckDB time {fmt_ratio(ds, us)} memory "
            f"{fmt_ratio(dk, uk)} | answers identical: {same}")
    lines += [
        "## How it is measured",
        "",
        "- dcr: wall-clock time and peak memory (max RSS) of the whole `dcr sql` process: "
        "start-up, reading both CSVs, the query and printing the answer "
        "(`bench/measure.py`, from `wait4`).",
        "- DuckDB: time inside node around the SQL only; node's start-up, loading the "
        "library, opening the in-memory database and writing the answer are left out. Its "
        "memory is node's peak RSS minus node's RSS just before the SQL. Both choices favour "
        "DuckDB, so the ratios are conservative for dcr. The whole node process's numbers are "
        "in the last row, for information.",
        "- Every measurement is a fresh process; the CSVs are in the page cache before the "
        "first one. Medians over the runs.",
        "- Answers: both print CSV with a header; the rows are compared sorted, dimensions and "
        f"counts exactly, the SUM with a relative tolerance of {REL_TOL:g} (a float sum "
        "depends on the order of addition). Each answer is also checked against what the "
        f"generator guarantees: N rows in a; N - N/2 = {args.rows - args.rows // 2:,} join "
        "matches, each id once.",
        "- Data: ids are SHA-256 of a decimal counter in 64 lowercase hex (a: 0..N-1; "
        "b: N/2..3N/2-1, in shuffled order); dim1 10 values, dim2 20 values, qty int 0..100, "
        "amount 0..1000 with 2 decimals. The contract types id as `id` (`hashed`), dims as "
        "`string`, qty `int`, amount `float`; DuckDB detects its own types from the files.",
        "",
    ]
    with open(args.out, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    print("\n".join(summary))
    for w in ("a", "b"):
        for p in results[w]["problems"]:
            print(f"{TITLES[w]}: {p}")
    print(f"wrote {args.out}")
    sys.exit(0 if all_ok else 1)


if __name__ == "__main__":
    main()
