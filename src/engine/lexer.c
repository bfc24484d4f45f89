/* SPDX-License-Identifier: Apache-2.0 */
/* The SQL lexer: text -> tokens (docs/SQL.md). Constructs of other dialects
 * that cannot be a token here (||, ::, $1, backquotes ...) are named in the
 * error, so that a user knows it is the dialect, not a typo. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sql_int.h"

static const struct {
	const char *name;
	bool reserved;
} keywords[] = {
	{"", false},
#define SQL_KW_ENTRY(n, r) {#n, r},
	SQL_KEYWORDS(SQL_KW_ENTRY)
#undef SQL_KW_ENTRY
};

const char *sql_kw_name(enum sql_kw kw)
{
	return keywords[kw].name;
}

bool sql_kw_reserved(enum sql_kw kw)
{
	return keywords[kw].reserved;
}

static enum sql_kw keyword(const char *s, size_t n)
{
	/* the longest keyword has 10 letters */
	if (n < 2 || n > 10)
		return SQL_KW_NONE;
	for (size_t k = 1; k < sizeof(keywords) / sizeof(keywords[0]); k++)
		if (strlen(keywords[k].name) == n && !strncasecmp(keywords[k].name, s, n))
			return (enum sql_kw)k;
	return SQL_KW_NONE;
}

void sql_lex_init(struct sql_lexer *lx, const char *sql, uint32_t len, struct dcr_arena *arena)
{
	memset(lx, 0, sizeof(*lx));
	lx->sql = sql;
	lx->len = len;
	lx->arena = arena;
	/* a UTF-8 byte order mark, as an editor may save a .sql file with */
	if (len >= 3 && !memcmp(sql, "\xef\xbb\xbf", 3))
		lx->at = 3;
}

static bool is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}


/* Makes the error token at pos and returns it (and it again on every call). */
static void fail(struct sql_lexer *lx, uint32_t pos, struct sql_token *out, const char *fmt,
                 ...) DCR_PRINTF(4, 5);

static void fail(struct sql_lexer *lx, uint32_t pos, struct sql_token *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(lx->msg, sizeof(lx->msg), fmt, ap);
	va_end(ap);
	memset(&lx->error, 0, sizeof(lx->error));
	lx->error.kind = SQL_TOK_ERROR;
	lx->error.pos = pos;
	lx->error.end = pos < lx->len ? pos + 1 : pos;
	lx->failed = true;
	*out = lx->error;
}

/* Skips blanks and comments; false (with the error token) for an
 * unterminated block comment. */
static bool skip_space(struct sql_lexer *lx, struct sql_token *out)
{
	const char *s = lx->sql;

	while (lx->at < lx->len) {
		char c = s[lx->at];

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
			lx->at++;
		} else if (c == '-' && lx->at + 1 < lx->len && s[lx->at + 1] == '-') {
			while (lx->at < lx->len && s[lx->at] != '\n')
				lx->at++;
		} else if (c == '/' && lx->at + 1 < lx->len && s[lx->at + 1] == '*') {
			/* block comments nest, as in PostgreSQL and DuckDB */
			uint32_t start = lx->at;
			size_t depth = 1;

			lx->at += 2;
			while (depth && lx->at < lx->len) {
				char here = s[lx->at];
				char next = lx->at + 1 < lx->len ? s[lx->at + 1] : 0;

				if (here == '*' && next == '/') {
					depth--;
					lx->at += 2;
				} else if (here == '/' && next == '*') {
					depth++;
					lx->at += 2;
				} else {
					lx->at++;
				}
			}
			if (depth) {
				fail(lx, start, out, "unterminated comment (/* without */)");
				return false;
			}
		} else {
			break;
		}
	}
	return true;
}

/* 'text' or "name" starting at lx->at, with doubled quotes inside. */
static enum dcr_err quoted(struct sql_lexer *lx, struct sql_token *out)
{
	const unsigned char *s = (const unsigned char *)lx->sql;
	char q = (char)s[lx->at];
	uint32_t start = lx->at, i = start + 1, n = 0;
	char *text;

	/* first pass: find the end and check the bytes */
	for (;;) {
		size_t len;

		if (i >= lx->len) {
			if (q == '\'')
				fail(lx, start, out,
				     "unterminated string (' without its closing ')");
			else
				fail(lx, start, out, "unterminated quoted identifier "
				     "(\" without its closing \")");
			return DCR_OK;
		}
		if (s[i] == (unsigned char)q) {
			if (i + 1 < lx->len && s[i + 1] == (unsigned char)q) {
				i += 2;
				n++;
				continue;
			}
			break;
		}
		if (s[i] == 0 && q == '"') {
			fail(lx, i, out, "a quoted identifier must not contain a NUL byte");
			return DCR_OK;
		}
		len = dcr_utf8_decode(s + i, lx->len - i, NULL);
		if (len == 0) {
			fail(lx, i, out, "invalid UTF-8 (byte 0x%02X) in a %s", s[i],
			     q == '\'' ? "string" : "quoted identifier");
			return DCR_OK;
		}
		i += (uint32_t)len;
		n += (uint32_t)len;
	}
	if (q == '"' && n == 0) {
		fail(lx, start, out, "empty quoted identifier (\"\")");
		return DCR_OK;
	}
	text = dcr_arena_alloc(lx->arena, (size_t)n + 1);
	if (!text)
		return DCR_ERR_NOMEM;
	n = 0;
	for (uint32_t j = start + 1; j < i; j++) {
		text[n++] = (char)s[j];
		if (s[j] == (unsigned char)q)
			j++;
	}
	out->kind = q == '\'' ? SQL_TOK_STRING : SQL_TOK_QUOTED;
	out->s = (struct dcr_str){text, n};
	lx->at = i + 1;
	out->end = lx->at;
	return DCR_OK;
}

static enum dcr_err number(struct sql_lexer *lx, struct sql_token *out)
{
	const char *s = lx->sql;
	uint32_t i = lx->at, start = lx->at;
	bool real = false;

	while (i < lx->len && is_digit(s[i]))
		i++;
	if (i < lx->len && s[i] == '.') {
		real = true;
		i++;
		while (i < lx->len && is_digit(s[i]))
			i++;
	}
	if (i < lx->len && (s[i] == 'e' || s[i] == 'E')) {
		uint32_t j = i + 1;

		if (j < lx->len && (s[j] == '+' || s[j] == '-'))
			j++;
		if (j < lx->len && is_digit(s[j])) {
			real = true;
			while (j < lx->len && is_digit(s[j]))
				j++;
			i = j;
		}
	}
	/* 12abc, 1e, 1.5.2, 1_000: one bad token rather than two good ones */
	if (i < lx->len && (is_alpha(s[i]) || (real && s[i] == '.'))) {
		uint32_t j = i;

		while (j < lx->len && (is_alpha(s[j]) || is_digit(s[j]) || s[j] == '.'))
			j++;
		fail(lx, start, out, "invalid number '%.*s'",
		     (int)(j - start > 40 ? 40 : j - start), s + start);
		return DCR_OK;
	}
	out->end = i;
	lx->at = i;
	out->kind = real ? SQL_TOK_FLOAT : SQL_TOK_INT;
	if (!real) {
		uint64_t u = 0;

		for (uint32_t j = start; j < i; j++) {
			unsigned d = (unsigned)(s[j] - '0');

			if (u > (UINT64_MAX - d) / 10) {
				out->big = true;
				break;
			}
			u = u * 10 + d;
		}
		out->u = u;
		if (!out->big) {
			out->f = (double)u;
			return DCR_OK;
		}
	}
	/* strtod wants a NUL: copy (numbers are short, but nothing says so) */
	char small[64], *text = small;
	size_t len = i - start;

	if (len >= sizeof(small)) {
		text = dcr_arena_strndup(lx->arena, s + start, len);
		if (!text)
			return DCR_ERR_NOMEM;
	} else {
		memcpy(small, s + start, len);
		small[len] = '\0';
	}
	out->f = strtod(text, NULL);
	return DCR_OK;
}

/* Characters of other dialects: say what they are. */
static void unexpected(struct sql_lexer *lx, struct sql_token *out)
{
	const unsigned char *s = (const unsigned char *)lx->sql;
	uint32_t at = lx->at;
	unsigned char c = s[at], next = at + 1 < lx->len ? s[at + 1] : 0;
	size_t len;

	switch (c) {
	case '|':
		if (next == '|')
			fail(lx, at, out, "|| (string concatenation) is not supported");
		else
			fail(lx, at, out, "| (bitwise or) is not supported");
		return;
	case ':':
		if (next == ':')
			fail(lx, at, out, ":: (type cast) is not supported");
		else
			fail(lx, at, out, ": (named parameters) is not supported");
		return;
	case '[':
	case ']':
		fail(lx, at, out, "%c (arrays and subscripts) is not supported", c);
		return;
	case '?':
		fail(lx, at, out, "? (query parameters) is not supported");
		return;
	case '$':
		fail(lx, at, out, "$ (query parameters) is not supported");
		return;
	case '@':
		fail(lx, at, out, "@ (variables) is not supported");
		return;
	case '`':
		fail(lx, at, out,
		     "` (backquoted identifiers) is not supported; use \"double quotes\"");
		return;
	case '%':
		fail(lx, at, out, "%% (modulo) is not supported");
		return;
	case '^':
		fail(lx, at, out, "^ (power) is not supported");
		return;
	case '&':
		fail(lx, at, out, "& (bitwise and) is not supported");
		return;
	case '~':
		fail(lx, at, out, "~ (regular expressions) is not supported");
		return;
	case '{':
	case '}':
		fail(lx, at, out, "%c (structs and maps) is not supported", c);
		return;
	case '=':
		fail(lx, at, out, "== is not supported; use =");
		return;
	}
	if (c >= 0x80) {
		len = dcr_utf8_decode(s + at, lx->len - at, NULL);
		if (len)
			fail(lx, at, out, "non-ASCII character '%.*s' outside a string or quoted "
			     "identifier", (int)len, (const char *)s + at);
		else
			fail(lx, at, out, "byte 0x%02X (not UTF-8) outside a string or quoted "
			     "identifier", c);
		return;
	}
	if (c < 0x20 || c == 0x7f)
		fail(lx, at, out, "unexpected control character 0x%02X", c);
	else
		fail(lx, at, out, "unexpected character '%c'", c);
}

static enum dcr_err lex(struct sql_lexer *lx, struct sql_token *out)
{
	const char *s = lx->sql;
	uint32_t at;
	char c, next;

	if (lx->failed) {
		*out = lx->error;
		return DCR_OK;
	}
	memset(out, 0, sizeof(*out));
	if (!skip_space(lx, out))
		return DCR_OK;
	at = lx->at;
	out->pos = at;
	out->end = at;
	if (at >= lx->len) {
		out->kind = SQL_TOK_END;
		return DCR_OK;
	}
	c = s[at];
	next = at + 1 < lx->len ? s[at + 1] : 0;
	if (is_alpha(c)) {
		uint32_t i = at + 1;

		while (i < lx->len && (is_alpha(s[i]) || is_digit(s[i])))
			i++;
		out->kind = SQL_TOK_WORD;
		out->kw = keyword(s + at, i - at);
		out->end = lx->at = i;
		return DCR_OK;
	}
	if (is_digit(c) || (c == '.' && is_digit(next)))
		return number(lx, out);
	if (c == '\'' || c == '"')
		return quoted(lx, out);

	enum sql_tok kind;
	uint32_t len = 1;

	switch (c) {
	case '(': kind = SQL_TOK_LPAREN; break;
	case ')': kind = SQL_TOK_RPAREN; break;
	case ',': kind = SQL_TOK_COMMA; break;
	case '.': kind = SQL_TOK_DOT; break;
	case ';': kind = SQL_TOK_SEMI; break;
	case '*': kind = SQL_TOK_STAR; break;
	case '+': kind = SQL_TOK_PLUS; break;
	case '-': kind = SQL_TOK_MINUS; break;
	case '/': kind = SQL_TOK_SLASH; break;
	case '=':
		if (next == '=') {
			unexpected(lx, out);
			return DCR_OK;
		}
		kind = SQL_TOK_EQ;
		break;
	case '<':
		kind = next == '=' ? SQL_TOK_LE : next == '>' ? SQL_TOK_NE : SQL_TOK_LT;
		len = kind == SQL_TOK_LT ? 1 : 2;
		break;
	case '>':
		kind = next == '=' ? SQL_TOK_GE : SQL_TOK_GT;
		len = kind == SQL_TOK_GE ? 2 : 1;
		break;
	case '!':
		if (next != '=') {
			fail(lx, at, out, "! is not supported; use NOT");
			return DCR_OK;
		}
		kind = SQL_TOK_NE;
		len = 2;
		break;
	default:
		unexpected(lx, out);
		return DCR_OK;
	}
	out->kind = kind;
	out->end = lx->at = at + len;
	return DCR_OK;
}

enum dcr_err sql_lex_next(struct sql_lexer *lx, struct sql_token *out)
{
	uint32_t at = lx->at;
	enum dcr_err err = lex(lx, out);

	if (err) /* from then on, an error token like any other */
		fail(lx, at, out, "out of memory");
	return err;
}
