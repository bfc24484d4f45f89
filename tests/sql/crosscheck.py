#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Cross-checks `dcr sql` against SQLite: random tables and ~400 random queries in the part
# of docs/SQL.md where SQLite agrees after mechanical rewriting; any difference fails.
"""Usage: crosscheck.py --dcr PATH [--seed N] [--queries N] [--keep DIR] [--show N]

The SQLite side gets the same data with declared types and these rewrites:
  a / b          -> a * 1.0 / b        (the spec's / always gives float)
  DATE 'x'       -> 'x'                (dates are ISO text in SQLite: same order)
  ORDER BY k     -> k NULLS LAST, k DESC -> k DESC NULLS FIRST (NULL is the largest)
  PRAGMA case_sensitive_like = ON      (the spec's LIKE is case-sensitive)
and bool results (0/1 in SQLite) are compared with true/false. The generator stays where
both agree: every subexpression parenthesised, no float equality, ints small enough never
to overflow, no mixed-type CASE/COALESCE, ASCII strings only, ORDER BY over every output
column (so the order is determined) and LIMIT only after such an ORDER BY.
Results are compared as multisets without ORDER BY and in order with it; NULL and the
empty string are told apart; ints exactly; floats within a relative 1e-9.
"""
import argparse
import concurrent.futures
import math
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

# ------------------------------------------------------------------ data
DEPTS = ["sales", "Sales", "eng", "ops", "r&d", "hr, legal"]
NAMES = ["ann", "Ann", "bob", "carl", "dee", "o_o", "x%y", "a\\b", "", 'say "hi"', "zoe"]
REGIONS = ["north", "south", "east"]

SCHEMA = {
    "emp": [("id", "int"), ("name", "string"), ("dept", "string"), ("age", "int"),
            ("bonus", "int"), ("salary", "float"), ("hired", "date")],
    "sales": [("sid", "int"), ("emp_id", "int"), ("dept", "string"), ("qty", "int"),
              ("amount", "float"), ("day", "date")],
    "dept": [("code", "string"), ("region", "string"), ("budget", "int"), ("ratio", "float")],
}


def maybe(rng, p, value):
    return None if rng.random() < p else value


def a_date(rng, lo=2000, hi=2025):
    return "%04d-%02d-%02d" % (rng.randint(lo, hi), rng.randint(1, 12), rng.randint(1, 28))


def make_data(rng):
    emp = []
    for i in range(1, 301):
        emp.append([i, maybe(rng, 0.08, rng.choice(NAMES)), maybe(rng, 0.1, rng.choice(DEPTS)),
                    maybe(rng, 0.1, rng.randint(18, 70)), maybe(rng, 0.1, rng.randint(-500, 500)),
                    maybe(rng, 0.1, rng.randint(100000, 9999999) / 100),
                    maybe(rng, 0.1, a_date(rng))])
    sales = []
    for i in range(1, 401):
        sales.append([1000 + i, maybe(rng, 0.05, rng.randint(1, 330)),
                      maybe(rng, 0.1, rng.choice(DEPTS)), maybe(rng, 0.1, rng.randint(-5, 50)),
                      maybe(rng, 0.1, rng.randint(1, 99999) / 100),
                      maybe(rng, 0.1, a_date(rng, 2020, 2025))])
    dept = []
    for d in DEPTS + ["legal"]:
        dept.append([d, maybe(rng, 0.2, rng.choice(REGIONS)), rng.randint(0, 10000),
                     maybe(rng, 0.2, rng.randint(1, 999) / 8)])
    return {"emp": emp, "sales": sales, "dept": dept}


def csv_field(v):
    if v is None:
        return ""
    s = repr(v) if isinstance(v, float) else str(v)
    if s == "" or any(c in s for c in ',"\r\n'):
        return '"' + s.replace('"', '""') + '"'
    return s


def write_csv(path, cols, rows):
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(",".join(c for c, _ in cols) + "\n")
        for r in rows:
            f.write(",".join(csv_field(v) for v in r) + "\n")


# ------------------------------------------------------------------ expressions
class Expr:
    """One expression in both dialects, with its spec type."""

    def __init__(self, dcr, lite, ty, agg=False):
        self.dcr, self.lite, self.ty, self.agg = dcr, lite, ty, agg


def par(e, dcr, lite, ty):
    return Expr("(" + dcr + ")", "(" + lite + ")", ty, e.agg)


class Gen:
    def __init__(self, rng, scope):
        self.r = rng
        self.scope = scope  # list of (qualified name, type)

    def col(self, ty):
        cands = [c for c, t in self.scope if t == ty]
        if not cands:
            return None
        c = self.r.choice(cands)
        return Expr(c, c, ty)

    def lit(self, ty):
        r = self.r
        if ty == "int":
            v = str(r.randint(-20, 100))
        elif ty == "float":
            v = r.choice(["0.5", "2.5", "1e3", "0.125", "100.0", "1234.75", "3.0"])
        elif ty == "string":
            v = "'" + r.choice(NAMES + DEPTS + REGIONS).replace("'", "''") + "'"
        else:
            d = a_date(r, 1999, 2026)
            return r.choice([Expr("DATE '%s'" % d, "'%s'" % d, "date"),
                             Expr("'%s'" % d, "'%s'" % d, "date")])
        return Expr(v, v, ty)

    def num(self, ty, depth):
        """An int or float expression (ints stay far from overflow)."""
        r = self.r
        k = r.random()
        if depth <= 0 or k < 0.35:
            return self.col(ty) or self.lit(ty)
        if k < 0.45:
            return self.lit(ty)
        if ty == "int":
            k = r.random()
            if k < 0.4:
                a, b = self.num("int", depth - 1), self.num("int", depth - 1)
                op = r.choice(["+", "-"])
                return par(a, f"{a.dcr} {op} {b.dcr}", f"{a.lite} {op} {b.lite}", "int")
            if k < 0.55:
                a = self.col("int") or self.lit("int")
                m = str(r.randint(-9, 9))
                return par(a, f"{a.dcr} * {m}", f"{a.lite} * {m}", "int")
            if k < 0.7:
                a = self.num("int", depth - 1)
                return Expr(f"(-({a.dcr}))", f"(-({a.lite}))", "int")
            if k < 0.85:
                c = self.cond(depth - 1)
                a, b = self.num("int", depth - 1), self.num("int", depth - 1)
                if r.random() < 0.3:
                    return Expr(f"(CASE WHEN {c.dcr} THEN {a.dcr} END)",
                                f"(CASE WHEN {c.lite} THEN {a.lite} END)", "int")
                return Expr(f"(CASE WHEN {c.dcr} THEN {a.dcr} ELSE {b.dcr} END)",
                            f"(CASE WHEN {c.lite} THEN {a.lite} ELSE {b.lite} END)", "int")
            a = self.col("int") or self.lit("int")
            b = self.lit("int")
            return Expr(f"COALESCE({a.dcr}, {b.dcr})", f"COALESCE({a.lite}, {b.lite})", "int")
        # float
        k = r.random()
        if k < 0.3:
            a = self.num(r.choice(["int", "int", "float"]), depth - 1)
            b = self.num(r.choice(["int", "int", "float"]), depth - 1)
            return Expr(f"({a.dcr} / {b.dcr})", f"({a.lite} * 1.0 / {b.lite})", "float")
        if k < 0.6:
            a = self.num("float", depth - 1)
            b = self.num(r.choice(["int", "float"]), depth - 1)
            op = r.choice(["+", "-", "*"])
            return par(a, f"{a.dcr} {op} {b.dcr}", f"{a.lite} {op} {b.lite}", "float")
        if k < 0.75:
            a = self.num("float", depth - 1)
            return Expr(f"(-({a.dcr}))", f"(-({a.lite}))", "float")
        if k < 0.9:
            c = self.cond(depth - 1)
            a, b = self.num("float", depth - 1), self.num("float", depth - 1)
            return Expr(f"(CASE WHEN {c.dcr} THEN {a.dcr} ELSE {b.dcr} END)",
                        f"(CASE WHEN {c.lite} THEN {a.lite} ELSE {b.lite} END)", "float")
        a = self.col("float") or self.lit("float")
        return Expr(f"COALESCE({a.dcr}, 0.5)", f"COALESCE({a.lite}, 0.5)", "float")

    def string(self, depth):
        r = self.r
        k = r.random()
        if depth <= 0 or k < 0.6:
            return self.col("string") or self.lit("string")
        if k < 0.75:
            a = self.col("string") or self.lit("string")
            return Expr(f"COALESCE({a.dcr}, 'none')", f"COALESCE({a.lite}, 'none')", "string")
        if k < 0.88:
            c = self.cond(depth - 1)
            a, b = self.string(depth - 1), self.lit("string")
            return Expr(f"(CASE WHEN {c.dcr} THEN {a.dcr} ELSE {b.dcr} END)",
                        f"(CASE WHEN {c.lite} THEN {a.lite} ELSE {b.lite} END)", "string")
        a = self.col("string")
        if a is None:
            return self.lit("string")
        w1, w2 = r.sample(DEPTS + NAMES, 2)
        q = lambda s: "'" + s.replace("'", "''") + "'"
        tail = "" if r.random() < 0.3 else " ELSE 'other'"
        return Expr(f"(CASE {a.dcr} WHEN {q(w1)} THEN 'one' WHEN {q(w2)} THEN 'two'{tail} END)",
                    f"(CASE {a.lite} WHEN {q(w1)} THEN 'one' WHEN {q(w2)} THEN 'two'{tail} END)",
                    "string")

    def any(self, ty, depth):
        if ty in ("int", "float"):
            return self.num(ty, depth)
        if ty == "string":
            return self.string(depth)
        if ty == "bool":
            return self.cond(depth)
        return self.col("date") or self.lit("date")

    def cond(self, depth):
        r = self.r
        k = r.random()
        if depth > 0 and k < 0.25:
            a, b = self.cond(depth - 1), self.cond(depth - 1)
            op = r.choice(["AND", "OR"])
            return Expr(f"({a.dcr} {op} {b.dcr})", f"({a.lite} {op} {b.lite})", "bool")
        if depth > 0 and k < 0.32:
            a = self.cond(depth - 1)
            return Expr(f"(NOT {a.dcr})", f"(NOT {a.lite})", "bool")
        k = r.random()
        types = [t for t in ("int", "float", "string", "date") if self.col(t)]
        ty = r.choice(types)
        if k < 0.4:  # comparison
            a = self.any(ty, depth - 1) if ty != "date" else self.col("date")
            b = self.lit(ty) if r.random() < 0.6 or ty == "date" else self.any(ty, depth - 1)
            if ty == "float":
                op = r.choice(["<", "<=", ">", ">="])
            else:
                op = r.choice(["=", "<>", "!=", "<", "<=", ">", ">="])
            if r.random() < 0.2:
                a, b = b, a
            return Expr(f"({a.dcr} {op} {b.dcr})", f"({a.lite} {op} {b.lite})", "bool")
        if k < 0.55 and ty != "float":  # IN
            a = self.col(ty)
            items = [self.lit(ty) for _ in range(r.randint(1, 4))]
            if ty == "date":  # DATE literals: the spec reads a bare string as a date in comparisons
                items = [Expr("DATE " + i.lite, i.lite, ty) for i in items]
            if r.random() < 0.25:
                items.append(Expr("NULL", "NULL", ty))
            neg = " NOT" if r.random() < 0.35 else ""
            return Expr(f"({a.dcr}{neg} IN ({', '.join(i.dcr for i in items)}))",
                        f"({a.lite}{neg} IN ({', '.join(i.lite for i in items)}))", "bool")
        if k < 0.7 and ty != "string":  # BETWEEN
            a = self.col(ty)
            lo, hi = sorted([self.lit(ty), self.lit(ty)], key=lambda e: e.lite)
            if ty == "date":
                lo = Expr("DATE " + lo.lite, lo.lite, "date")
                hi = Expr("DATE " + hi.lite, hi.lite, "date")
            if r.random() < 0.2:
                lo, hi = hi, lo
            neg = " NOT" if r.random() < 0.35 else ""
            return Expr(f"({a.dcr}{neg} BETWEEN {lo.dcr} AND {hi.dcr})",
                        f"({a.lite}{neg} BETWEEN {lo.lite} AND {hi.lite})", "bool")
        if k < 0.85 and self.col("string"):  # LIKE
            a = self.col("string")
            pat = r.choice(["'%'", "'a%'", "'A%'", "'%n'", "'%N'", "'%a%'", "'_o_'", "'s%'", "'S%'",
                            "'ann'", "'Ann'", "'%ALES'", "'%\\%'", "'x%y'", "'_'", "''", "'%, %'",
                            "'e_g'", "'%&%'"])
            neg = " NOT" if r.random() < 0.3 else ""
            return Expr(f"({a.dcr}{neg} LIKE {pat})", f"({a.lite}{neg} LIKE {pat})", "bool")
        c = r.choice([c for c, _ in self.scope])
        neg = " NOT" if r.random() < 0.5 else ""
        return Expr(f"({c} IS{neg} NULL)", f"({c} IS{neg} NULL)", "bool")

    def aggregate(self):
        r = self.r
        k = r.random()
        if k < 0.15:
            return Expr("COUNT(*)", "COUNT(*)", "int", True)
        if k < 0.3:
            a = self.any(r.choice(["int", "float", "string", "date"]), 1)
            return Expr(f"COUNT({a.dcr})", f"COUNT({a.lite})", "int", True)
        if k < 0.42:
            ty = r.choice([t for t in ("int", "float", "string", "date") if self.col(t)])
            a = self.col(ty)
            return Expr(f"COUNT(DISTINCT {a.dcr})", f"COUNT(DISTINCT {a.lite})", "int", True)
        if k < 0.62:
            ty = r.choice(["int", "float"])
            a = self.num(ty, 1)
            return Expr(f"SUM({a.dcr})", f"SUM({a.lite})", ty, True)
        if k < 0.75:
            a = self.num(r.choice(["int", "float"]), 1)
            return Expr(f"AVG({a.dcr})", f"AVG({a.lite})", "float", True)
        ty = r.choice([t for t in ("int", "float", "string", "date") if self.col(t)])
        a = self.any(ty, 1) if ty != "date" else self.col("date")
        f = r.choice(["MIN", "MAX"])
        return Expr(f"{f}({a.dcr})", f"{f}({a.lite})", a.ty, True)


# ------------------------------------------------------------------ queries
def scope_of(tables):
    """tables: list of (table, alias)."""
    return [(f"{al}.{c}", t) for tb, al in tables for c, t in SCHEMA[tb]]


def order_limit(r, n, items):
    """ORDER BY every output column (by position or alias), maybe LIMIT."""
    if r.random() < 0.45:
        return "", "", False
    keys = list(range(1, n + 1))
    r.shuffle(keys)
    d, s = [], []
    for k in keys:
        ref = str(k) if r.random() < 0.6 else f"c{k}"
        desc = r.random() < 0.4
        if items[k - 1].ty == "bool":
            # bool order is not specified (false < true in both, but keep out of the spec's gaps)
            return "", "", False
        d.append(ref + (" DESC" if desc else ""))
        s.append(ref + (" DESC NULLS FIRST" if desc else " NULLS LAST"))
    lim = f" LIMIT {r.randint(0, 25)}" if r.random() < 0.5 else ""
    return " ORDER BY " + ", ".join(d) + lim, " ORDER BY " + ", ".join(s) + lim, True


def from_clause(r, kind):
    if kind == "single":
        tb = r.choice(["emp", "emp", "sales", "dept"])
        al = r.choice([tb[0], tb])
        f = f" FROM {tb}" + ("" if al == tb else f" {al}")
        return [(tb, al)], f, f
    j1 = r.choice(["JOIN", "INNER JOIN", "LEFT JOIN", "LEFT OUTER JOIN"])
    on = "e.id = s.emp_id" if r.random() < 0.7 else "e.id = s.emp_id AND e.dept = s.dept"
    if r.random() < 0.3:
        on = " AND ".join(reversed(on.split(" AND ")))
    if r.random() < 0.5:
        f = f" FROM emp e {j1} sales s ON {on}"
        tabs = [("emp", "e"), ("sales", "s")]
    else:
        f = f" FROM sales s {j1} emp e ON {on}"
        tabs = [("sales", "s"), ("emp", "e")]
    if r.random() < 0.4:
        j2 = r.choice(["JOIN", "LEFT JOIN"])
        f += f" {j2} dept d ON {r.choice(['e', 's'])}.dept = d.code"
        tabs.append(("dept", "d"))
    return tabs, f, f


def make_query(r):
    shape = r.choice(["proj", "proj", "agg", "group", "group", "jproj", "jgroup", "jgroup"])
    tabs, fd, fs = from_clause(r, "join" if shape.startswith("j") else "single")
    g = Gen(r, scope_of(tabs))
    where_d = where_s = ""
    if r.random() < 0.65:
        c = g.cond(2)
        where_d, where_s = " WHERE " + c.dcr, " WHERE " + c.lite
    items = []
    group_d = group_s = having_d = having_s = ""
    if shape in ("proj", "jproj"):
        for _ in range(r.randint(1, 4)):
            ty = r.choice(["int", "int", "float", "string", "string", "date", "bool"])
            items.append(g.any(ty, 2))
    elif shape == "agg":
        for _ in range(r.randint(1, 4)):
            items.append(g.aggregate())
    else:
        nkeys = r.randint(1, 2)
        keys = []
        for _ in range(nkeys):
            ty = r.choice([t for t in ("string", "string", "int", "date") if g.col(t)])
            if ty == "int" and r.random() < 0.5:
                c = g.col("int")
                band = "(CASE WHEN {} > 20 THEN 'big' ELSE 'small' END)"
                keys.append(Expr(band.format(c.dcr), band.format(c.lite), "string"))
            else:
                keys.append(g.col(ty))
        items = list(keys)
        for _ in range(r.randint(1, 3)):
            items.append(g.aggregate())
        refs_d, refs_s = [], []
        for i, k in enumerate(keys):
            how = r.random()
            if how < 0.4:
                refs_d.append(k.dcr); refs_s.append(k.lite)
            elif how < 0.7:
                refs_d.append(str(i + 1)); refs_s.append(str(i + 1))
            else:
                refs_d.append(f"c{i + 1}"); refs_s.append(f"c{i + 1}")
        group_d, group_s = " GROUP BY " + ", ".join(refs_d), " GROUP BY " + ", ".join(refs_s)
        if r.random() < 0.4:
            hk = r.random()
            if hk < 0.4:
                h = (f"COUNT(*) > {r.randint(0, 6)}",) * 2
            elif hk < 0.7:
                a = g.col("int")
                v = r.randint(-100, 500)
                h = (f"SUM({a.dcr}) > {v}", f"SUM({a.lite}) > {v}")
            else:
                a = g.col("int")
                v = r.randint(0, 60)
                h = (f"MIN({a.dcr}) < {v} OR MAX({a.dcr}) > {v + 200}",
                     f"MIN({a.lite}) < {v} OR MAX({a.lite}) > {v + 200}")
            having_d, having_s = " HAVING " + h[0], " HAVING " + h[1]
    sel_d = ", ".join(f"{e.dcr} AS c{i + 1}" for i, e in enumerate(items))
    sel_s = ", ".join(f"{e.lite} AS c{i + 1}" for i, e in enumerate(items))
    ord_d, ord_s, ordered = order_limit(r, len(items), items)
    dcr = f"SELECT {sel_d}{fd}{where_d}{group_d}{having_d}{ord_d}"
    lite = f"SELECT {sel_s}{fs}{where_s}{group_s}{having_s}{ord_s}"
    return {"dcr": dcr, "sqlite": lite, "types": [e.ty for e in items], "ordered": ordered,
            "tables": sorted({tb for tb, _ in tabs})}


# ------------------------------------------------------------------ comparing
def parse_csv(text):
    """RFC 4180 with the quoted flag kept: returns rows of (text, was_quoted)."""
    rows, i, n = [], 0, len(text)
    while i < n:
        row = []
        while True:
            if i < n and text[i] == '"':
                i += 1
                buf = []
                while i < n:
                    if text[i] == '"':
                        if i + 1 < n and text[i + 1] == '"':
                            buf.append('"')
                            i += 2
                            continue
                        i += 1
                        break
                    buf.append(text[i])
                    i += 1
                row.append(("".join(buf), True))
            else:
                j = i
                while j < n and text[j] not in ",\r\n":
                    j += 1
                row.append((text[i:j], False))
                i = j
            if i < n and text[i] == ",":
                i += 1
                continue
            if i < n and text[i] == "\r":
                i += 1
            if i < n and text[i] == "\n":
                i += 1
            break
        rows.append(row)
    return rows


def dcr_value(cell, ty):
    text, quoted = cell
    if text == "" and not quoted:
        return None
    if ty == "int":
        return int(text)
    if ty == "float":
        return float(text)
    if ty == "bool":
        return {"true": 1, "false": 0}[text]
    return text


def lite_value(v, ty):
    if v is None:
        return None
    if ty == "float":
        return float(v)
    if ty in ("int", "bool"):
        return int(v)
    return str(v)


def same_value(a, b, ty):
    if a is None or b is None:
        return a is None and b is None
    if ty == "float":
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return a == b


def sort_key(row):
    return [(0, "") if v is None else (1, "%.9g" % v if isinstance(v, float) else repr(v))
            for v in row]


def compare(q, out, lite_rows):
    """None when dcr's CSV output matches SQLite's rows, else the reason."""
    types = q["types"]
    rows = parse_csv(out)
    want_header = ",".join(f"c{i + 1}" for i in range(len(types)))
    if not rows or ",".join(t for t, _ in rows[0]) != want_header:
        return "header is not " + want_header
    got = []
    for k, r in enumerate(rows[1:], 2):
        if len(r) != len(types):
            return f"output line {k} has {len(r)} fields, expected {len(types)}"
        try:
            got.append([dcr_value(c, t) for c, t in zip(r, types)])
        except (ValueError, KeyError):
            return f"output line {k}: a value does not read as its type {types}"
    want = [[lite_value(v, t) for v, t in zip(r, types)] for r in lite_rows]
    if len(got) != len(want):
        return f"{len(got)} rows, SQLite has {len(want)}"
    if not q["ordered"]:
        got.sort(key=sort_key)
        want.sort(key=sort_key)
    for k, (g, w) in enumerate(zip(got, want)):
        if not all(same_value(a, b, t) for a, b, t in zip(g, w, types)):
            return f"row {k + 1} differs: dcr {g} vs SQLite {w}"
    return None


# ------------------------------------------------------------------ main
def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dcr", required=True, help="the dcr binary")
    ap.add_argument("--seed", type=int, default=20260131)
    ap.add_argument("--queries", type=int, default=400)
    ap.add_argument("--keep", help="write the data and the queries to this directory")
    ap.add_argument("--show", type=int, default=5, help="mismatches to print in full")
    args = ap.parse_args()
    t0 = time.time()
    rng = random.Random(args.seed)
    data = make_data(rng)
    tmp = args.keep or tempfile.mkdtemp(prefix="dcr-crosscheck-")
    os.makedirs(tmp, exist_ok=True)
    db = sqlite3.connect(":memory:")
    db.execute("PRAGMA case_sensitive_like = ON")
    lite_type = {"int": "INTEGER", "float": "REAL", "string": "TEXT", "date": "TEXT"}
    for tb, cols in SCHEMA.items():
        write_csv(os.path.join(tmp, tb + ".csv"), cols, data[tb])
        db.execute(f"CREATE TABLE {tb} (" + ", ".join(f"{c} {lite_type[t]}" for c, t in cols) + ")")
        db.executemany(f"INSERT INTO {tb} VALUES (" + ", ".join("?" * len(cols)) + ")", data[tb])

    queries = [make_query(rng) for _ in range(args.queries)]
    if args.keep:
        with open(os.path.join(tmp, "queries.sql"), "w", encoding="utf-8") as f:
            f.write("".join(q["dcr"] + ";\n" for q in queries))

    def run_dcr(q):
        cmd = [args.dcr, "sql"]
        for tb in q["tables"]:
            cmd += ["--table", f"{tb}={os.path.join(tmp, tb + '.csv')}"]
        cmd += ["--format", "csv", q["dcr"]]
        try:
            p = subprocess.run(cmd, capture_output=True, timeout=30)
        except subprocess.TimeoutExpired:
            return None, "dcr timed out (30 s)"
        out = p.stdout.decode("utf-8", "replace")
        if p.returncode != 0:
            err = p.stderr.decode("utf-8", "replace").strip()[:500]
            return out, f"dcr exited {p.returncode}: {err}"
        return out, None

    # dcr runs in parallel (one process per query); SQLite and the comparison stay in order
    with concurrent.futures.ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
        runs = list(pool.map(run_dcr, queries))
    bad = []
    for n, (q, (out, why)) in enumerate(zip(queries, runs), 1):
        try:
            lite_rows = db.execute(q["sqlite"]).fetchall()
        except sqlite3.Error as e:
            bad.append((n, q, f"the generator made SQL that SQLite refuses: {e}", "", []))
            continue
        if why is None:
            why = compare(q, out, lite_rows)
        if why:
            bad.append((n, q, why, out or "", lite_rows))

    for n, q, why, out, lite_rows in bad[:args.show]:
        print(f"--- mismatch in query {n}: {why}")
        print(f"dcr SQL:    {q['dcr']}")
        print(f"SQLite SQL: {q['sqlite']}")
        print(f"tables: {', '.join(q['tables'])} (data: seed {args.seed}; --keep DIR writes it)")
        lines = out.splitlines()
        print(f"dcr output ({max(len(lines) - 1, 0)} rows):")
        for line in lines[:12]:
            print("    " + line)
        print(f"SQLite ({len(lite_rows)} rows):")
        for r in lite_rows[:11]:
            print("    " + repr(r))
        print()
    for n, q, why, _, _ in bad[args.show:args.show + 20]:
        print(f"--- mismatch in query {n}: {why}\n    {q['dcr']}")
    if not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"sql crosscheck: {len(queries)} queries (seed {args.seed}), {len(bad)} mismatches, "
          f"{time.time() - t0:.1f} s")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
