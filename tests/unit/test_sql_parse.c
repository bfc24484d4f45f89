/* SPDX-License-Identifier: Apache-2.0 */
/* The SQL lexer and parser: the AST of every form of docs/SQL.md, precedence,
 * spans, the constructs refused by name, error positions, and the limits. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"

#include "engine/sql_int.h"

/* ---- helpers ------------------------------------------------------------ */

static struct dcr_arena arena;

static int setup(void **state)
{
	(void)state;
	dcr_arena_init(&arena, (size_t)1 << 30);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	dcr_arena_free(&arena);
	return 0;
}

static struct ast_select *parse_ok(const char *sql)
{
	struct ast_select *s = NULL;
	struct dcr_msg msg = {{0}};
	enum dcr_err err = sql_parse(sql, strlen(sql), &arena, &s, &msg);

	if (err != DCR_OK)
		fail_msg("%s: %s", sql, msg.text);
	assert_non_null(s);
	return s;
}

/* Asserts that sql is refused with exactly want as its message. */
static void parse_fails(const char *sql, const char *want)
{
	struct ast_select *s = (struct ast_select *)&s;
	struct dcr_msg msg = {{0}};
	enum dcr_err err = sql_parse(sql, strlen(sql), &arena, &s, &msg);

	if (err != DCR_ERR_SQL)
		fail_msg("%.80s: got %d (%s), want DCR_ERR_SQL \"%s\"", sql, err, msg.text, want);
	assert_null(s);
	if (strcmp(msg.text, want))
		fail_msg("%.80s:\n got  \"%s\"\n want \"%s\"", sql, msg.text, want);
}

static void put(char **p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	*p += vsprintf(*p, fmt, ap);
	va_end(ap);
}

static const char *const cmp_names[] = {"=", "<>", "<", "<=", ">", ">="};

/* The tree as an S-expression: (+ a (* b c)). */
static void dump(const struct ast_expr *e, char **p)
{
	char date[11];

	switch (e->kind) {
	case AST_INT: put(p, "%lld", (long long)e->i); return;
	case AST_FLOAT: put(p, "f%.17g", e->f); return;
	case AST_STRING: put(p, "'%.*s'", (int)e->s.len, e->s.ptr); return;
	case AST_DATE:
		dcr_date_format(e->date, date);
		put(p, "d%s", date);
		return;
	case AST_NULL: put(p, "NULL"); return;
	case AST_BOOL: put(p, e->b ? "TRUE" : "FALSE"); return;
	case AST_COLUMN:
		if (e->qualifier)
			put(p, "%s.", e->qualifier);
		put(p, "%s", e->name);
		return;
	case AST_STAR: put(p, "*"); return;
	default: break;
	}
	put(p, "(");
	switch (e->kind) {
	case AST_NEG: put(p, "neg"); break;
	case AST_NOT: put(p, "not"); break;
	case AST_ARITH: put(p, "%c", e->op); break;
	case AST_COMPARE: put(p, "%s", cmp_names[e->op]); break;
	case AST_AND: put(p, "and"); break;
	case AST_OR: put(p, "or"); break;
	case AST_IS_NULL: put(p, e->negated ? "notnull" : "isnull"); break;
	case AST_IN: put(p, e->negated ? "notin" : "in"); break;
	case AST_BETWEEN: put(p, e->negated ? "notbetween" : "between"); break;
	case AST_LIKE: put(p, e->negated ? "notlike" : "like"); break;
	case AST_CASE: put(p, "case"); break;
	case AST_CALL: put(p, "%s%s", e->name, e->distinct ? " distinct" : ""); break;
	default: fail_msg("unexpected kind %d", e->kind);
	}
	if (e->kind == AST_CASE && e->operand) {
		put(p, " ");
		dump(e->operand, p);
	}
	for (size_t i = 0; i < e->arg_count; i++) {
		if (e->kind == AST_CASE)
			put(p, i % 2 ? " then" : " when");
		put(p, " ");
		dump(e->args[i], p);
	}
	if (e->kind == AST_CASE && e->else_expr) {
		put(p, " else ");
		dump(e->else_expr, p);
	}
	put(p, ")");
}

static char dumped[1 << 16];

static const char *sexpr(const struct ast_expr *e)
{
	char *p = dumped;

	dump(e, &p);
	return dumped;
}

/* The S-expression of the single select item of "SELECT <x> FROM t". */
static const char *expr_of(const char *x)
{
	char sql[4096];
	struct ast_select *s;

	snprintf(sql, sizeof(sql), "SELECT %s FROM t", x);
	s = parse_ok(sql);
	assert_int_equal(s->item_count, 1);
	assert_non_null(s->items[0].expr);
	return sexpr(s->items[0].expr);
}

#define assert_expr(x, want)                                                          \
	do {                                                                          \
		const char *got_ = expr_of(x);                                        \
		if (strcmp(got_, want))                                               \
			fail_msg("%s:\n got  %s\n want %s", x, got_, want);           \
	} while (0)

/* The text [pos, end) of e in sql. */
static void assert_span(const char *sql, const struct ast_expr *e, const char *want)
{
	if (e->end - e->pos != strlen(want) || memcmp(sql + e->pos, want, strlen(want)))
		fail_msg("span \"%.*s\", want \"%s\"", (int)(e->end - e->pos), sql + e->pos, want);
}

/* ---- grammar ----------------------------------------------------------- */

static void test_full_query(void **state)
{
	const char *sql = "select i.region AS r, count(DISTINCT p.email) n, sum(p.amount)\n"
	                  "FROM impressions i JOIN purchases AS p ON i.email = p.email\n"
	                  "  inner join c ON c.x = p.x AND c.y = p.y\n"
	                  "  left join d ON d.x = c.x LEFT OUTER JOIN e ON e.x = d.x\n"
	                  "WHERE p.day >= DATE '2026-01-01' GROUP BY 1, i.region\n"
	                  "HAVING count(*) > 25 ORDER BY n DESC, 1 ASC, r LIMIT 10;";
	struct ast_select *s;

	(void)state;
	s = parse_ok(sql);
	assert_int_equal(s->item_count, 3);
	assert_string_equal(sexpr(s->items[0].expr), "i.region");
	assert_string_equal(s->items[0].alias, "r");
	assert_string_equal(sexpr(s->items[1].expr), "(count distinct p.email)");
	assert_string_equal(s->items[1].alias, "n");
	assert_string_equal(sexpr(s->items[2].expr), "(sum p.amount)");
	assert_null(s->items[2].alias);
	assert_false(s->items[0].star);
	assert_int_equal(s->items[1].pos, 22);

	assert_int_equal(s->table_count, 5);
	assert_string_equal(s->tables[0].name, "impressions");
	assert_string_equal(s->tables[0].alias, "i");
	assert_int_equal(s->tables[0].join, DCR_JOIN_NONE);
	assert_null(s->tables[0].on);
	assert_string_equal(s->tables[1].name, "purchases");
	assert_string_equal(s->tables[1].alias, "p");
	assert_int_equal(s->tables[1].join, DCR_JOIN_INNER);
	assert_string_equal(sexpr(s->tables[1].on), "(= i.email p.email)");
	assert_int_equal(s->tables[2].join, DCR_JOIN_INNER);
	assert_null(s->tables[2].alias);
	assert_string_equal(sexpr(s->tables[2].on), "(and (= c.x p.x) (= c.y p.y))");
	assert_int_equal(s->tables[3].join, DCR_JOIN_LEFT);
	assert_int_equal(s->tables[4].join, DCR_JOIN_LEFT);
	assert_string_equal(s->tables[4].name, "e");
	assert_int_equal(s->tables[4].pos, strstr(sql, "e ON") - sql);

	assert_string_equal(sexpr(s->where), "(>= p.day d2026-01-01)");
	assert_int_equal(s->group_count, 2);
	assert_int_equal(s->group[0]->kind, AST_INT);
	assert_int_equal(s->group[0]->i, 1);
	assert_string_equal(sexpr(s->group[1]), "i.region");
	assert_string_equal(sexpr(s->having), "(> (count *) 25)");
	assert_int_equal(s->order_count, 3);
	assert_string_equal(sexpr(s->order[0].expr), "n");
	assert_true(s->order[0].desc);
	assert_int_equal(s->order[1].expr->kind, AST_INT);
	assert_false(s->order[1].desc);
	assert_false(s->order[2].desc);
	assert_int_equal(s->limit, 10);
}

static void test_minimal_query(void **state)
{
	struct ast_select *s;

	(void)state;
	s = parse_ok("SELECT a FROM t");
	assert_int_equal(s->item_count, 1);
	assert_int_equal(s->table_count, 1);
	assert_null(s->tables[0].alias);
	assert_null(s->where);
	assert_int_equal(s->group_count, 0);
	assert_null(s->group);
	assert_null(s->having);
	assert_int_equal(s->order_count, 0);
	assert_int_equal(s->limit, -1);
	s = parse_ok("SELECT a FROM t LIMIT 0");
	assert_int_equal(s->limit, 0);
	s = parse_ok("SELECT a FROM t LIMIT 9223372036854775807 ;");
	assert_int_equal(s->limit, INT64_MAX);
	s = parse_ok("SELECT a FROM t ; -- done\n /* really */ ");
	assert_int_equal(s->limit, -1);
}

static void test_star_items(void **state)
{
	struct ast_select *s;

	(void)state;
	s = parse_ok("SELECT *, t.*, \"My T\".*, a FROM t");
	assert_int_equal(s->item_count, 4);
	assert_true(s->items[0].star);
	assert_null(s->items[0].star_qualifier);
	assert_null(s->items[0].expr);
	assert_true(s->items[1].star);
	assert_string_equal(s->items[1].star_qualifier, "t");
	assert_int_equal(s->items[1].pos, 10);
	assert_string_equal(s->items[2].star_qualifier, "My T");
	assert_false(s->items[3].star);
	parse_fails("SELECT * AS x FROM t", "line 1, column 10: expected FROM, found 'AS'");
	parse_fails("SELECT t.* x FROM t", "line 1, column 12: expected FROM, found 'x'");
	parse_fails("SELECT a FROM t WHERE t.* = 1",
	            "line 1, column 23: t.* is only allowed as a SELECT item");
	parse_fails("SELECT * + 1 FROM t", "line 1, column 10: expected FROM, found '+'");
	parse_fails("SELECT 1 + * FROM t",
	            "line 1, column 12: * is only allowed as a SELECT item or in COUNT(*)");
	parse_fails("SELECT sum(*) FROM t",
	            "line 1, column 12: * is only allowed as a SELECT item or in COUNT(*)");
	parse_fails("SELECT count(DISTINCT *) FROM t",
	            "line 1, column 23: * is only allowed as a SELECT item or in COUNT(*)");
	parse_fails("SELECT count(*, a) FROM t",
	            "line 1, column 14: * is only allowed as a SELECT item or in COUNT(*)");
}

static void test_aliases_and_names(void **state)
{
	struct ast_select *s;

	(void)state;
	s = parse_ok("SELECT a AS \"Total \"\" sum\", b date, c \"x\" FROM \"Big Table\" AS \"b "
	             "t\"");
	assert_string_equal(s->items[0].alias, "Total \" sum");
	assert_string_equal(s->items[1].alias, "date");
	assert_string_equal(s->items[2].alias, "x");
	assert_string_equal(s->tables[0].name, "Big Table");
	assert_string_equal(s->tables[0].alias, "b t");
	/* names keep their case; quotes come off; reserved words need them */
	assert_expr("MyCol", "MyCol");
	assert_expr("\"select\"", "select");
	assert_expr("\"t\".\"order\"", "t.order");
	assert_expr("t.order", "t.order"); /* after '.', any word */
	assert_expr("date", "date");
	assert_expr("count", "count");
	assert_expr("_x1", "_x1");
	parse_fails("SELECT a AS FROM t", "line 1, column 13: expected an alias after AS, found "
	                                  "'FROM'");
	parse_fails("SELECT a AS 'x' FROM t",
	            "line 1, column 13: expected an alias after AS, found the string 'x'");
	parse_fails("SELECT order FROM t", "line 1, column 8: expected an expression, found "
	                                   "'order'");
	parse_fails("SELECT a FROM t AS", "line 1, column 19: expected an alias after AS, found "
	                                  "the "
	            "end of the query");
	parse_fails("SELECT a FROM order", "line 1, column 15: expected a table name, found "
	                                   "'order'");
	parse_fails("SELECT a.b.c FROM t",
	            "line 1, column 8: three-part names (a.b.c) are not supported");
	parse_fails("SELECT a.'b' FROM t",
	            "line 1, column 10: expected a column name after '.', found the string 'b'");
	parse_fails("SELECT a FROM s.t",
	            "line 1, column 15: qualified table names (schema.table) are not supported");
	parse_fails("SELECT a FROM read_csv('x.csv')",
	            "line 1, column 15: table functions (read_csv(...)) are not supported");
}

static void test_literals(void **state)
{
	struct ast_select *s;
	const struct ast_expr *e;

	(void)state;
	assert_expr("0", "0");
	assert_expr("007", "7");
	assert_expr("9223372036854775807", "9223372036854775807");
	assert_expr("-9223372036854775808", "-9223372036854775808");
	assert_expr("9223372036854775808", "f9.2233720368547758e+18");
	assert_expr("-9223372036854775809", "f-9.2233720368547758e+18");
	assert_expr("18446744073709551616", "f1.8446744073709552e+19");
	assert_expr("123456789012345678901234567890", "f1.2345678901234568e+29");
	assert_expr("1.5", "f1.5");
	assert_expr(".5", "f0.5");
	assert_expr("3.", "f3");
	assert_expr("1e3", "f1000");
	assert_expr("1E-3", "f0.001");
	assert_expr("2.5e+2", "f250");
	assert_expr("1.e2", "f100");
	assert_expr("0.1", "f0.10000000000000001");
	assert_expr("1e-400", "f0");
	assert_expr("-5", "-5");
	assert_expr("- 5", "-5");
	assert_expr("-1.5", "(neg f1.5)");
	assert_expr("+5", "5");
	assert_expr("'it''s'", "'it's'");
	assert_expr("''", "''");
	assert_expr("'a\nb -- not a comment /* nor this */'", "'a\nb -- not a comment /* nor this "
	                                                      "*/'");
	assert_expr("'\xc3\xa9t\xc3\xa9'", "'\xc3\xa9t\xc3\xa9'");
	assert_expr("DATE '2026-01-31'", "d2026-01-31");
	assert_expr("date '1970-01-01'", "d1970-01-01");
	assert_expr("NULL", "NULL");
	assert_expr("true", "TRUE");
	assert_expr("False", "FALSE");

	s = parse_ok("SELECT -9223372036854775808, 9223372036854775807, DATE '1970-01-02', 1e3 "
	             "FROM t");
	e = s->items[0].expr;
	assert_int_equal(e->kind, AST_INT);
	assert_true(e->i == INT64_MIN);
	assert_int_equal(s->items[1].expr->kind, AST_INT);
	e = s->items[2].expr;
	assert_int_equal(e->kind, AST_DATE);
	assert_int_equal(e->date, 1);
	assert_int_equal(s->items[3].expr->kind, AST_FLOAT);
	s = parse_ok("SELECT 'a''b', '' FROM t");
	e = s->items[0].expr;
	assert_int_equal(e->kind, AST_STRING);
	assert_int_equal(e->s.len, 3);
	assert_memory_equal(e->s.ptr, "a'b", 3);
	assert_int_equal(s->items[1].expr->s.len, 0);

	parse_fails("SELECT DATE '2026-02-30' FROM t",
	            "line 1, column 13: invalid date '2026-02-30': expected DATE 'YYYY-MM-DD'");
	parse_fails("SELECT DATE '2026-1-1' FROM t",
	            "line 1, column 13: invalid date '2026-1-1': expected DATE 'YYYY-MM-DD'");
	parse_fails("SELECT 1e999 FROM t", "line 1, column 8: number 1e999 is out of range");
	parse_fails("SELECT -1e999 FROM t", "line 1, column 9: number 1e999 is out of range");
	parse_fails("SELECT TIMESTAMP '2026-01-01 00:00' FROM t",
	            "line 1, column 8: TIMESTAMP literals are not supported; only DATE "
	            "'YYYY-MM-DD'");
	parse_fails("SELECT interval '1 day' FROM t",
	            "line 1, column 8: INTERVAL literals are not supported; only DATE "
	            "'YYYY-MM-DD'");
}

static void test_precedence(void **state)
{
	(void)state;
	assert_expr("a OR b AND c", "(or a (and b c))");
	assert_expr("a AND b OR c", "(or (and a b) c)");
	assert_expr("NOT a AND b", "(and (not a) b)");
	assert_expr("NOT a OR NOT b", "(or (not a) (not b))");
	assert_expr("NOT a = b", "(not (= a b))");
	assert_expr("NOT NOT a", "(not (not a))");
	assert_expr("a = b AND c <> d", "(and (= a b) (<> c d))");
	assert_expr("a + b = c * d", "(= (+ a b) (* c d))");
	assert_expr("a + b * c", "(+ a (* b c))");
	assert_expr("a * b + c", "(+ (* a b) c)");
	assert_expr("(a + b) * c", "(* (+ a b) c)");
	assert_expr("a - b - c", "(- (- a b) c)");
	assert_expr("a / b / c", "(/ (/ a b) c)");
	assert_expr("a - b + c", "(+ (- a b) c)");
	assert_expr("a / b * c", "(* (/ a b) c)");
	assert_expr("a - (b - c)", "(- a (- b c))");
	assert_expr("-a * b", "(* (neg a) b)");
	assert_expr("-a - -b", "(- (neg a) (neg b))");
	assert_expr("- - a", "(neg (neg a))");
	assert_string_equal(sexpr(parse_ok("SELECT 2--3\nFROM t")->items[0].expr), "2");
	assert_expr("-(-1)", "(neg -1)");
	assert_expr("2 - -3", "(- 2 -3)");
	assert_expr("-2 * 3", "(* -2 3)");
	assert_expr("a * -2", "(* a -2)");
	assert_expr("+a", "a");
	assert_expr("a < b", "(< a b)");
	assert_expr("a <= b", "(<= a b)");
	assert_expr("a > b", "(> a b)");
	assert_expr("a >= b", "(>= a b)");
	assert_expr("a != b", "(<> a b)");
	assert_expr("a<>b", "(<> a b)");
	assert_expr("a = b = c", "(= (= a b) c)");
	/* BETWEEN's AND is its own */
	assert_expr("a BETWEEN 1 AND 2 AND b", "(and (between a 1 2) b)");
	assert_expr("a BETWEEN b + 1 AND c * 2", "(between a (+ b 1) (* c 2))");
	assert_expr("a NOT BETWEEN 1 AND 2", "(notbetween a 1 2)");
	assert_expr("NOT a BETWEEN 1 AND 2", "(not (between a 1 2))");
	assert_expr("a BETWEEN 1 AND 2 OR c", "(or (between a 1 2) c)");
	assert_expr("a IN (1, 2, b + 1)", "(in a 1 2 (+ b 1))");
	assert_expr("a NOT IN ('x')", "(notin a 'x')");
	assert_expr("a + 1 IN (2) AND b", "(and (in (+ a 1) 2) b)");
	assert_expr("a IN (b OR c)", "(in a (or b c))");
	assert_expr("a LIKE 'x%'", "(like a 'x%')");
	assert_expr("a NOT LIKE 'x'", "(notlike a 'x')");
	assert_expr("a LIKE 'x' AND b", "(and (like a 'x') b)");
	assert_expr("a LIKE b + c", "(like a (+ b c))");
	assert_expr("NOT a LIKE 'x'", "(not (like a 'x'))");
}

static void test_postfix_forms(void **state)
{
	(void)state;
	assert_expr("a IS NULL", "(isnull a)");
	assert_expr("a IS NOT NULL", "(notnull a)");
	assert_expr("a + 1 IS NULL", "(isnull (+ a 1))");
	assert_expr("NOT a IS NULL", "(not (isnull a))");
	assert_expr("a = 1 IS NULL", "(isnull (= a 1))");
	assert_expr("a IS NULL OR b IS NOT NULL", "(or (isnull a) (notnull b))");
	assert_expr("a IS NULL = FALSE", "(= (isnull a) FALSE)");
}

static void test_case_and_calls(void **state)
{
	struct ast_select *s;

	(void)state;
	assert_expr("CASE WHEN a > 1 THEN 'x' WHEN a IS NULL THEN 'n' ELSE 'y' END",
	            "(case when (> a 1) then 'x' when (isnull a) then 'n' else 'y')");
	assert_expr("case a when 1 then 2 end", "(case a when 1 then 2)");
	assert_expr("CASE WHEN a THEN CASE WHEN b THEN 1 END END + 1",
	            "(+ (case when a then (case when b then 1)) 1)");
	assert_expr("COUNT(*)", "(count *)");
	assert_expr("count ( * )", "(count *)");
	assert_expr("Count(a)", "(count a)");
	assert_expr("COUNT(DISTINCT a)", "(count distinct a)");
	assert_expr("SUM(a * 2)", "(sum (* a 2))");
	assert_expr("avg(a) / max(b) - min(c)", "(- (/ (avg a) (max b)) (min c))");
	assert_expr("coalesce(a, b, 0)", "(coalesce a b 0)");
	assert_expr("COALESCE(a)", "(coalesce a)");
	assert_expr("sum(sum(a))", "(sum (sum a))"); /* the binder refuses it */

	s = parse_ok("SELECT count(*) FROM t");
	assert_int_equal(s->items[0].expr->kind, AST_CALL);
	assert_string_equal(s->items[0].expr->name, "count");
	assert_int_equal(s->items[0].expr->arg_count, 1);
	assert_int_equal(s->items[0].expr->args[0]->kind, AST_STAR);
	assert_false(s->items[0].expr->distinct);
	s = parse_ok("SELECT CASE WHEN a THEN 1 END FROM t");
	assert_null(s->items[0].expr->operand);
	assert_null(s->items[0].expr->else_expr);
	assert_int_equal(s->items[0].expr->arg_count, 2);

	parse_fails("SELECT lower(a) FROM t", "line 1, column 8: function LOWER is not supported");
	parse_fails("SELECT a FROM t WHERE left(a, 2) = 'x'",
	            "line 1, column 23: function LEFT is not supported");
	parse_fails("SELECT SUM(DISTINCT a) FROM t",
	            "line 1, column 12: SUM(DISTINCT ...) is not supported");
	parse_fails("SELECT coalesce(DISTINCT a) FROM t",
	            "line 1, column 17: COALESCE(DISTINCT ...) is not supported");
	parse_fails("SELECT count() FROM t", "line 1, column 8: COUNT takes one argument: "
	                                     "COUNT(*), "
	            "COUNT(x) or COUNT(DISTINCT x)");
	parse_fails("SELECT count(DISTINCT a, b) FROM t", "line 1, column 8: COUNT takes one "
	            "argument: COUNT(*), COUNT(x) or COUNT(DISTINCT x)");
	parse_fails("SELECT sum(a, b) FROM t", "line 1, column 8: SUM takes one argument");
	parse_fails("SELECT coalesce() FROM t",
	            "line 1, column 8: COALESCE takes at least one argument");
	parse_fails("SELECT sum(a ORDER BY b) FROM t",
	            "line 1, column 14: expected ',' or ')', found 'ORDER'");
	parse_fails("SELECT sum(a FROM t",
	            "line 1, column 14: expected ',' or ')', found 'FROM'");
	parse_fails("SELECT CASE END FROM t", "line 1, column 13: expected WHEN, found 'END'");
	parse_fails("SELECT CASE WHEN a THEN 1 FROM t",
	            "line 1, column 27: expected WHEN, ELSE or END, found 'FROM'");
	parse_fails("SELECT CASE WHEN a THEN 1 ELSE 2 FROM t",
	            "line 1, column 34: expected END, found 'FROM'");
	parse_fails("SELECT CASE WHEN a 1 END FROM t",
	            "line 1, column 20: expected THEN, found '1'");
}

static void test_spans(void **state)
{
	const char *sql = "SELECT count( * ), a+b * c, (x), -5, - y, NOT  z, "
	                  "q IN (1,2), r NOT BETWEEN 1 AND 2, s IS NOT NULL, "
	                  "CASE WHEN 1 THEN 2 END, DATE '2026-01-01', ((a + b)) * 2, +t.c, "
	                  "'it''s', \"Q\" FROM t";
	static const char *const want[] = {
		"count( * )", "a+b * c", "(x)", "-5", "- y", "NOT  z", "q IN (1,2)",
		"r NOT BETWEEN 1 AND 2", "s IS NOT NULL", "CASE WHEN 1 THEN 2 END",
		"DATE '2026-01-01'", "((a + b)) * 2", "+t.c", "'it''s'", "\"Q\"",
	};
	struct ast_select *s;
	const struct ast_expr *e;

	(void)state;
	s = parse_ok(sql);
	assert_int_equal(s->item_count, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < s->item_count; i++)
		assert_span(sql, s->items[i].expr, want[i]);
	e = s->items[0].expr;
	assert_span(sql, e->args[0], "*");
	e = s->items[1].expr;
	assert_span(sql, e->args[0], "a");
	assert_span(sql, e->args[1], "b * c");
	e = s->items[11].expr;
	assert_span(sql, e->args[0], "((a + b))");
	assert_span(sql, e->args[0]->args[1], "b");
	e = s->items[7].expr;
	assert_span(sql, e->args[2], "2");

	sql = "SELECT a\n  FROM t\nWHERE b = -- comment\n c";
	s = parse_ok(sql);
	assert_span(sql, s->where, "b = -- comment\n c");
}

static void test_heights(void **state)
{
	struct ast_select *s;

	(void)state;
	s = parse_ok("SELECT a + b * -c, 1, NOT (a = 1) FROM t");
	assert_int_equal(s->items[0].expr->height, 4);
	assert_int_equal(s->items[1].expr->height, 1);
	assert_int_equal(s->items[2].expr->height, 3);
}

/* ---- lexer ------------------------------------------------------------- */

static void test_lexer_errors(void **state)
{
	(void)state;
	parse_fails("SELECT 12abc FROM t", "line 1, column 8: invalid number '12abc'");
	parse_fails("SELECT 1e FROM t", "line 1, column 8: invalid number '1e'");
	parse_fails("SELECT 1.5.2 FROM t", "line 1, column 8: invalid number '1.5.2'");
	parse_fails("SELECT 1_000 FROM t", "line 1, column 8: invalid number '1_000'");
	parse_fails("SELECT 1e5x FROM t", "line 1, column 8: invalid number '1e5x'");
	parse_fails("SELECT 'abc FROM t",
	            "line 1, column 8: unterminated string (' without its closing ')");
	parse_fails("SELECT a FROM t WHERE b = 'it''s",
	            "line 1, column 27: unterminated string (' without its closing ')");
	parse_fails("SELECT \"abc FROM t", "line 1, column 8: unterminated quoted identifier "
	            "(\" without its closing \")");
	parse_fails("SELECT \"\" FROM t", "line 1, column 8: empty quoted identifier (\"\")");
	parse_fails("SELECT a FROM t /* x", "line 1, column 17: unterminated comment (/* without "
	                                    "*/)");
	parse_fails("SELECT a FROM t /* /* */", "line 1, column 17: unterminated comment "
	            "(/* without */)");
	parse_fails("SELECT a || b FROM t",
	            "line 1, column 10: || (string concatenation) is not supported");
	parse_fails("SELECT a::int FROM t", "line 1, column 9: :: (type cast) is not supported");
	parse_fails("SELECT a[1] FROM t",
	            "line 1, column 9: [ (arrays and subscripts) is not supported");
	parse_fails("SELECT a FROM t WHERE b = ?",
	            "line 1, column 27: ? (query parameters) is not supported");
	parse_fails("SELECT a FROM t WHERE b = $1",
	            "line 1, column 27: $ (query parameters) is not supported");
	parse_fails("SELECT @x FROM t", "line 1, column 8: @ (variables) is not supported");
	parse_fails("SELECT `a` FROM t", "line 1, column 8: ` (backquoted identifiers) is not "
	            "supported; use \"double quotes\"");
	parse_fails("SELECT a % 2 FROM t", "line 1, column 10: % (modulo) is not supported");
	parse_fails("SELECT a FROM t WHERE a == 1", "line 1, column 25: == is not supported; use "
	                                            "=");
	parse_fails("SELECT a FROM t WHERE !a", "line 1, column 23: ! is not supported; use NOT");
	parse_fails("SELECT a FROM t WHERE a :x", "line 1, column 25: : (named parameters) is not "
	            "supported");
	parse_fails("SELECT a FROM t WHERE a # 1", "line 1, column 25: unexpected character '#'");
	parse_fails("SELECT \xe2\x80\x98x\xe2\x80\x99 FROM t", "line 1, column 8: non-ASCII "
	            "character '\xe2\x80\x98' outside a string or quoted identifier");
	parse_fails("SELECT caf\xc3\xa9 FROM t", "line 1, column 11: non-ASCII character "
	            "'\xc3\xa9' outside a string or quoted identifier");
	parse_fails("SELECT \xff FROM t", "line 1, column 8: byte 0xFF (not UTF-8) outside a "
	            "string or quoted identifier");
	parse_fails("SELECT 'a\xc3(' FROM t",
	            "line 1, column 10: invalid UTF-8 (byte 0xC3) in a string");
	parse_fails("SELECT \"\xed\xa0\x80\" FROM t",
	            "line 1, column 9: invalid UTF-8 (byte 0xED) in a quoted identifier");
	parse_fails("SELECT a\x01 FROM t", "line 1, column 9: unexpected control character 0x01");
	/* the lexer's error wins where the parser meets it, not before */
	parse_fails("SELECT a FROM t WHERE b = 1 | 2", "line 1, column 29: | (bitwise or) is not "
	            "supported");
}

static void test_lexer_forms(void **state)
{
	struct ast_select *s;
	const char *sql;

	(void)state;
	/* comments anywhere, nested block comments, every blank */
	s = parse_ok("--head\nSELECT/* a /* nested */ comment */a\t,\r\nb\f\vFROM t--tail");
	assert_int_equal(s->item_count, 2);
	assert_expr("a/**/+/**/b", "(+ a b)");
	assert_expr("a-/**/-b", "(- a (neg b))");
	/* anything in comments; a byte order mark at the start */
	s = parse_ok("SELECT a -- caf\xc3\xa9 \xff\nFROM t /* \xc3\xbcn\xc3\xaf" "code */");
	assert_int_equal(s->item_count, 1);
	s = parse_ok("\xef\xbb\xbfSELECT a FROM t");
	assert_int_equal(s->items[0].expr->pos, 10);
	parse_fails("SELECT \xef\xbb\xbf a FROM t", "line 1, column 8: non-ASCII character "
	            "'\xef\xbb\xbf' outside a string or quoted identifier");
	/* keywords in any case */
	s = parse_ok("sElEcT a fRoM t wHeRe b gRoUp bY c hAvInG d OrDeR bY e dEsC lImIt 1");
	assert_true(s->order[0].desc);
	/* a quoted identifier with "" and non-ASCII; a string with a NUL byte */
	s = parse_ok("SELECT \"a\"\"b \xc3\xa9\" FROM t");
	assert_string_equal(s->items[0].expr->name, "a\"b \xc3\xa9");
	sql = "SELECT 'a\0b' FROM t";
	{
		struct dcr_msg msg;

		assert_int_equal(sql_parse(sql, 19, &arena, &s, &msg), DCR_OK);
		assert_int_equal(s->items[0].expr->s.len, 3);
		assert_memory_equal(s->items[0].expr->s.ptr, "a\0b", 3);
		assert_int_equal(sql_parse("SELECT \"a\0b\" FROM t", 19, &arena, &s, &msg),
		                 DCR_ERR_SQL);
		assert_string_equal(msg.text, "line 1, column 10: a quoted identifier must not "
		                    "contain a NUL byte");
		assert_int_equal(sql_parse("SELECT a\0 FROM t", 16, &arena, &s, &msg), DCR_ERR_SQL);
		assert_string_equal(msg.text, "line 1, column 9: unexpected control character "
		                              "0x00");
	}
	/* numbers next to operators */
	assert_expr("1+2", "(+ 1 2)");
	assert_expr("1.5*.5", "(* f1.5 f0.5)");
	assert_expr("a.b", "a.b");
	assert_expr("(1)", "1");
}

/* ---- refused constructs, syntax errors ---------------------------------- */

static void test_refused(void **state)
{
	static const struct {
		const char *sql, *want;
	} cases[] = {
		{"SELECT a FROM t WHERE a IN (SELECT b FROM u)",
		 "line 1, column 28: subqueries are not supported"},
		{"SELECT (SELECT 1 FROM u) FROM t", "line 1, column 8: subqueries are not "
		                                    "supported"},
		{"SELECT a FROM (SELECT a FROM t)", "line 1, column 15: subqueries are not "
		                                    "supported"},
		{"SELECT a FROM t WHERE EXISTS (SELECT 1 FROM u)",
		 "line 1, column 30: subqueries are not supported"},
		{"SELECT a FROM t WHERE a = ANY(SELECT 1 FROM u)",
		 "line 1, column 30: subqueries are not supported"},
		{"WITH x AS (SELECT 1) SELECT * FROM x",
		 "line 1, column 1: WITH (common table expressions) is not supported"},
		{"SELECT a FROM t UNION SELECT a FROM u", "line 1, column 17: UNION is not "
		                                          "supported"},
		{"SELECT a FROM t WHERE b UNION ALL SELECT a FROM u",
		 "line 1, column 25: UNION is not supported"},
		{"SELECT 1 INTERSECT SELECT 2", "line 1, column 10: INTERSECT is not supported"},
		{"SELECT a FROM t ORDER BY a except SELECT a FROM u",
		 "line 1, column 28: EXCEPT is not supported"},
		{"SELECT sum(a) OVER (PARTITION BY b) FROM t",
		 "line 1, column 15: window functions (OVER) are not supported"},
		{"SELECT a FROM t WINDOW w AS (ORDER BY a)",
		 "line 1, column 17: window functions (WINDOW) are not supported"},
		{"SELECT count(*) FILTER (WHERE a) FROM t",
		 "line 1, column 17: FILTER (WHERE ...) is not supported"},
		{"SELECT DISTINCT a FROM t", "line 1, column 8: SELECT DISTINCT is not supported"},
		{"SELECT ALL a FROM t", "line 1, column 8: SELECT ALL is not supported"},
		{"SELECT a FROM t RIGHT JOIN u ON t.x = u.x",
		 "line 1, column 17: RIGHT JOIN is not supported"},
		{"SELECT a FROM t RIGHT OUTER JOIN u ON t.x = u.x",
		 "line 1, column 17: RIGHT JOIN is not supported"},
		{"SELECT a FROM t FULL JOIN u ON t.x = u.x",
		 "line 1, column 17: FULL JOIN is not supported"},
		{"SELECT a FROM t CROSS JOIN u", "line 1, column 17: CROSS JOIN is not supported"},
		{"SELECT a FROM t NATURAL JOIN u", "line 1, column 17: NATURAL JOIN is not "
		                                   "supported"},
		{"SELECT a FROM t x NATURAL LEFT JOIN u",
		 "line 1, column 19: NATURAL JOIN is not supported"},
		{"SELECT a FROM t ANTI JOIN u ON t.x = u.x",
		 "line 1, column 17: ANTI JOIN is not supported"},
		{"SELECT a FROM t LEFT SEMI JOIN u ON t.x = u.x",
		 "line 1, column 22: SEMI JOIN is not supported"},
		{"SELECT a FROM t ASOF JOIN u ON t.x >= u.x",
		 "line 1, column 17: ASOF JOIN is not supported"},
		{"SELECT a FROM t JOIN LATERAL u ON 1",
		 "line 1, column 22: LATERAL is not supported"},
		{"SELECT a FROM t JOIN u USING (x)",
		 "line 1, column 24: JOIN ... USING is not supported; use JOIN ... ON"},
		{"SELECT a FROM t, u", "line 1, column 16: comma joins (FROM a, b) are not "
		                       "supported; "
		                       "use JOIN ... ON"},
		{"SELECT a FROM t JOIN u ON t.x = u.x, v",
		 "line 1, column 36: comma joins (FROM a, b) are not supported; use JOIN ... ON"},
		{"SELECT a FROM t LIMIT 10 OFFSET 5", "line 1, column 26: OFFSET is not supported"},
		{"SELECT a FROM t OFFSET 5", "line 1, column 17: OFFSET is not supported"},
		{"SELECT a FROM t FETCH FIRST 5 ROWS ONLY", "line 1, column 17: FETCH is not "
		                                            "supported"},
		{"SELECT a FROM t LIMIT ALL", "line 1, column 23: LIMIT ALL is not supported"},
		{"SELECT a FROM t LIMIT 5, 10",
		 "line 1, column 24: LIMIT with an offset (LIMIT m, n) is not supported"},
		{"SELECT CAST(a AS int) FROM t", "line 1, column 8: CAST is not supported"},
		{"SELECT try_cast(a AS int) FROM t", "line 1, column 8: TRY_CAST is not supported"},
		{"SELECT a FROM t ORDER BY a NULLS FIRST", "line 1, column 28: NULLS FIRST/LAST "
		                                           "is not "
		 "supported (NULLs sort last with ASC, first with DESC)"},
		{"SELECT a FROM t ORDER BY a DESC NULLS LAST", "line 1, column 33: NULLS "
		                                               "FIRST/LAST is "
		 "not supported (NULLs sort last with ASC, first with DESC)"},
		{"SELECT a FROM t GROUP BY ALL", "line 1, column 26: GROUP BY ALL is not "
		                                 "supported"},
		{"SELECT a FROM t ORDER BY ALL", "line 1, column 26: ORDER BY ALL is not "
		                                 "supported"},
		{"SELECT a FROM t QUALIFY a > 1", "line 1, column 17: QUALIFY is not supported"},
		{"SELECT a COLLATE \"C\" FROM t", "line 1, column 10: COLLATE is not supported"},
		{"SELECT a FROM t WHERE a ILIKE 'x'",
		 "line 1, column 25: ILIKE is not supported (LIKE is case-sensitive)"},
		{"SELECT a FROM t WHERE a NOT ILIKE 'x'",
		 "line 1, column 29: ILIKE is not supported (LIKE is case-sensitive)"},
		{"SELECT a FROM t WHERE a SIMILAR TO 'x'",
		 "line 1, column 25: SIMILAR TO is not supported"},
		{"SELECT a FROM t WHERE a LIKE 'x!%' ESCAPE '!'", "line 1, column 36: LIKE ... "
		                                                  "ESCAPE "
		 "is not supported (LIKE has no escape character)"},
		{"SELECT a FROM t WHERE a IS DISTINCT FROM b",
		 "line 1, column 25: IS DISTINCT FROM is not supported"},
		{"SELECT a FROM t WHERE a IS NOT DISTINCT FROM b",
		 "line 1, column 25: IS NOT DISTINCT FROM is not supported"},
		{"SELECT a FROM t; SELECT b FROM t", "line 1, column 18: several statements are "
		                                     "not "
		 "supported"},
		{"SELECT a FROM t;;", "line 1, column 17: several statements are not supported"},
		{"INSERT INTO t VALUES (1)",
		 "line 1, column 1: only SELECT statements are supported; INSERT is not"},
		{"update t SET a = 1", "line 1, column 1: only SELECT statements are supported; "
		                       "UPDATE "
		 "is not"},
		{"  DELETE FROM t", "line 1, column 3: only SELECT statements are supported; "
		                    "DELETE is "
		 "not"},
		{"CREATE TABLE x (a int)",
		 "line 1, column 1: only SELECT statements are supported; CREATE is not"},
		{"DROP TABLE t", "line 1, column 1: only SELECT statements are supported; DROP is "
		                 "not"},
		{"ALTER TABLE t ADD b int",
		 "line 1, column 1: only SELECT statements are supported; ALTER is not"},
		{"EXPLAIN SELECT 1", "line 1, column 1: only SELECT statements are supported; "
		                     "EXPLAIN "
		 "is not"},
		{"PRAGMA x", "line 1, column 1: only SELECT statements are supported; PRAGMA is "
		             "not"},
		{"VALUES (1)", "line 1, column 1: only SELECT statements are supported; VALUES is "
		               "not"},
		{"FROM t SELECT a",
		 "line 1, column 1: FROM-first queries are not supported; start with SELECT"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		parse_fails(cases[i].sql, cases[i].want);
}

static void test_syntax_errors(void **state)
{
	static const struct {
		const char *sql, *want;
	} cases[] = {
		{"", "line 1, column 1: expected SELECT, found the end of the query"},
		{"  -- only a comment\n", "line 2, column 1: expected SELECT, found the end of "
		                          "the query"},
		{"SELEC a FROM t", "line 1, column 1: expected SELECT, found 'SELEC'"},
		{"(SELECT a FROM t)", "line 1, column 1: expected SELECT, found '('"},
		{"SELECT * FORM t", "line 1, column 10: expected FROM, found 'FORM'"},
		{"SELECT a", "line 1, column 9: expected FROM, found the end of the query"},
		{"SELECT 1", "line 1, column 9: expected FROM, found the end of the query"},
		{"SELECT", "line 1, column 7: expected an expression, found the end of the query"},
		{"SELECT FROM t", "line 1, column 8: expected an expression, found 'FROM'"},
		{"SELECT a, FROM t", "line 1, column 11: expected an expression, found 'FROM'"},
		{"SELECT a b c FROM t", "line 1, column 12: expected FROM, found 'c'"},
		{"SELECT a FROM", "line 1, column 14: expected a table name, found the end of the "
		                  "query"},
		{"SELECT a FROM 't'", "line 1, column 15: expected a table name, found the string "
		                      "'t'"},
		{"SELECT a FROM (t)", "line 1, column 15: expected a table name, found '('"},
		{"SELECT a FROM t WHER b = 1",
		 "line 1, column 22: expected JOIN, WHERE, GROUP BY, HAVING, ORDER BY, LIMIT or "
		 "the end "
		 "of the query, found 'b'"},
		{"SELECT a FROM t JOIN u", "line 1, column 23: expected ON, found the end of the "
		                           "query"},
		{"SELECT a FROM t JOIN u WHERE a", "line 1, column 24: expected ON, found 'WHERE'"},
		{"SELECT a FROM t LEFT u", "line 1, column 22: expected JOIN, found 'u'"},
		{"SELECT a FROM t INNER LEFT JOIN u", "line 1, column 23: expected JOIN, found "
		                                      "'LEFT'"},
		{"SELECT a FROM t WHERE", "line 1, column 22: expected an expression, found the "
		                          "end of "
		 "the query"},
		{"SELECT a FROM t WHERE a = 1 WHERE b",
		 "line 1, column 29: expected GROUP BY, HAVING, ORDER BY, LIMIT or the end of the "
		 "query, "
		 "found 'WHERE'"},
		{"SELECT a FROM t GROUP a", "line 1, column 23: expected BY, found 'a'"},
		{"SELECT a FROM t GROUP BY a WHERE b",
		 "line 1, column 28: expected HAVING, ORDER BY, LIMIT or the end of the query, "
		 "found "
		 "'WHERE'"},
		{"SELECT a FROM t HAVING a GROUP BY a",
		 "line 1, column 26: expected ORDER BY, LIMIT or the end of the query, found "
		 "'GROUP'"},
		{"SELECT a FROM t ORDER a", "line 1, column 23: expected BY, found 'a'"},
		{"SELECT a FROM t ORDER BY a LIMIT 1 ORDER BY b",
		 "line 1, column 36: expected the end of the query, found 'ORDER'"},
		{"SELECT a FROM t ORDER BY a ASC DESC",
		 "line 1, column 32: expected LIMIT or the end of the query, found 'DESC'"},
		{"SELECT a FROM t LIMIT", "line 1, column 22: LIMIT takes a non-negative integer, "
		                          "found "
		 "the end of the query"},
		{"SELECT a FROM t LIMIT -1", "line 1, column 23: LIMIT takes a non-negative "
		                             "integer, "
		 "found '-'"},
		{"SELECT a FROM t LIMIT 1.5", "line 1, column 23: LIMIT takes a non-negative "
		                              "integer, "
		 "found '1.5'"},
		{"SELECT a FROM t LIMIT 9223372036854775808", "line 1, column 23: LIMIT takes a "
		 "non-negative integer, found '9223372036854775808'"},
		{"SELECT a FROM t LIMIT '5'", "line 1, column 23: LIMIT takes a non-negative "
		                              "integer, "
		 "found the string '5'"},
		{"SELECT a FROM t LIMIT @", "line 1, column 23: @ (variables) is not supported"},
		{"SELECT (a FROM t", "line 1, column 11: expected ')', found 'FROM'"},
		{"SELECT (a, b) FROM t", "line 1, column 10: expected ')', found ','"},
		{"SELECT a) FROM t", "line 1, column 9: expected FROM, found ')'"},
		{"SELECT a FROM t WHERE a IN 1", "line 1, column 28: expected '(' after IN, found "
		                                 "'1'"},
		{"SELECT a FROM t WHERE a IN ()", "line 1, column 29: expected an expression, "
		                                  "found ')'"},
		{"SELECT a FROM t WHERE a IN (1 2)",
		 "line 1, column 31: expected ',' or ')', found '2'"},
		{"SELECT a FROM t WHERE a BETWEEN 1 OR 2",
		 "line 1, column 35: expected AND (BETWEEN x AND y), found 'OR'"},
		{"SELECT a FROM t WHERE a IS 1", "line 1, column 28: expected NULL after IS, "
		                                 "found '1'"},
		{"SELECT a FROM t WHERE a IS NOT TRUE",
		 "line 1, column 32: expected NULL after IS NOT, found 'TRUE'"},
		{"SELECT a FROM t WHERE a NOT NULL",
		 "line 1, column 25: expected GROUP BY, HAVING, ORDER BY, LIMIT or the end of the "
		 "query, "
		 "found 'NOT'"},
		{"SELECT a FROM t WHERE a = NOT b",
		 "line 1, column 27: expected an expression, found 'NOT'"},
		{"SELECT a FROM t WHERE a =", "line 1, column 26: expected an expression, found "
		                              "the "
		 "end of the query"},
		{"SELECT a\nFROM t\n  WHERE b = 1 c",
		 "line 3, column 15: expected GROUP BY, HAVING, ORDER BY, LIMIT or the end of the "
		 "query, found 'c'"},
		{"SELECT a FROM t WHERE b 'a very long string literal that goes on and on'",
		 "line 1, column 25: expected GROUP BY, HAVING, ORDER BY, LIMIT or the end of the "
		 "query, found the string 'a very long string literal that goes..."},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		parse_fails(cases[i].sql, cases[i].want);
}

/* ---- limits ------------------------------------------------------------ */

/* "SELECT " + n copies of head + core + n copies of tail + " FROM t" */
static char *nested(const char *head, const char *core, const char *tail, size_t n)
{
	size_t hl = strlen(head), cl = strlen(core), tl = strlen(tail);
	char *s = malloc(7 + n * (hl + tl) + cl + 8), *p = s;

	assert_non_null(s);
	p += sprintf(p, "SELECT ");
	for (size_t i = 0; i < n; i++, p += hl)
		memcpy(p, head, hl);
	p += sprintf(p, "%s", core);
	for (size_t i = 0; i < n; i++, p += tl)
		memcpy(p, tail, tl);
	sprintf(p, " FROM t");
	return s;
}

static void check_nesting(const char *head, const char *core, const char *tail, size_t ok,
                          size_t bad, unsigned col)
{
	char *sql = nested(head, core, tail, ok), want[128];
	struct ast_select *s;

	s = parse_ok(sql);
	assert_true(s->items[0].expr->height <= SQL_MAX_DEPTH);
	free(sql);
	sql = nested(head, core, tail, bad);
	snprintf(want, sizeof(want), "line 1, column %u: nesting deeper than 256 levels", col);
	parse_fails(sql, want);
	free(sql);
	dcr_arena_free(&arena);
}

static void test_deep_nesting(void **state)
{
	(void)state;
	/* deep enough to overflow the stack if each level were a recursion
	 * without a limit, under ASan's bigger frames */
	check_nesting("(", "1", ")", 255, 30000, 8 + 256);
	check_nesting("NOT ", "a", "", 255, 30000, 8 + 4 * 255);
	check_nesting("- ", "a", "", 255, 30000, 8 + 2 * 255);
	check_nesting("+ ", "a", "", 255, 30000, 8 + 2 * 255);
	check_nesting("-(", "a", ")", 127, 30000, 8 + 2 * 128);
	check_nesting("CASE WHEN a THEN ", "1", " END", 255, 30000, 8 + 17 * 255 + 10);
	check_nesting("coalesce(", "1", ")", 255, 30000, 8 + 9 * 256);
	check_nesting("a IN (", "1", ")", 255, 30000, 8 + 6 * 256);
	check_nesting("1 + (", "1", ")", 255, 30000, 8 + 5 * 256);
}

/* "SELECT 1 op 1 op 1 ... FROM t" with n terms */
static char *chain(const char *op, size_t n)
{
	size_t ol = strlen(op);
	char *s = malloc(16 + n * (ol + 1)), *p = s;

	assert_non_null(s);
	p += sprintf(p, "SELECT 1");
	for (size_t i = 1; i < n; i++) {
		memcpy(p, op, ol);
		p += ol;
		*p++ = '1';
	}
	sprintf(p, " FROM t");
	return s;
}

static void test_long_chains(void **state)
{
	static const char *const ops[] = {"+", "-", "*", "/", " AND ", " OR ", "=", "<"};
	char want[128];

	(void)state;
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		size_t ol = strlen(ops[i]);
		char *sql = chain(ops[i], 256);
		struct ast_select *s = parse_ok(sql);

		/* left-deep: 255 operators, 256 levels */
		assert_int_equal(s->items[0].expr->height, 256);
		free(sql);
		sql = chain(ops[i], 100000);
		/* refused at the 256th operator, without recursing */
		snprintf(want, sizeof(want), "line 1, column %zu: nesting deeper than 256 levels",
		         9 + 255 * (ol + 1) + (ops[i][0] == ' '));
		parse_fails(sql, want);
		free(sql);
		dcr_arena_free(&arena);
	}
	/* wide is fine: 4096 items of a 100-term sum each... within the cap */
}

static void test_item_limits(void **state)
{
	size_t n = SQL_MAX_ITEMS;
	char *sql = malloc(16 * (n + 2)), *p;
	struct ast_select *s;

	(void)state;
	assert_non_null(sql);
	/* 4096 select items */
	p = sql + sprintf(sql, "SELECT a");
	for (size_t i = 1; i < n; i++)
		p += sprintf(p, ",a");
	strcpy(p, " FROM t");
	s = parse_ok(sql);
	assert_int_equal(s->item_count, n);
	strcpy(p, ",b FROM t");
	parse_fails(sql, "line 1, column 8200: more than 4096 SELECT items");
	/* 4096 values in IN */
	p = sql + sprintf(sql, "SELECT a FROM t WHERE a IN (1");
	for (size_t i = 1; i < n; i++)
		p += sprintf(p, ",1");
	strcpy(p, ")");
	s = parse_ok(sql);
	assert_int_equal(s->where->arg_count, n + 1);
	strcpy(p, ",2)");
	parse_fails(sql, "line 1, column 8221: more than 4096 values in the IN list");
	/* GROUP BY keys */
	p = sql + sprintf(sql, "SELECT a FROM t GROUP BY 1");
	for (size_t i = 1; i <= n; i++)
		p += sprintf(p, ",1");
	parse_fails(sql, "line 1, column 8218: more than 4096 GROUP BY keys");
	/* ORDER BY keys, WHEN clauses, arguments */
	p = sql + sprintf(sql, "SELECT a FROM t ORDER BY 1");
	for (size_t i = 1; i <= n; i++)
		p += sprintf(p, ",1");
	parse_fails(sql, "line 1, column 8218: more than 4096 ORDER BY keys");
	p = sql + sprintf(sql, "SELECT CASE");
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, " WHEN 1 THEN 1");
	strcpy(p, " END FROM t");
	s = parse_ok(sql);
	assert_int_equal(s->items[0].expr->arg_count, 2 * n);
	strcpy(p, " WHEN 1 THEN 1 END FROM t");
	parse_fails(sql, "line 1, column 57357: more than 4096 WHEN clauses");
	p = sql + sprintf(sql, "SELECT coalesce(1");
	for (size_t i = 1; i < n; i++)
		p += sprintf(p, ",1");
	strcpy(p, ") FROM t");
	s = parse_ok(sql);
	assert_int_equal(s->items[0].expr->arg_count, n);
	strcpy(p, ",1) FROM t");
	parse_fails(sql, "line 1, column 8209: more than 4096 arguments");
	/* tables */
	p = sql + sprintf(sql, "SELECT a FROM t");
	for (size_t i = 1; i <= n; i++)
		p += sprintf(p, " JOIN t ON 1");
	parse_fails(sql, "line 1, column 49157: more than 4096 tables");
	free(sql);
	dcr_arena_free(&arena);
}

static void test_text_limit(void **state)
{
	size_t n = SQL_MAX_LENGTH + 1;
	char *sql = malloc(n);
	struct ast_select *s = NULL;
	struct dcr_msg msg;

	(void)state;
	assert_non_null(sql);
	memset(sql, ' ', n);
	memcpy(sql, "SELECT a FROM t", 15);
	/* at the limit: fine */
	assert_int_equal(sql_parse(sql, n - 1, &arena, &s, &msg), DCR_OK);
	assert_int_equal(sql_parse(sql, n, &arena, &s, &msg), DCR_ERR_SQL);
	assert_null(s);
	assert_string_equal(msg.text, "line 1, column 1048577: the query is longer than 1048576 "
	                    "bytes");
	free(sql);
}

/* An arena too small for the tree: out of memory, reported as such, and
 * nothing leaks (ASan checks at exit). */
static void test_arena_full(void **state)
{
	const char *sql = "SELECT a, b, \"c\", 'a string', count(*), CASE WHEN a THEN 1 END "
	                  "FROM t JOIN u ON t.x = u.x WHERE a IN (1, 2, 3) AND NOT -b < 2 "
	                  "GROUP BY 1, 2, 3, 4, 5 ORDER BY 2, 3, 4, 5, 6 LIMIT 5";
	struct dcr_arena small;
	struct ast_select *s = (struct ast_select *)&s;
	struct dcr_msg msg;

	(void)state;
	/* blocks are 64 KiB: fill the first with one allocation */
	dcr_arena_init(&small, 64 * 1024);
	assert_non_null(dcr_arena_alloc(&small, 64 * 1024 - 64));
	assert_int_equal(sql_parse(sql, strlen(sql), &small, &s, &msg), DCR_ERR_NOMEM);
	assert_null(s);
	tu_assert_msg(&msg, "out of memory");
	dcr_arena_free(&small);
	/* out of memory at every allocation in turn: each is reported, none
	 * crashes or leaks */
	for (size_t room = 0; room < 8192; room += 16) {
		enum dcr_err err;

		dcr_arena_init(&small, 64 * 1024);
		assert_non_null(dcr_arena_alloc(&small, 64 * 1024 - room));
		err = sql_parse(sql, strlen(sql), &small, &s, &msg);
		if (err != DCR_OK) {
			assert_int_equal(err, DCR_ERR_NOMEM);
			assert_null(s);
		}
		dcr_arena_free(&small);
		if (err == DCR_OK)
			break;
	}
	assert_non_null(s);
	/* and with room, the same query parses */
	dcr_arena_init(&small, 1 << 20);
	assert_int_equal(sql_parse(sql, strlen(sql), &small, &s, &msg), DCR_OK);
	dcr_arena_free(&small);
}

static void test_position(void **state)
{
	const char *sql = "ab\ncd\r\n\nx";
	unsigned line, col;

	(void)state;
	sql_position(sql, strlen(sql), 0, &line, &col);
	assert_int_equal(line, 1);
	assert_int_equal(col, 1);
	sql_position(sql, strlen(sql), 2, &line, &col);
	assert_int_equal(line, 1);
	assert_int_equal(col, 3);
	sql_position(sql, strlen(sql), 3, &line, &col);
	assert_int_equal(line, 2);
	assert_int_equal(col, 1);
	sql_position(sql, strlen(sql), 5, &line, &col); /* the \r */
	assert_int_equal(line, 2);
	assert_int_equal(col, 3);
	sql_position(sql, strlen(sql), 8, &line, &col);
	assert_int_equal(line, 4);
	assert_int_equal(col, 1);
	sql_position(sql, strlen(sql), 100, &line, &col); /* clamped to the end */
	assert_int_equal(line, 4);
	assert_int_equal(col, 2);
	parse_fails("SELECT a\r\nFROM t\r\n\tWHERE", "line 3, column 7: expected an expression, "
	            "found the end of the query");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_full_query, setup, teardown),
		cmocka_unit_test_setup_teardown(test_minimal_query, setup, teardown),
		cmocka_unit_test_setup_teardown(test_star_items, setup, teardown),
		cmocka_unit_test_setup_teardown(test_aliases_and_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_literals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_precedence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_postfix_forms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_case_and_calls, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spans, setup, teardown),
		cmocka_unit_test_setup_teardown(test_heights, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lexer_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lexer_forms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syntax_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deep_nesting, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_chains, setup, teardown),
		cmocka_unit_test_setup_teardown(test_item_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_text_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_arena_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_position, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
