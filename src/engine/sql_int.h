/* SPDX-License-Identifier: Apache-2.0 */
/* The SQL front end: lexer and parser, text -> syntax tree (AST). The
 * binder (bind.c) turns the AST into a struct dcr_bquery. */
#ifndef DCR_SQL_INT_H
#define DCR_SQL_INT_H

#include "engine_int.h"

#define SQL_MAX_LENGTH (1u << 20) /* bytes of SQL text */
#define SQL_MAX_DEPTH 256         /* nesting of expressions; also the AST's height */
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
	uint32_t pos, end;      /* the expression's bytes in the SQL: [pos, end), with any
	                         * parentheses around it: the text to name it by */
	unsigned height;        /* 1 for a leaf; never over SQL_MAX_DEPTH, so walking the
	                         * tree recursively is safe */
	const char *name;       /* COLUMN: as written (quotes removed); CALL: lowercase */
	const char *qualifier;  /* COLUMN: the table or alias before '.', or NULL */
	int64_t i;
	double f;
	struct dcr_str s;
	int32_t date;
	bool b;
	struct ast_expr **args;     /* CALL: COUNT(*) has one AST_STAR */
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

/* ---- lexer (lexer.c), the parser's input --------------------------------- */

/* Words the parser looks for: X(name, reserved). A reserved word is never
 * taken as a column, table or alias unless written in double quotes. */
#define SQL_KEYWORDS(X)                                                                \
	X(ALL, 1) X(AND, 1) X(ANTI, 1) X(AS, 1) X(ASC, 1) X(ASOF, 1) X(BETWEEN, 1)     \
	X(BY, 1) X(CASE, 1) X(CAST, 0) X(COLLATE, 1) X(CROSS, 1) X(DATE, 0)            \
	X(DESC, 1) X(DISTINCT, 1) X(ELSE, 1) X(END, 1) X(ESCAPE, 0) X(EXCEPT, 1)       \
	X(FALSE, 1) X(FETCH, 1) X(FILTER, 0) X(FROM, 1) X(FULL, 1) X(GROUP, 1)         \
	X(HAVING, 1) X(ILIKE, 1) X(IN, 1) X(INNER, 1) X(INTERSECT, 1) X(IS, 1)         \
	X(JOIN, 1) X(LATERAL, 1) X(LEFT, 1) X(LIKE, 1) X(LIMIT, 1) X(NATURAL, 1)       \
	X(NOT, 1) X(NULL, 1) X(NULLS, 0) X(OFFSET, 1) X(ON, 1) X(OR, 1) X(ORDER, 1)    \
	X(OUTER, 1) X(OVER, 0) X(POSITIONAL, 1) X(QUALIFY, 1) X(RIGHT, 1)              \
	X(SELECT, 1) X(SEMI, 1) X(SIMILAR, 1) X(THEN, 1) X(TRUE, 1) X(UNION, 1)        \
	X(USING, 1) X(WHEN, 1) X(WHERE, 1) X(WINDOW, 1) X(WITH, 1)

enum sql_kw {
	SQL_KW_NONE,
#define SQL_KW_ENUM(name, reserved) SQL_KW_##name,
	SQL_KEYWORDS(SQL_KW_ENUM)
#undef SQL_KW_ENUM
};

enum sql_tok {
	SQL_TOK_END,     /* the end of the text */
	SQL_TOK_ERROR,   /* the text cannot be read here: sql_lexer.msg says why */
	SQL_TOK_WORD,    /* an identifier or keyword */
	SQL_TOK_QUOTED,  /* a "double-quoted identifier" */
	SQL_TOK_INT,     /* digits only */
	SQL_TOK_FLOAT,   /* with a '.' or an exponent */
	SQL_TOK_STRING,  /* 'text' */
	SQL_TOK_LPAREN, SQL_TOK_RPAREN, SQL_TOK_COMMA, SQL_TOK_DOT, SQL_TOK_SEMI,
	SQL_TOK_STAR, SQL_TOK_PLUS, SQL_TOK_MINUS, SQL_TOK_SLASH,
	SQL_TOK_EQ, SQL_TOK_NE, SQL_TOK_LT, SQL_TOK_LE, SQL_TOK_GT, SQL_TOK_GE,
};

struct sql_token {
	enum sql_tok kind;
	enum sql_kw kw;         /* WORD: which keyword, or SQL_KW_NONE */
	uint32_t pos, end;      /* its bytes in the text: [pos, end) */
	uint64_t u;             /* INT: the value, unless big */
	bool big;               /* INT: over UINT64_MAX */
	double f;               /* INT, FLOAT: the value as a double (may be inf) */
	struct dcr_str s;       /* STRING: the bytes, '' unescaped; QUOTED: the name,
	                         * "" unescaped, NUL-terminated; both in the arena */
};

struct sql_lexer {
	const char *sql;
	uint32_t len;
	uint32_t at;            /* next byte to read */
	struct dcr_arena *arena;
	bool failed;            /* error holds the first bad token, returned from then on */
	struct sql_token error;
	char msg[200];          /* why, without the position */
};

void sql_lex_init(struct sql_lexer *lx, const char *sql, uint32_t len, struct dcr_arena *arena);
/* The next token. DCR_ERR_NOMEM when the arena is full; text that cannot be
 * read is an SQL_TOK_ERROR token (and every later call returns it again). */
enum dcr_err sql_lex_next(struct sql_lexer *lx, struct sql_token *out) DCR_WUR;
/* "SELECT", ...; "" for SQL_KW_NONE. */
const char *sql_kw_name(enum sql_kw kw);
bool sql_kw_reserved(enum sql_kw kw);

/* Parses one SELECT (an optional trailing ';'). Everything is allocated in
 * arena (freeing it frees the tree, also after an error). DCR_ERR_SQL with
 * msg "line L, column C: ..." naming what is wrong or which construct is
 * outside the dialect (docs/SQL.md); DCR_ERR_NOMEM when the arena is full.
 * Nesting (parentheses, NOT and minus chains, CASE, calls, IN lists) and
 * the tree's height are capped at SQL_MAX_DEPTH: "nesting deeper than 256
 * levels". The deepest query takes about 128 KiB of stack. */
enum dcr_err sql_parse(const char *sql, size_t len, struct dcr_arena *arena,
                       struct ast_select **out, struct dcr_msg *msg) DCR_WUR;

/* Line and column (1-based, columns in bytes) of byte offset pos. */
void sql_position(const char *sql, size_t len, uint32_t pos, unsigned *out_line,
                  unsigned *out_col);

#endif
