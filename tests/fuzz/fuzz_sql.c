/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer harness for the SQL lexer and parser: any bytes give a tree or
 * an error, never a crash or a leak. A tree must hold together: spans inside
 * the text and inside their parent's, heights right and capped, and the text
 * of each select item must parse, alone, to the same tree. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/sql_int.h"

#define ARENA_MAX ((size_t)256 << 20)

static void check_expr(const struct ast_expr *e, uint32_t lo, uint32_t hi)
{
	unsigned h = 0;

	if (!e || e->pos > e->end || e->pos < lo || e->end > hi)
		abort();
	if (e->arg_count && !e->args)
		abort();
	for (size_t i = 0; i < e->arg_count; i++) {
		check_expr(e->args[i], e->pos, e->end);
		h = e->args[i]->height > h ? e->args[i]->height : h;
	}
	if (e->operand) {
		check_expr(e->operand, e->pos, e->end);
		h = e->operand->height > h ? e->operand->height : h;
	}
	if (e->else_expr) {
		check_expr(e->else_expr, e->pos, e->end);
		h = e->else_expr->height > h ? e->else_expr->height : h;
	}
	if (e->height != h + 1 || e->height > SQL_MAX_DEPTH)
		abort();
	switch (e->kind) {
	case AST_COLUMN:
		if (!e->name || !*e->name)
			abort();
		break;
	case AST_CALL:
		if (!e->name || e->arg_count == 0)
			abort();
		break;
	case AST_NEG:
	case AST_NOT:
	case AST_IS_NULL:
		if (e->arg_count != 1)
			abort();
		break;
	case AST_ARITH:
	case AST_COMPARE:
	case AST_AND:
	case AST_OR:
	case AST_LIKE:
		if (e->arg_count != 2)
			abort();
		break;
	case AST_BETWEEN:
		if (e->arg_count != 3)
			abort();
		break;
	case AST_IN:
		if (e->arg_count < 2)
			abort();
		break;
	case AST_CASE:
		if (e->arg_count < 2 || e->arg_count % 2)
			abort();
		break;
	default:
		if (e->arg_count)
			abort();
		break;
	}
}

static bool same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static bool same(const struct ast_expr *a, const struct ast_expr *b)
{
	if (!a || !b)
		return a == b;
	if (a->kind != b->kind || a->op != b->op || a->negated != b->negated ||
	    a->distinct != b->distinct || a->i != b->i || a->date != b->date || a->b != b->b ||
	    memcmp(&a->f, &b->f, sizeof(a->f)) || a->s.len != b->s.len ||
	    (a->s.len && memcmp(a->s.ptr, b->s.ptr, a->s.len)) || !same_str(a->name, b->name) ||
	    !same_str(a->qualifier, b->qualifier) || a->arg_count != b->arg_count ||
	    a->height != b->height)
		return false;
	for (size_t i = 0; i < a->arg_count; i++)
		if (!same(a->args[i], b->args[i]))
			return false;
	return same(a->operand, b->operand) && same(a->else_expr, b->else_expr);
}

/* The text of e, as the only item of a query, must parse to e. */
static void check_text(const char *sql, const struct ast_expr *e, struct dcr_arena *arena)
{
	size_t n = e->end - e->pos;
	char *again = malloc(n + 16);
	struct ast_select *s;
	struct dcr_msg msg;

	if (!again)
		abort();
	memcpy(again, "SELECT ", 7);
	memcpy(again + 7, sql + e->pos, n);
	memcpy(again + 7 + n, " FROM t", 7);
	if (sql_parse(again, n + 14, arena, &s, &msg) != DCR_OK) {
		fprintf(stderr, "%.*s: %s\n", (int)(n + 14), again, msg.text);
		abort();
	}
	if (s->item_count != 1 || !same(s->items[0].expr, e))
		abort();
	free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *sql = (const char *)data;
	struct ast_select *s = NULL;
	struct dcr_arena arena;
	struct dcr_msg msg;
	uint32_t len = (uint32_t)size;
	enum dcr_err err;

	dcr_arena_init(&arena, ARENA_MAX);
	err = sql_parse(size ? sql : "", size, &arena, &s, &msg);
	if (err != DCR_OK) {
		if (s || (err != DCR_ERR_SQL && err != DCR_ERR_NOMEM))
			abort();
		if (err == DCR_ERR_SQL && strncmp(msg.text, "line ", 5))
			abort(); /* every SQL error says where */
		goto out;
	}
	if (!s || s->item_count == 0 || s->table_count == 0 || s->limit < -1)
		abort();
	for (size_t i = 0; i < s->item_count; i++) {
		const struct ast_item *it = &s->items[i];

		if (it->star != !it->expr || (it->star_qualifier && !it->star) || it->pos >= len)
			abort();
		if (it->expr) {
			check_expr(it->expr, 0, len);
			if (it->expr->kind != AST_STAR)
				check_text(sql, it->expr, &arena);
		}
	}
	for (size_t i = 0; i < s->table_count; i++) {
		const struct ast_table *t = &s->tables[i];

		if (!t->name || (i == 0) != (t->join == DCR_JOIN_NONE) || (i > 0) != !!t->on)
			abort();
		if (t->on)
			check_expr(t->on, 0, len);
	}
	if (s->where)
		check_expr(s->where, 0, len);
	if (s->having)
		check_expr(s->having, 0, len);
	for (size_t i = 0; i < s->group_count; i++)
		check_expr(s->group[i], 0, len);
	for (size_t i = 0; i < s->order_count; i++)
		check_expr(s->order[i].expr, 0, len);
out:
	dcr_arena_free(&arena);
	return 0;
}
