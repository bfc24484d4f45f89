/* SPDX-License-Identifier: Apache-2.0 */
/* The SQL front end: lexer and parser, text -> syntax tree (AST). The
 * binder (bind.c) turns the AST into a struct dcr_bquery. */
#ifndef DCR_SQL_INT_H
#define DCR_SQL_INT_H

#include "engine_int.h"

#define SQL_MAX_LENGTH (1u << 20) /* bytes of SQL text */
#define SQL_MAX_DEPTH 256         /* nesting of expressions */
#define SQL_MAX_ITEMS 4096        /* select items, tables, IN list, ... */

enum ast_kind {
	AST_INT,      /* i (a literal that fits int64) */
	AST_FLOAT,    /* f (other numeric literals) */
	AST_STRING,   /* s ('it''s' already unescaped) */
	AST_DATE,     /* date (DATE 'YYYY-MM-DD', days since 1970-01-01) */
	AST_NULL,
	AST_BOOL,     /* b (TRUE, FALSE) */
	AST_COLUMN,   /* [qualifier.]name */
	AST_STAR,     /* the argument of COUNT(*) */
	AST_NEG,      /* -args[0]; unary + is dropped */
	AST_NOT,      /* NOT args[0] */
	AST_ARITH,    /* args[0] op args[1], op '+' '-' '*' '/' */
	AST_COMPARE,  /* args[0] op args[1], op enum dcr_cmp (<> and != are NE) */
	AST_AND,      /* args[0] AND args[1] */
	AST_OR,       /* args[0] OR args[1] */
	AST_IS_NULL,  /* args[0] IS [NOT] NULL */
	AST_IN,       /* args[0] [NOT] IN (args[1], ...) */
	AST_BETWEEN,  /* args[0] [NOT] BETWEEN args[1] AND args[2] */
	AST_LIKE,     /* args[0] [NOT] LIKE args[1] */
	AST_CASE,     /* CASE [operand] WHEN args[0] THEN args[1] ... [ELSE else_expr] END */
	AST_CALL,     /* name(args): count sum avg min max coalesce; star: COUNT(*) */
};

struct ast_expr {
	enum ast_kind kind;
	int op;
	bool negated;           /* NOT IN, NOT BETWEEN, NOT LIKE, IS NOT NULL */
	bool distinct;          /* CALL: COUNT(DISTINCT x) */
	uint32_t pos, end;      /* the expression's bytes in the SQL: [pos, end) */
	const char *name;       /* COLUMN: as written (quotes removed); CALL: lowercase */
	const char *qualifier;  /* COLUMN: the table or alias before '.', or NULL */
	int64_t i;
	double f;
	struct dcr_str s;
	int32_t date;
	bool b;
	struct ast_expr **args;
	size_t arg_count;
	struct ast_expr *operand;   /* CASE x WHEN ..., or NULL */
	struct ast_expr *else_expr; /* CASE ... ELSE e, or NULL */
};

struct ast_item {
	struct ast_expr *expr;      /* NULL for * and t.* */
	const char *alias;          /* AS alias, or NULL */
	const char *star_qualifier; /* t in t.*, NULL for * */
	bool star;
	uint32_t pos;
};

struct ast_table {
	const char *name;
	const char *alias;          /* or NULL */
	enum dcr_join_kind join;    /* NONE for the first */
	struct ast_expr *on;        /* JOIN's condition */
	uint32_t pos;
};

struct ast_order {
	struct ast_expr *expr;      /* an AST_INT here is an output position */
	bool desc;
};

struct ast_select {
	struct ast_item *items;
	size_t item_count;
	struct ast_table *tables;
	size_t table_count;
	struct ast_expr *where;
	struct ast_expr **group;    /* an AST_INT here is an output position */
	size_t group_count;
	struct ast_expr *having;
	struct ast_order *order;
	size_t order_count;
	int64_t limit;              /* -1: none */
};

/* Parses one SELECT (an optional trailing ';'). Everything is allocated in
 * arena. DCR_ERR_SQL with msg "line L, column C: ..." naming what is wrong
 * or which construct is outside the dialect (docs/SQL.md). */
enum dcr_err sql_parse(const char *sql, size_t len, struct dcr_arena *arena,
                       struct ast_select **out, struct dcr_msg *msg) DCR_WUR;

/* Line and column (1-based, columns in bytes) of byte offset pos. */
void sql_position(const char *sql, size_t len, uint32_t pos, unsigned *out_line,
                  unsigned *out_col);

#endif
