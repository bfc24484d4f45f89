/* SPDX-License-Identifier: Apache-2.0 */
/* The SQL parser: tokens -> AST (docs/SQL.md, "Grammar"). Recursive descent
 * for the clauses and for real nesting, an operator stack for the operators
 * in between; both the nesting and the tree's height are capped. */
#include <assert.h>
#include <ctype.h>
#include <float.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sql_int.h"

#define LOOKAHEAD 4
/* Error paths: kept out of the frames of the recursive functions. */
#define COLD __attribute__((cold, noinline))

/* A growable array in the arena (the old copies stay there until it is freed:
 * at most as much again). */
struct vec {
	void *data;
	size_t count, cap;
};

struct parser {
	const char *sql;
	uint32_t len;
	struct dcr_arena *arena;
	struct sql_lexer lx;
	struct sql_token la[LOOKAHEAD]; /* tokens read ahead; la[0] is the current one */
	unsigned la_count;
	unsigned depth;                 /* expressions being parsed, one inside the other */
	struct vec ops;                 /* the operator stack (struct op) */
	struct vec vals;                /* the operand stack (struct ast_expr *) */
	bool nomem;
	struct dcr_msg *msg;
};

void sql_position(const char *sql, size_t len, uint32_t pos, unsigned *out_line,
                  unsigned *out_col)
{
	unsigned line = 1, col = 1;

	if (pos > len)
		pos = (uint32_t)len;
	for (uint32_t i = 0; i < pos; i++) {
		if (sql[i] == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
	}
	*out_line = line;
	*out_col = col;
}

/* ---- errors ------------------------------------------------------------ */

static COLD enum dcr_err fail(struct parser *p, uint32_t pos, const char *fmt, ...)
	DCR_PRINTF(3, 4);

static COLD enum dcr_err fail(struct parser *p, uint32_t pos, const char *fmt, ...)
{
	char text[DCR_MSG_SIZE];
	unsigned line, col;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	sql_position(p->sql, p->len, pos, &line, &col);
	dcr_msg_set(p->msg, "line %u, column %u: %s", line, col, text);
	return DCR_ERR_SQL;
}

static COLD enum dcr_err nomem(struct parser *p)
{
	p->nomem = true;
	dcr_msg_set(p->msg, "out of memory while parsing the query");
	return DCR_ERR_NOMEM;
}

static const struct sql_token *peek(struct parser *p, unsigned n)
{
	assert(n < LOOKAHEAD);
	while (p->la_count <= n) {
		/* out of memory comes back as an error token, reported as such */
		if (sql_lex_next(&p->lx, &p->la[p->la_count]) != DCR_OK)
			p->nomem = true;
		p->la_count++;
	}
	return &p->la[n];
}

/* Takes the current token: the next one becomes current. */
static void skip(struct parser *p)
{
	peek(p, 0);
	memmove(&p->la[0], &p->la[1], (p->la_count - 1) * sizeof(p->la[0]));
	p->la_count--;
}

/* Takes the current token and returns it. */
static struct sql_token advance(struct parser *p)
{
	struct sql_token t = *peek(p, 0);

	skip(p);
	return t;
}

/* Takes the current token and returns where it ends (starts). */
static uint32_t take_end(struct parser *p)
{
	uint32_t end = peek(p, 0)->end;

	skip(p);
	return end;
}

static uint32_t take_pos(struct parser *p)
{
	uint32_t pos = peek(p, 0)->pos;

	skip(p);
	return pos;
}

static bool is_kw(struct parser *p, unsigned n, enum sql_kw kw)
{
	const struct sql_token *t = peek(p, n);

	return t->kind == SQL_TOK_WORD && t->kw == kw;
}

static bool is_tok(struct parser *p, unsigned n, enum sql_tok kind)
{
	return peek(p, n)->kind == kind;
}

/* Whether the token at n is the word word (any case), keyword or not. */
static bool is_word(struct parser *p, unsigned n, const char *word)
{
	const struct sql_token *t = peek(p, n);

	return t->kind == SQL_TOK_WORD && t->end - t->pos == strlen(word) &&
	       !strncasecmp(p->sql + t->pos, word, t->end - t->pos);
}

/* Can name a column, table or alias: a word not reserved, or "quoted". */
static bool is_name(struct parser *p, unsigned n)
{
	const struct sql_token *t = peek(p, n);

	return (t->kind == SQL_TOK_WORD && !sql_kw_reserved(t->kw)) || t->kind == SQL_TOK_QUOTED;
}

/* The token as the user wrote it, for "found ...": at most about 40 bytes,
 * control characters as '?'. */
static COLD void describe(struct parser *p, const struct sql_token *t, char *out, size_t size)
{
	uint32_t n = t->end - t->pos, cut = n;
	char raw[48];

	if (t->kind == SQL_TOK_END) {
		snprintf(out, size, "the end of the query");
		return;
	}
	if (n > 40) {
		cut = 37;
		while (cut > 0 && ((unsigned char)p->sql[t->pos + cut] & 0xc0) == 0x80)
			cut--; /* not inside a UTF-8 character */
	}
	for (uint32_t i = 0; i < cut; i++) {
		unsigned char c = (unsigned char)p->sql[t->pos + i];

		raw[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	raw[cut] = '\0';
	/* a string shows its own quotes */
	if (t->kind == SQL_TOK_STRING)
		snprintf(out, size, "the string %s%s", raw, cut < n ? "..." : "");
	else
		snprintf(out, size, "'%s%s'", raw, cut < n ? "..." : "");
}

/* Constructs of other dialects, named when they turn up where something
 * else was expected. 0 when t is none of them. */
static COLD enum dcr_err refused(struct parser *p, const struct sql_token *t)
{
	if (t->kind != SQL_TOK_WORD)
		return DCR_OK;
	switch (t->kw) {
	case SQL_KW_UNION:
	case SQL_KW_INTERSECT:
	case SQL_KW_EXCEPT:
		return fail(p, t->pos, "%s is not supported", sql_kw_name(t->kw));
	case SQL_KW_OFFSET:
	case SQL_KW_FETCH:
	case SQL_KW_QUALIFY:
	case SQL_KW_COLLATE:
	case SQL_KW_LATERAL:
		return fail(p, t->pos, "%s is not supported", sql_kw_name(t->kw));
	case SQL_KW_WINDOW:
	case SQL_KW_OVER:
		return fail(p, t->pos, "window functions (%s) are not supported",
		            sql_kw_name(t->kw));
	case SQL_KW_USING:
		return fail(p, t->pos, "JOIN ... USING is not supported; use JOIN ... ON");
	case SQL_KW_RIGHT:
	case SQL_KW_FULL:
		if (!is_kw(p, 1, SQL_KW_JOIN) && !is_kw(p, 1, SQL_KW_OUTER))
			return DCR_OK;
		/* fall through */
	case SQL_KW_NATURAL:
	case SQL_KW_CROSS:
	case SQL_KW_ASOF:
	case SQL_KW_ANTI:
	case SQL_KW_SEMI:
	case SQL_KW_POSITIONAL:
		return fail(p, t->pos, "%s JOIN is not supported", sql_kw_name(t->kw));
	case SQL_KW_ILIKE:
		return fail(p, t->pos, "ILIKE is not supported (LIKE is case-sensitive)");
	case SQL_KW_SIMILAR:
		return fail(p, t->pos, "SIMILAR TO is not supported");
	case SQL_KW_WITH:
		return fail(p, t->pos, "WITH (common table expressions) is not supported");
	default:
		return DCR_OK;
	}
}

/* "expected <what>, found <the current token>", unless the current token is
 * one the lexer could not read or a construct to name. */
static COLD enum dcr_err expected(struct parser *p, const char *what)
{
	const struct sql_token *t = peek(p, 0);
	char found[80];
	enum dcr_err err;

	if (t->kind == SQL_TOK_ERROR)
		return p->nomem ? nomem(p) : fail(p, t->pos, "%s", p->lx.msg);
	err = refused(p, t);
	if (err)
		return err;
	describe(p, t, found, sizeof(found));
	return fail(p, t->pos, "expected %s, found %s", what, found);
}

static enum dcr_err expect(struct parser *p, enum sql_tok kind, const char *what)
{
	if (!is_tok(p, 0, kind))
		return expected(p, what);
	skip(p);
	return DCR_OK;
}

static enum dcr_err expect_kw(struct parser *p, enum sql_kw kw)
{
	if (!is_kw(p, 0, kw))
		return expected(p, sql_kw_name(kw));
	skip(p);
	return DCR_OK;
}

/* ---- building ---------------------------------------------------------- */

static enum dcr_err vec_push(struct parser *p, struct vec *v, size_t elem_size, const void *elem)
{
	if (v->count == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 4;
		void *data = dcr_arena_alloc(p->arena, cap * elem_size);

		if (!data)
			return nomem(p);
		if (v->count)
			memcpy(data, v->data, v->count * elem_size);
		v->data = data;
		v->cap = cap;
	}
	memcpy((char *)v->data + v->count * elem_size, elem, elem_size);
	v->count++;
	return DCR_OK;
}

/* Refuses an item past SQL_MAX_ITEMS of a list, at pos. */
static enum dcr_err room(struct parser *p, const struct vec *v, uint32_t pos, const char *what)
{
	if (v->count >= SQL_MAX_ITEMS)
		return fail(p, pos, "more than %d %s", SQL_MAX_ITEMS, what);
	return DCR_OK;
}

static enum dcr_err new_expr(struct parser *p, enum ast_kind kind, uint32_t pos, uint32_t end,
                             size_t arg_count, struct ast_expr **out)
{
	struct ast_expr *e = dcr_arena_alloc(p->arena, sizeof(*e));

	*out = e;
	if (!e)
		return nomem(p);
	e->kind = kind;
	e->pos = pos;
	e->end = end;
	e->height = 1;
	if (arg_count) {
		e->args = dcr_arena_alloc(p->arena, arg_count * sizeof(*e->args));
		if (!e->args)
			return nomem(p);
		e->arg_count = arg_count;
	}
	return DCR_OK;
}

/* Sets e's height from its children; refuses a tree that grows too tall,
 * at pos (the operator or keyword that would make it so). */
static enum dcr_err grown(struct parser *p, struct ast_expr *e, uint32_t pos)
{
	unsigned h = 0;

	for (size_t i = 0; i < e->arg_count; i++)
		if (e->args[i]->height > h)
			h = e->args[i]->height;
	if (e->operand && e->operand->height > h)
		h = e->operand->height;
	if (e->else_expr && e->else_expr->height > h)
		h = e->else_expr->height;
	e->height = h + 1;
	if (e->height > SQL_MAX_DEPTH)
		return fail(p, pos, "nesting deeper than %d levels", SQL_MAX_DEPTH);
	return DCR_OK;
}

static enum dcr_err binary(struct parser *p, enum ast_kind kind, int op, uint32_t op_pos,
                           struct ast_expr **left, struct ast_expr *right)
{
	struct ast_expr *e;
	enum dcr_err err = new_expr(p, kind, (*left)->pos, right->end, 2, &e);

	if (err)
		return err;
	e->op = op;
	e->args[0] = *left;
	e->args[1] = right;
	*left = e;
	return grown(p, e, op_pos);
}

/* The name a token stands for: a word as written, a quoted one unquoted. */
static enum dcr_err name_of(struct parser *p, const struct sql_token *t, const char **out)
{
	if (t->kind == SQL_TOK_QUOTED) {
		*out = t->s.ptr;
		return DCR_OK;
	}
	*out = dcr_arena_strndup(p->arena, p->sql + t->pos, t->end - t->pos);
	return *out ? DCR_OK : nomem(p);
}

/* A name (column, table, alias) at the current token. */
static enum dcr_err take_name(struct parser *p, const char *what, const char **out)
{
	struct sql_token t;

	if (!is_name(p, 0))
		return expected(p, what);
	t = advance(p);
	return name_of(p, &t, out);
}

/* An optional alias: AS name, or a name that is not a keyword. */
static enum dcr_err alias(struct parser *p, const char **out)
{
	*out = NULL;
	if (is_kw(p, 0, SQL_KW_AS)) {
		skip(p);
		return take_name(p, "an alias after AS", out);
	}
	if (is_name(p, 0))
		return take_name(p, "an alias", out);
	return DCR_OK;
}

/* ---- expressions ------------------------------------------------------- */

/* Operators are parsed with an explicit stack (p->ops, p->vals, in the
 * arena): a C stack frame is spent only per real nesting (parentheses, a
 * function call, CASE, an IN list), and those frames are kept small, so that
 * SQL_MAX_DEPTH levels fit the small thread stacks of a TEE (Gramine's
 * default is 256 KiB). Helpers that are not on that path are NOINLINE so
 * that their locals stay out of the frames that are. */
#define NOINLINE __attribute__((noinline))

/* Precedence, loosest first (docs/SQL.md). */
enum { PREC_OR = 1, PREC_AND, PREC_NOT, PREC_CMP, PREC_ADD, PREC_MUL, PREC_NEG };

enum op_kind { OP_OR, OP_AND, OP_CMP, OP_ARITH, OP_NOT, OP_NEG, OP_PLUS, OP_POSTFIX };

struct op {
	uint8_t kind;   /* enum op_kind */
	uint8_t prec;
	int16_t arg;    /* CMP: enum dcr_cmp; ARITH: '+' '-' '*' '/' */
	uint32_t pos;   /* of the operator */
};

static enum dcr_err expr(struct parser *p, struct ast_expr **out);
static enum dcr_err expr_from(struct parser *p, int min, struct ast_expr **out);

static COLD enum dcr_err too_deep(struct parser *p, uint32_t pos)
{
	return fail(p, pos, "nesting deeper than %d levels", SQL_MAX_DEPTH);
}

static enum dcr_err subquery_check(struct parser *p, unsigned lparen)
{
	if (is_tok(p, lparen, SQL_TOK_LPAREN) && is_kw(p, lparen + 1, SQL_KW_SELECT))
		return fail(p, peek(p, lparen)->pos, "subqueries are not supported");
	return DCR_OK;
}

/* A literal too large for a double: refused rather than read as inf. */
static COLD enum dcr_err out_of_range(struct parser *p, const struct sql_token *t)
{
	return fail(p, t->pos, "number %.*s%s is out of range", t->end - t->pos > 40 ? 40 :
	            (int)(t->end - t->pos), p->sql + t->pos, t->end - t->pos > 40 ? "..." : "");
}

/* An integer literal t, negated when minus (whose position starts it):
 * -9223372036854775808 is an int. */
static enum dcr_err int_literal(struct parser *p, const struct sql_token *t,
                                const struct sql_token *minus, struct ast_expr **out)
{
	uint32_t pos = minus ? minus->pos : t->pos;
	enum dcr_err err;

	if (!t->big && t->u <= (uint64_t)INT64_MAX + (minus ? 1 : 0)) {
		err = new_expr(p, AST_INT, pos, t->end, 0, out);
		if (!err)
			(*out)->i = minus ? (int64_t)(0 - t->u) : (int64_t)t->u;
		return err;
	}
	if (t->f > DBL_MAX)
		return out_of_range(p, t);
	err = new_expr(p, AST_FLOAT, pos, t->end, 0, out);
	if (!err)
		(*out)->f = minus ? -t->f : t->f;
	return err;
}

/* Numbers (a '-' right before an integer is part of it), strings, NULL,
 * TRUE, FALSE, DATE '...'. */
static NOINLINE enum dcr_err literal(struct parser *p, struct ast_expr **out)
{
	struct sql_token t = advance(p), minus, text;
	enum dcr_err err;
	int32_t days;

	switch (t.kind) {
	case SQL_TOK_MINUS:
		minus = t;
		t = advance(p);
		return int_literal(p, &t, &minus, out);
	case SQL_TOK_INT:
		return int_literal(p, &t, NULL, out);
	case SQL_TOK_FLOAT:
		if (t.f > DBL_MAX)
			return out_of_range(p, &t);
		err = new_expr(p, AST_FLOAT, t.pos, t.end, 0, out);
		if (!err)
			(*out)->f = t.f;
		return err;
	case SQL_TOK_STRING:
		err = new_expr(p, AST_STRING, t.pos, t.end, 0, out);
		if (!err)
			(*out)->s = t.s;
		return err;
	default:
		break;
	}
	if (t.kw != SQL_KW_DATE) {
		err = new_expr(p, t.kw == SQL_KW_NULL ? AST_NULL : AST_BOOL, t.pos, t.end, 0, out);
		if (!err)
			(*out)->b = t.kw == SQL_KW_TRUE;
		return err;
	}
	text = advance(p);
	if (dcr_date_parse(text.s.ptr, text.s.len, &days) != DCR_OK)
		return fail(p, text.pos, "invalid date %.*s: expected DATE 'YYYY-MM-DD'",
		            (int)(text.end - text.pos > 40 ? 40 : text.end - text.pos),
		            p->sql + text.pos);
	err = new_expr(p, AST_DATE, t.pos, text.end, 0, out);
	if (!err)
		(*out)->date = days;
	return err;
}

static NOINLINE enum dcr_err column(struct parser *p, struct ast_expr **out)
{
	struct sql_token first = advance(p), second;
	const char *name;
	enum dcr_err err = name_of(p, &first, &name);

	if (err)
		return err;
	if (!is_tok(p, 0, SQL_TOK_DOT)) {
		err = new_expr(p, AST_COLUMN, first.pos, first.end, 0, out);
		if (!err)
			(*out)->name = name;
		return err;
	}
	skip(p);
	if (is_tok(p, 0, SQL_TOK_STAR))
		return fail(p, first.pos, "%s.* is only allowed as a SELECT item", name);
	if (!is_tok(p, 0, SQL_TOK_WORD) && !is_tok(p, 0, SQL_TOK_QUOTED))
		return expected(p, "a column name after '.'");
	second = advance(p);
	if (is_tok(p, 0, SQL_TOK_DOT))
		return fail(p, first.pos, "three-part names (a.b.c) are not supported");
	err = new_expr(p, AST_COLUMN, first.pos, second.end, 0, out);
	if (!err) {
		(*out)->qualifier = name;
		err = name_of(p, &second, &(*out)->name);
	}
	return err;
}

static void upper(const char *s, size_t n, char *out, size_t size)
{
	size_t i;

	for (i = 0; i < n && i + 1 < size; i++)
		out[i] = (char)toupper((unsigned char)s[i]);
	out[i] = '\0';
}

static bool is_aggregate(const char *name)
{
	return !strcmp(name, "count") || !strcmp(name, "sum") || !strcmp(name, "avg") ||
	       !strcmp(name, "min") || !strcmp(name, "max");
}

/* The function called at the current token (before its '('): its name in
 * lowercase, when it is one we have; the '(' is then current, and a
 * DISTINCT after it taken (*distinct). */
static NOINLINE enum dcr_err function(struct parser *p, const char **out, bool *distinct)
{
	struct sql_token name = advance(p);
	uint32_t n = name.end - name.pos;
	char shout[48], *lower;
	enum dcr_err err;

	upper(p->sql + name.pos, n, shout, sizeof(shout));
	err = subquery_check(p, 0); /* EXISTS (SELECT ...), ANY (SELECT ...) */
	if (err)
		return err;
	if (!strcmp(shout, "CAST") || !strcmp(shout, "TRY_CAST"))
		return fail(p, name.pos, "%s is not supported", shout);
	lower = dcr_arena_strndup(p->arena, p->sql + name.pos, n);
	if (!lower)
		return nomem(p);
	for (char *c = lower; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	if (!is_aggregate(lower) && strcmp(lower, "coalesce"))
		return fail(p, name.pos, "function %s is not supported", shout);
	skip(p); /* ( */
	*out = lower;
	*distinct = false;
	if (is_kw(p, 0, SQL_KW_DISTINCT)) {
		if (strcmp(lower, "count"))
			return fail(p, peek(p, 0)->pos, "%s(DISTINCT ...) is not supported", shout);
		*distinct = true;
		skip(p);
	}
	if (is_tok(p, 0, SQL_TOK_STAR) && !*distinct && !strcmp(lower, "count") &&
	    is_tok(p, 1, SQL_TOK_RPAREN))
		return DCR_OK;
	if (is_tok(p, 0, SQL_TOK_STAR))
		return fail(p, peek(p, 0)->pos,
		            "* is only allowed as a SELECT item or in COUNT(*)");
	return DCR_OK;
}

/* After the ')': the arity, and what other dialects put there. */
static COLD enum dcr_err call_check(struct parser *p, const struct ast_expr *e)
{
	char shout[16];

	upper(e->name, strlen(e->name), shout, sizeof(shout));
	if (is_aggregate(e->name) && e->arg_count != 1)
		return fail(p, e->pos, "%s takes one argument%s", shout,
		            strcmp(e->name, "count") ? "" :
		            ": COUNT(*), COUNT(x) or COUNT(DISTINCT x)");
	if (e->arg_count == 0)
		return fail(p, e->pos, "%s takes at least one argument", shout);
	if (is_kw(p, 0, SQL_KW_OVER))
		return refused(p, peek(p, 0));
	if (is_kw(p, 0, SQL_KW_FILTER) && is_tok(p, 1, SQL_TOK_LPAREN))
		return fail(p, peek(p, 0)->pos, "FILTER (WHERE ...) is not supported");
	return DCR_OK;
}

/* name(args): the aggregates and COALESCE. */
static NOINLINE enum dcr_err call(struct parser *p, struct ast_expr **out)
{
	uint32_t pos = peek(p, 0)->pos;
	struct vec args = {0};
	struct ast_expr *e, *arg;
	const char *name;
	bool distinct;
	enum dcr_err err = function(p, &name, &distinct);

	if (!err && is_tok(p, 0, SQL_TOK_STAR)) { /* COUNT(*) */
		err = new_expr(p, AST_STAR, peek(p, 0)->pos, peek(p, 0)->end, 0, &arg);
		if (!err)
			err = vec_push(p, &args, sizeof(arg), &arg);
		skip(p);
	} else if (!err && !is_tok(p, 0, SQL_TOK_RPAREN)) {
		for (;;) {
			err = room(p, &args, peek(p, 0)->pos, "arguments");
			if (!err)
				err = expr(p, &arg);
			if (!err)
				err = vec_push(p, &args, sizeof(arg), &arg);
			if (err || !is_tok(p, 0, SQL_TOK_COMMA))
				break;
			skip(p);
		}
	}
	if (err)
		return err;
	if (!is_tok(p, 0, SQL_TOK_RPAREN))
		return expected(p, args.count ? "',' or ')'" : "an argument");
	err = new_expr(p, AST_CALL, pos, take_end(p), 0, &e);
	if (err)
		return err;
	e->name = name;
	e->distinct = distinct;
	e->args = args.data;
	e->arg_count = args.count;
	*out = e;
	err = call_check(p, e);
	return err ? err : grown(p, e, pos);
}

/* CASE [operand] WHEN c THEN r ... [ELSE e] END */
static NOINLINE enum dcr_err case_expr(struct parser *p, struct ast_expr **out)
{
	uint32_t pos = take_pos(p);
	struct ast_expr *e, *operand = NULL, *else_expr = NULL, *x;
	struct vec args = {0};
	enum dcr_err err = DCR_OK;

	if (is_kw(p, 0, SQL_KW_THEN) || is_kw(p, 0, SQL_KW_ELSE) || is_kw(p, 0, SQL_KW_END))
		return expected(p, "WHEN");
	if (!is_kw(p, 0, SQL_KW_WHEN))
		err = expr(p, &operand);
	if (!err && !is_kw(p, 0, SQL_KW_WHEN))
		return expected(p, "WHEN");
	while (!err && is_kw(p, 0, SQL_KW_WHEN)) {
		if (args.count >= 2 * SQL_MAX_ITEMS)
			return fail(p, peek(p, 0)->pos, "more than %d WHEN clauses", SQL_MAX_ITEMS);
		skip(p);
		err = expr(p, &x);
		if (!err)
			err = vec_push(p, &args, sizeof(x), &x);
		if (!err)
			err = expect_kw(p, SQL_KW_THEN);
		if (!err)
			err = expr(p, &x);
		if (!err)
			err = vec_push(p, &args, sizeof(x), &x);
	}
	if (!err && is_kw(p, 0, SQL_KW_ELSE)) {
		skip(p);
		err = expr(p, &else_expr);
	}
	if (err)
		return err;
	if (!is_kw(p, 0, SQL_KW_END))
		return expected(p, else_expr ? "END" : "WHEN, ELSE or END");
	err = new_expr(p, AST_CASE, pos, take_end(p), 0, &e);
	if (err)
		return err;
	e->args = args.data;
	e->arg_count = args.count;
	e->operand = operand;
	e->else_expr = else_expr;
	*out = e;
	return grown(p, e, pos);
}

/* ( expr ) */
static NOINLINE enum dcr_err parenthesized(struct parser *p, struct ast_expr **out)
{
	uint32_t pos = peek(p, 0)->pos;
	enum dcr_err err = subquery_check(p, 0);

	if (err)
		return err;
	skip(p);
	err = expr(p, out);
	if (err)
		return err;
	if (!is_tok(p, 0, SQL_TOK_RPAREN))
		return expected(p, "')'");
	/* the parentheses are part of the text that names it */
	(*out)->pos = pos;
	(*out)->end = take_end(p);
	return DCR_OK;
}

static bool is_typed_literal(struct parser *p)
{
	return is_tok(p, 1, SQL_TOK_STRING) &&
	       (is_word(p, 0, "TIMESTAMP") || is_word(p, 0, "TIMESTAMPTZ") ||
	        is_word(p, 0, "TIME") || is_word(p, 0, "INTERVAL") || is_word(p, 0, "DATETIME"));
}

/* The words that are neither a column nor a call here. */
static COLD enum dcr_err bad_word(struct parser *p)
{
	const struct sql_token *t = peek(p, 0);
	char shout[16];

	if (is_typed_literal(p)) {
		upper(p->sql + t->pos, t->end - t->pos, shout, sizeof(shout));
		return fail(p, t->pos, "%s literals are not supported; only DATE 'YYYY-MM-DD'",
		            shout);
	}
	return expected(p, "an expression");
}

/* An operand: a literal, a column, a call, CASE, or ( expr ). */
static enum dcr_err primary(struct parser *p, struct ast_expr **out)
{
	const struct sql_token *t = peek(p, 0);

	switch (t->kind) {
	case SQL_TOK_MINUS: /* only before an integer: see expr_from */
	case SQL_TOK_INT:
	case SQL_TOK_FLOAT:
	case SQL_TOK_STRING:
		return literal(p, out);
	case SQL_TOK_LPAREN:
		return parenthesized(p, out);
	case SQL_TOK_STAR:
		return fail(p, t->pos, "* is only allowed as a SELECT item or in COUNT(*)");
	case SQL_TOK_QUOTED:
		return column(p, out);
	case SQL_TOK_WORD:
		break;
	default:
		return expected(p, "an expression");
	}
	switch (t->kw) {
	case SQL_KW_NULL:
	case SQL_KW_TRUE:
	case SQL_KW_FALSE:
		return literal(p, out);
	case SQL_KW_CASE:
		return case_expr(p, out);
	case SQL_KW_DATE:
		if (is_tok(p, 1, SQL_TOK_STRING))
			return literal(p, out);
		break;
	default:
		break;
	}
	if (is_tok(p, 1, SQL_TOK_LPAREN) &&
	    (!sql_kw_reserved(t->kw) || t->kw == SQL_KW_LEFT || t->kw == SQL_KW_RIGHT))
		return call(p, out);
	if (sql_kw_reserved(t->kw) || is_typed_literal(p))
		return bad_word(p);
	return column(p, out);
}

static bool comparison_op(enum sql_tok kind, int *op)
{
	switch (kind) {
	case SQL_TOK_EQ: *op = DCR_CMP_EQ; return true;
	case SQL_TOK_NE: *op = DCR_CMP_NE; return true;
	case SQL_TOK_LT: *op = DCR_CMP_LT; return true;
	case SQL_TOK_LE: *op = DCR_CMP_LE; return true;
	case SQL_TOK_GT: *op = DCR_CMP_GT; return true;
	case SQL_TOK_GE: *op = DCR_CMP_GE; return true;
	default: return false;
	}
}

static bool is_postfix_kw(enum sql_kw kw)
{
	return kw == SQL_KW_IS || kw == SQL_KW_IN || kw == SQL_KW_BETWEEN || kw == SQL_KW_LIKE ||
	       kw == SQL_KW_ILIKE || kw == SQL_KW_SIMILAR;
}

/* The operator at the current token after an operand, and its precedence;
 * 0 when there is none (the expression ends). */
static int infix(struct parser *p, struct op *o)
{
	const struct sql_token *t = peek(p, 0);
	int cmp;

	*o = (struct op){.pos = t->pos};
	switch (t->kind) {
	case SQL_TOK_PLUS:
	case SQL_TOK_MINUS:
		*o = (struct op){OP_ARITH, PREC_ADD, t->kind == SQL_TOK_PLUS ? '+' : '-', t->pos};
		return PREC_ADD;
	case SQL_TOK_STAR:
	case SQL_TOK_SLASH:
		*o = (struct op){OP_ARITH, PREC_MUL, t->kind == SQL_TOK_STAR ? '*' : '/', t->pos};
		return PREC_MUL;
	case SQL_TOK_WORD:
		if (t->kw == SQL_KW_OR || t->kw == SQL_KW_AND) {
			o->kind = t->kw == SQL_KW_OR ? OP_OR : OP_AND;
			o->prec = t->kw == SQL_KW_OR ? PREC_OR : PREC_AND;
			return o->prec;
		}
		if (is_postfix_kw(t->kw) ||
		    (t->kw == SQL_KW_NOT && peek(p, 1)->kind == SQL_TOK_WORD &&
		     peek(p, 1)->kw != SQL_KW_IS && is_postfix_kw(peek(p, 1)->kw))) {
			o->kind = OP_POSTFIX;
			o->prec = PREC_CMP;
			return PREC_CMP;
		}
		return 0;
	default:
		if (!comparison_op(t->kind, &cmp))
			return 0;
		*o = (struct op){OP_CMP, PREC_CMP, (int16_t)cmp, t->pos};
		return PREC_CMP;
	}
}

static struct ast_expr *pop_val(struct parser *p)
{
	assert(p->vals.count > 0);
	return ((struct ast_expr **)p->vals.data)[--p->vals.count];
}

/* Applies the operator on top of the stack to its operands. */
static enum dcr_err reduce(struct parser *p)
{
	static const enum ast_kind kinds[] = {
		[OP_OR] = AST_OR, [OP_AND] = AST_AND,
		[OP_CMP] = AST_COMPARE, [OP_ARITH] = AST_ARITH,
	};
	struct op o = ((struct op *)p->ops.data)[--p->ops.count];
	struct ast_expr *right = pop_val(p), *left, *e;
	enum dcr_err err;

	if (o.kind == OP_PLUS) { /* dropped, but part of the text */
		right->pos = o.pos;
		p->depth--;
		return vec_push(p, &p->vals, sizeof(right), &right);
	}
	if (o.kind == OP_NOT || o.kind == OP_NEG) {
		p->depth--;
		err = new_expr(p, o.kind == OP_NOT ? AST_NOT : AST_NEG, o.pos, right->end, 1, &e);
		if (!err) {
			e->args[0] = right;
			err = grown(p, e, o.pos);
		}
		return err ? err : vec_push(p, &p->vals, sizeof(e), &e);
	}
	left = pop_val(p);
	err = binary(p, kinds[o.kind], o.arg, o.pos, &left, right);
	return err ? err : vec_push(p, &p->vals, sizeof(left), &left);
}

/* Reduces the operators above base on the stack that bind at least as
 * tightly as prec (all binary operators associate to the left). */
static enum dcr_err reduce_to(struct parser *p, size_t base, int prec)
{
	enum dcr_err err = DCR_OK;

	while (!err && p->ops.count > base &&
	       ((struct op *)p->ops.data)[p->ops.count - 1].prec >= prec)
		err = reduce(p);
	return err;
}

/* x [NOT] IN (a, b, ...), with IN just taken */
static NOINLINE enum dcr_err in_list(struct parser *p, struct ast_expr *left, uint32_t pos,
                                     struct ast_expr **out)
{
	struct vec args = {0};
	struct ast_expr *e, *x;
	enum dcr_err err = subquery_check(p, 0);

	if (!err)
		err = expect(p, SQL_TOK_LPAREN, "'(' after IN");
	if (!err)
		err = vec_push(p, &args, sizeof(x), &left);
	while (!err) {
		/* args[0] is the left side: the list may hold SQL_MAX_ITEMS */
		if (args.count > SQL_MAX_ITEMS)
			return fail(p, peek(p, 0)->pos, "more than %d values in the IN list",
			            SQL_MAX_ITEMS);
		err = expr(p, &x);
		if (!err)
			err = vec_push(p, &args, sizeof(x), &x);
		if (err || !is_tok(p, 0, SQL_TOK_COMMA))
			break;
		skip(p);
	}
	if (err)
		return err;
	if (!is_tok(p, 0, SQL_TOK_RPAREN))
		return expected(p, "',' or ')'");
	err = new_expr(p, AST_IN, left->pos, take_end(p), 0, &e);
	if (err)
		return err;
	e->args = args.data;
	e->arg_count = args.count;
	*out = e;
	return grown(p, e, pos);
}

/* IS [NOT] NULL, [NOT] IN, [NOT] BETWEEN, [NOT] LIKE, applied to the
 * operand on top of the stack. */
static NOINLINE enum dcr_err postfix(struct parser *p)
{
	struct ast_expr *left = pop_val(p), *e = NULL, *low, *high;
	bool negated = false;
	enum dcr_err err;
	enum sql_kw kw;
	uint32_t pos;

	if (is_kw(p, 0, SQL_KW_NOT)) {
		skip(p);
		negated = true;
	}
	kw = peek(p, 0)->kw;
	if (kw == SQL_KW_ILIKE || kw == SQL_KW_SIMILAR)
		return refused(p, peek(p, 0));
	pos = take_pos(p);
	switch (kw) {
	case SQL_KW_IS:
		if (is_kw(p, 0, SQL_KW_NOT)) {
			skip(p);
			negated = true;
		}
		if (is_kw(p, 0, SQL_KW_DISTINCT))
			return fail(p, pos, "IS %sDISTINCT FROM is not supported",
			            negated ? "NOT " : "");
		if (!is_kw(p, 0, SQL_KW_NULL))
			return expected(p, negated ? "NULL after IS NOT" : "NULL after IS");
		err = new_expr(p, AST_IS_NULL, left->pos, take_end(p), 1, &e);
		if (!err)
			e->args[0] = left;
		break;
	case SQL_KW_IN:
		err = in_list(p, left, pos, &e);
		break;
	case SQL_KW_BETWEEN:
		err = expr_from(p, PREC_ADD, &low);
		if (!err && !is_kw(p, 0, SQL_KW_AND))
			return expected(p, "AND (BETWEEN x AND y)");
		if (!err) {
			skip(p);
			err = expr_from(p, PREC_ADD, &high);
		}
		if (!err)
			err = new_expr(p, AST_BETWEEN, left->pos, high->end, 3, &e);
		if (!err) {
			e->args[0] = left;
			e->args[1] = low;
			e->args[2] = high;
		}
		break;
	default: /* LIKE */
		assert(kw == SQL_KW_LIKE);
		err = expr_from(p, PREC_ADD, &low);
		if (!err && is_word(p, 0, "ESCAPE"))
			return fail(p, peek(p, 0)->pos, "LIKE ... ESCAPE is not supported "
			            "(LIKE has no escape character)");
		if (!err)
			err = new_expr(p, AST_LIKE, left->pos, low->end, 2, &e);
		if (!err) {
			e->args[0] = left;
			e->args[1] = low;
		}
		break;
	}
	if (err)
		return err;
	e->negated = negated;
	err = grown(p, e, pos);
	return err ? err : vec_push(p, &p->vals, sizeof(e), &e);
}

/* An expression of the operators that bind at least as tightly as min. */
static enum dcr_err expr_from(struct parser *p, int min, struct ast_expr **out)
{
	size_t ops = p->ops.count, vals = p->vals.count;
	int floor = min; /* the loosest prefix operator allowed here */
	struct ast_expr *e;
	enum dcr_err err;
	struct op o;
	int prec;

	for (;;) {
		for (;;) { /* prefix operators */
			const struct sql_token *t = peek(p, 0);

			if (t->kind == SQL_TOK_WORD && t->kw == SQL_KW_NOT && floor <= PREC_NOT) {
				o = (struct op){OP_NOT, PREC_NOT, 0, t->pos};
			} else if (t->kind == SQL_TOK_PLUS ||
			           (t->kind == SQL_TOK_MINUS && !is_tok(p, 1, SQL_TOK_INT))) {
				o = (struct op){OP_NEG, PREC_NEG, 0, t->pos};
				if (t->kind == SQL_TOK_PLUS)
					o.kind = OP_PLUS;
			} else {
				break;
			}
			if (++p->depth > SQL_MAX_DEPTH)
				return too_deep(p, o.pos);
			skip(p);
			err = vec_push(p, &p->ops, sizeof(o), &o);
			if (err)
				return err;
			floor = o.prec;
		}
		err = primary(p, &e);
		if (!err)
			err = vec_push(p, &p->vals, sizeof(e), &e);
		if (err)
			return err;
		for (;;) { /* infix and postfix operators */
			prec = infix(p, &o);
			if (prec == 0 || prec < min)
				goto done;
			err = reduce_to(p, ops, prec);
			if (!err && o.kind == OP_POSTFIX)
				err = postfix(p);
			if (err)
				return err;
			if (o.kind != OP_POSTFIX)
				break;
		}
		skip(p);
		err = vec_push(p, &p->ops, sizeof(o), &o);
		if (err)
			return err;
		floor = o.prec + 1;
	}
done:
	err = reduce_to(p, ops, 0);
	if (err)
		return err;
	assert(p->vals.count == vals + 1);
	(void)vals;
	*out = pop_val(p);
	return DCR_OK;
}

static enum dcr_err expr(struct parser *p, struct ast_expr **out)
{
	enum dcr_err err;

	if (++p->depth > SQL_MAX_DEPTH)
		return too_deep(p, peek(p, 0)->pos);
	err = expr_from(p, PREC_OR, out);
	p->depth--;
	return err;
}

/* ---- the statement ----------------------------------------------------- */

static enum dcr_err items(struct parser *p, struct ast_select *s)
{
	struct vec v = {0};
	enum dcr_err err = DCR_OK;

	do {
		struct ast_item item = {0};

		if (v.count)
			skip(p); /* , */
		item.pos = peek(p, 0)->pos;
		err = room(p, &v, item.pos, "SELECT items");
		if (err)
			return err;
		if (is_tok(p, 0, SQL_TOK_STAR)) {
			skip(p);
			item.star = true;
		} else if (is_name(p, 0) && is_tok(p, 1, SQL_TOK_DOT) &&
		           is_tok(p, 2, SQL_TOK_STAR)) {
			struct sql_token q = advance(p);

			skip(p);
			skip(p);
			item.star = true;
			err = name_of(p, &q, &item.star_qualifier);
		} else {
			err = expr(p, &item.expr);
			if (!err)
				err = alias(p, &item.alias);
		}
		if (!err)
			err = vec_push(p, &v, sizeof(item), &item);
		if (err)
			return err;
	} while (is_tok(p, 0, SQL_TOK_COMMA));
	s->items = v.data;
	s->item_count = v.count;
	return DCR_OK;
}

static enum dcr_err table_ref(struct parser *p, struct ast_table *t)
{
	enum dcr_err err;

	if (is_tok(p, 0, SQL_TOK_LPAREN)) {
		err = subquery_check(p, 0);
		return err ? err : expected(p, "a table name");
	}
	t->pos = peek(p, 0)->pos;
	err = take_name(p, "a table name", &t->name);
	if (err)
		return err;
	if (is_tok(p, 0, SQL_TOK_DOT))
		return fail(p, t->pos, "qualified table names (schema.table) are not supported");
	if (is_tok(p, 0, SQL_TOK_LPAREN))
		return fail(p, t->pos, "table functions (%s(...)) are not supported", t->name);
	return alias(p, &t->alias);
}

static enum dcr_err from(struct parser *p, struct ast_select *s)
{
	struct vec v = {0};
	struct ast_table t = {0};
	enum dcr_err err = table_ref(p, &t);

	if (!err)
		err = vec_push(p, &v, sizeof(t), &t);
	while (!err) {
		memset(&t, 0, sizeof(t));
		if (is_tok(p, 0, SQL_TOK_COMMA))
			return fail(p, peek(p, 0)->pos,
			            "comma joins (FROM a, b) are not supported; use JOIN ... ON");
		if (is_kw(p, 0, SQL_KW_JOIN)) {
			t.join = DCR_JOIN_INNER;
		} else if (is_kw(p, 0, SQL_KW_INNER)) {
			t.join = DCR_JOIN_INNER;
			skip(p);
		} else if (is_kw(p, 0, SQL_KW_LEFT)) {
			t.join = DCR_JOIN_LEFT;
			skip(p);
			if (is_kw(p, 0, SQL_KW_OUTER))
				skip(p);
		} else {
			break;
		}
		err = room(p, &v, peek(p, 0)->pos, "tables");
		if (!err)
			err = expect_kw(p, SQL_KW_JOIN);
		if (!err)
			err = table_ref(p, &t);
		if (!err)
			err = expect_kw(p, SQL_KW_ON);
		if (!err)
			err = expr(p, &t.on);
		if (!err)
			err = vec_push(p, &v, sizeof(t), &t);
	}
	s->tables = v.data;
	s->table_count = v.count;
	return err;
}

/* GROUP BY and ORDER BY keys (what was after BY). */
static enum dcr_err keys(struct parser *p, bool order, struct vec *v)
{
	enum dcr_err err = DCR_OK;

	if (is_kw(p, 0, SQL_KW_ALL))
		return fail(p, peek(p, 0)->pos, "%s BY ALL is not supported",
		            order ? "ORDER" : "GROUP");
	do {
		struct ast_order key = {0};

		if (v->count)
			skip(p); /* , */
		err = room(p, v, peek(p, 0)->pos, order ? "ORDER BY keys" : "GROUP BY keys");
		if (!err)
			err = expr(p, &key.expr);
		if (err)
			return err;
		if (!order) {
			err = vec_push(p, v, sizeof(key.expr), &key.expr);
			continue;
		}
		if (is_kw(p, 0, SQL_KW_ASC) || is_kw(p, 0, SQL_KW_DESC))
			key.desc = advance(p).kw == SQL_KW_DESC;
		if (is_kw(p, 0, SQL_KW_NULLS))
			return fail(p, peek(p, 0)->pos, "NULLS FIRST/LAST is not supported "
			            "(NULLs sort last with ASC, first with DESC)");
		err = vec_push(p, v, sizeof(key), &key);
	} while (!err && is_tok(p, 0, SQL_TOK_COMMA));
	return err;
}

static enum dcr_err limit(struct parser *p, struct ast_select *s)
{
	const struct sql_token *t = peek(p, 0);
	char found[80];

	if (t->kind == SQL_TOK_WORD && t->kw == SQL_KW_ALL)
		return fail(p, t->pos, "LIMIT ALL is not supported");
	if (t->kind == SQL_TOK_ERROR)
		return expected(p, "");
	if (t->kind != SQL_TOK_INT || t->big || t->u > INT64_MAX) {
		describe(p, t, found, sizeof(found));
		return fail(p, t->pos, "LIMIT takes a non-negative integer, found %s", found);
	}
	s->limit = (int64_t)advance(p).u;
	if (is_tok(p, 0, SQL_TOK_COMMA))
		return fail(p, peek(p, 0)->pos,
		            "LIMIT with an offset (LIMIT m, n) is not supported");
	return DCR_OK;
}

/* Words that start other statements: "INSERT is not" reads better than
 * "expected SELECT, found 'INSERT'". */
static const char *const statements[] = {
	"INSERT", "UPDATE", "DELETE", "UPSERT", "MERGE", "REPLACE", "CREATE", "DROP", "ALTER",
	"TRUNCATE", "RENAME", "GRANT", "REVOKE", "COPY", "EXPLAIN", "DESCRIBE", "SUMMARIZE",
	"PRAGMA", "ATTACH", "DETACH", "VACUUM", "ANALYZE", "CHECKPOINT", "BEGIN", "START",
	"COMMIT", "END", "ROLLBACK", "ABORT", "SAVEPOINT", "RELEASE", "SET", "RESET", "SHOW",
	"USE", "CALL", "EXEC", "EXECUTE", "PREPARE", "DEALLOCATE", "DECLARE", "VALUES", "TABLE",
	"LOAD", "INSTALL", "IMPORT", "EXPORT", "COMMENT", "LOCK", "UNLOCK", "LISTEN", "NOTIFY",
	"DO", "REINDEX", "CLUSTER", "REFRESH",
};

static enum dcr_err start(struct parser *p)
{
	const struct sql_token *t = peek(p, 0);
	char shout[16];
	size_t i;

	if (is_kw(p, 0, SQL_KW_SELECT)) {
		skip(p);
		if (is_kw(p, 0, SQL_KW_DISTINCT) || is_kw(p, 0, SQL_KW_ALL))
			return fail(p, peek(p, 0)->pos, "SELECT %s is not supported",
			            sql_kw_name(peek(p, 0)->kw));
		return DCR_OK;
	}
	if (t->kind == SQL_TOK_WORD) {
		if (t->kw == SQL_KW_FROM)
			return fail(p, t->pos,
			            "FROM-first queries are not supported; start with SELECT");
		for (i = 0; i < sizeof(statements) / sizeof(statements[0]); i++)
			if (is_word(p, 0, statements[i]))
				break;
		if (i < sizeof(statements) / sizeof(statements[0])) {
			upper(p->sql + t->pos, t->end - t->pos, shout, sizeof(shout));
			return fail(p, t->pos, "only SELECT statements are supported; %s is not",
			            shout);
		}
	}
	return expected(p, "SELECT");
}

static enum dcr_err query(struct parser *p, struct ast_select *s)
{
	/* what may still come, after each clause */
	static const char *const rest[] = {
		"JOIN, WHERE, GROUP BY, HAVING, ORDER BY, LIMIT or the end of the query",
		"GROUP BY, HAVING, ORDER BY, LIMIT or the end of the query",
		"HAVING, ORDER BY, LIMIT or the end of the query",
		"ORDER BY, LIMIT or the end of the query",
		"LIMIT or the end of the query",
		"the end of the query",
	};
	enum dcr_err err = start(p);
	struct vec v = {0};
	int stage = 0;

	s->limit = -1;
	if (!err)
		err = items(p, s);
	if (!err)
		err = expect_kw(p, SQL_KW_FROM);
	if (!err)
		err = from(p, s);
	if (!err && is_kw(p, 0, SQL_KW_WHERE)) {
		skip(p);
		err = expr(p, &s->where);
		stage = 1;
	}
	if (!err && is_kw(p, 0, SQL_KW_GROUP)) {
		skip(p);
		err = expect_kw(p, SQL_KW_BY);
		if (!err)
			err = keys(p, false, &v);
		s->group = v.data;
		s->group_count = v.count;
		stage = 2;
	}
	if (!err && is_kw(p, 0, SQL_KW_HAVING)) {
		skip(p);
		err = expr(p, &s->having);
		stage = 3;
	}
	if (!err && is_kw(p, 0, SQL_KW_ORDER)) {
		memset(&v, 0, sizeof(v));
		skip(p);
		err = expect_kw(p, SQL_KW_BY);
		if (!err)
			err = keys(p, true, &v);
		s->order = v.data;
		s->order_count = v.count;
		stage = 4;
	}
	if (!err && is_kw(p, 0, SQL_KW_LIMIT)) {
		skip(p);
		err = limit(p, s);
		stage = 5;
	}
	if (err)
		return err;
	if (is_tok(p, 0, SQL_TOK_SEMI)) {
		skip(p);
		if (!is_tok(p, 0, SQL_TOK_END))
			return fail(p, peek(p, 0)->pos, "several statements are not supported");
	}
	if (!is_tok(p, 0, SQL_TOK_END))
		return expected(p, rest[stage]);
	return DCR_OK;
}

enum dcr_err sql_parse(const char *sql, size_t len, struct dcr_arena *arena,
                       struct ast_select **out, struct dcr_msg *msg)
{
	struct parser p = {.sql = sql, .arena = arena, .msg = msg};
	struct ast_select *s;
	enum dcr_err err;

	assert(sql || len == 0);
	*out = NULL;
	if (len > SQL_MAX_LENGTH) {
		p.len = SQL_MAX_LENGTH;
		return fail(&p, SQL_MAX_LENGTH, "the query is longer than %u bytes",
		            SQL_MAX_LENGTH);
	}
	p.len = (uint32_t)len;
	sql_lex_init(&p.lx, sql ? sql : "", p.len, arena);
	s = dcr_arena_alloc(arena, sizeof(*s));
	if (!s)
		return nomem(&p);
	err = query(&p, s);
	if (err && p.nomem)
		return nomem(&p);
	if (!err)
		*out = s;
	return err;
}
