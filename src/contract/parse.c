/* SPDX-License-Identifier: Apache-2.0 */
/* Contract parsing and validation: the JSON of docs/CONTRACT.md into a
 * struct dcr_contract, refusing anything else with a message naming the field
 * by its JSON path ("datasets[1].columns[2].bounds: ..."). */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "contract_int.h"

#define PATH_SIZE 160
#define SHOW_SIZE 72 /* a user's string quoted in a message, cut short */

static const char *const party_role_names[] = {"contributor", "analyst", "result-recipient"};
static const char *const col_type_names[] = {
	[DCR_COL_ID] = "id", [DCR_COL_STRING] = "string", [DCR_COL_INT] = "int",
	[DCR_COL_FLOAT] = "float", [DCR_COL_DATE] = "date",
};
static const char *const col_role_names[] = {
	[DCR_ROLE_ID] = "id", [DCR_ROLE_DIMENSION] = "dimension",
	[DCR_ROLE_METRIC] = "metric", [DCR_ROLE_HIDDEN] = "hidden",
};
static const char *const normalize_names[] = {
	[DCR_NORM_NONE] = "none", [DCR_NORM_EMAIL] = "email",
	[DCR_NORM_PHONE] = "phone", [DCR_NORM_HASHED] = "hashed",
};
static const char *const aggregate_names[] = {
	"count", "count_distinct", "sum", "avg", "min", "max", /* bit i = DCR_AGG_* */
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

const char *dcr_col_type_name(enum dcr_col_type t)
{
	return (unsigned)t < COUNT(col_type_names) ? col_type_names[t] : "unknown";
}

const char *dcr_col_role_name(enum dcr_col_role r)
{
	return (unsigned)r < COUNT(col_role_names) ? col_role_names[r] : "unknown";
}

const char *dcr_normalize_name(enum dcr_normalize n)
{
	return (unsigned)n < COUNT(normalize_names) ? normalize_names[n] : "unknown";
}

/* ---- messages ----------------------------------------------------------- */

/* s quoted for a message: control and non-ASCII bytes escaped (they could
 * drive a terminal), long strings cut. */
static const char *show(const char *s, char out[static SHOW_SIZE])
{
	size_t o = 0;

	out[o++] = '"';
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (o + 8 >= SHOW_SIZE) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (ch < 0x20 || ch >= 0x7f) {
			o += (size_t)snprintf(out + o, SHOW_SIZE - o, "\\x%02x", ch);
		} else {
			if (ch == '"' || ch == '\\')
				out[o++] = '\\';
			out[o++] = (char)ch;
		}
	}
	out[o++] = '"';
	out[o] = '\0';
	return out;
}

/* "path: text"; returns DCR_ERR_INVALID. */
static enum dcr_err bad(struct dcr_msg *msg, const char *path, const char *fmt, ...)
	DCR_PRINTF(3, 4);
static enum dcr_err bad(struct dcr_msg *msg, const char *path, const char *fmt, ...)
{
	char text[DCR_MSG_SIZE];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	dcr_msg_set(msg, "%s: %s", path, text);
	return DCR_ERR_INVALID;
}

/* A message path; paths are cut at PATH_SIZE, which no valid contract reaches. */
static void pathf(char out[static PATH_SIZE], const char *fmt, ...) DCR_PRINTF(2, 3);
static void pathf(char out[static PATH_SIZE], const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out, PATH_SIZE, fmt, ap);
	va_end(ap);
}

static void join_path(char out[static PATH_SIZE], const char *base, const char *key)
{
	if (base && *base)
		pathf(out, "%s.%s", base, key);
	else
		pathf(out, "%s", key);
}

/* A JSON number as text, for messages. */
static const char *num_text(double d, char out[static CONTRACT_NUMBER_SIZE])
{
	contract_number_format(d, out);
	return out;
}

/* ---- typed field access -------------------------------------------------- */

/* Refuses members of obj not in allowed (NULL-terminated). */
static enum dcr_err only_fields(const json_t *obj, const char *const *allowed, const char *where,
                                struct dcr_msg *msg)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)obj, key, v) {
		char q[SHOW_SIZE], list[256] = "";
		size_t i, n = 0;
		bool known = false;

		for (i = 0; allowed[i]; i++)
			known |= !strcmp(key, allowed[i]);
		if (known)
			continue;
		for (i = 0; allowed[i]; i++)
			n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s", i ? ", " : "",
			                      allowed[i]);
		if (where)
			dcr_msg_set(msg, "unknown field %s in %s (allowed: %s)", show(key, q),
			            where, list);
		else
			dcr_msg_set(msg, "unknown field %s at the top level (allowed: %s)",
			            show(key, q), list);
		return DCR_ERR_INVALID;
	}
	return DCR_OK;
}

/* obj.key, which must be present when required; *out is NULL when absent. */
static enum dcr_err member(const json_t *obj, const char *base, const char *key, bool required,
                           json_t **out, struct dcr_msg *msg)
{
	char path[PATH_SIZE];

	*out = json_object_get(obj, key);
	if (!*out && required) {
		join_path(path, base, key);
		return bad(msg, path, "required field missing");
	}
	return DCR_OK;
}

static enum dcr_err string_value(const json_t *v, const char *path, size_t max, const char **out,
                                 size_t *out_len, struct dcr_msg *msg)
{
	*out = NULL;
	if (out_len)
		*out_len = 0;
	if (!json_is_string(v))
		return bad(msg, path, "must be a string");
	if (json_string_length(v) > max)
		return bad(msg, path, "longer than the limit of %zu bytes", max);
	if (json_string_length(v) == 0)
		return bad(msg, path, "must not be empty");
	*out = json_string_value(v);
	if (out_len)
		*out_len = json_string_length(v);
	return DCR_OK;
}

/* obj.key as a non-empty string of at most DCR_CONTRACT_MAX_STRING bytes;
 * *out is NULL when it is absent and not required. */
static enum dcr_err string_field(const json_t *obj, const char *base, const char *key,
                                 bool required, const char **out, size_t *out_len,
                                 struct dcr_msg *msg)
{
	char path[PATH_SIZE];
	enum dcr_err err;
	json_t *v;

	*out = NULL;
	if (out_len)
		*out_len = 0;
	err = member(obj, base, key, required, &v, msg);
	if (err || !v)
		return err;
	join_path(path, base, key);
	return string_value(v, path, DCR_CONTRACT_MAX_STRING, out, out_len, msg);
}

/* A JSON integer (not a real, even 25.0) between min and CONTRACT_INT_MAX. */
static enum dcr_err int_field(const json_t *obj, const char *base, const char *key,
                              int64_t min, int64_t *out, struct dcr_msg *msg)
{
	char path[PATH_SIZE];
	enum dcr_err err;
	json_int_t i;
	json_t *v;

	*out = 0;
	err = member(obj, base, key, true, &v, msg);
	if (err)
		return err;
	join_path(path, base, key);
	if (!json_is_integer(v))
		return bad(msg, path, "must be an integer (written without a '.' or exponent)");
	i = json_integer_value(v);
	if (i < min)
		return bad(msg, path, "must be at least %lld, not %lld", (long long)min,
		           (long long)i);
	if (i > CONTRACT_INT_MAX)
		return bad(msg, path, "must be at most 2^53 = %lld", CONTRACT_INT_MAX);
	*out = i;
	return DCR_OK;
}

/* A JSON number, integer or real; integers beyond 2^53 are refused so that
 * every number is exactly the double the canonical form writes. */
static enum dcr_err number_value(const json_t *v, const char *path, double *out,
                                 struct dcr_msg *msg)
{
	*out = 0;
	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);

		if (i > CONTRACT_INT_MAX || i < -CONTRACT_INT_MAX)
			return bad(msg, path, "%lld is beyond 2^53 in magnitude", (long long)i);
		*out = (double)i;
		return DCR_OK;
	}
	if (!json_is_real(v))
		return bad(msg, path, "must be a number");
	*out = json_real_value(v);
	if (!isfinite(*out)) /* jansson never parses one; belt and braces */
		return bad(msg, path, "must be a finite number");
	return DCR_OK;
}

static enum dcr_err number_field(const json_t *obj, const char *base, const char *key,
                                 double *out, struct dcr_msg *msg)
{
	char path[PATH_SIZE];
	enum dcr_err err;
	json_t *v;

	*out = 0;
	err = member(obj, base, key, true, &v, msg);
	if (err)
		return err;
	join_path(path, base, key);
	return number_value(v, path, out, msg);
}

/* obj.key as an array of 1..max elements; *out NULL when absent and optional. */
static enum dcr_err array_field(const json_t *obj, const char *base, const char *key,
                                bool required, size_t max, json_t **out, struct dcr_msg *msg)
{
	char path[PATH_SIZE];
	enum dcr_err err;

	err = member(obj, base, key, required, out, msg);
	if (err || !*out)
		return err;
	join_path(path, base, key);
	if (!json_is_array(*out))
		return bad(msg, path, "must be an array");
	if (json_array_size(*out) == 0)
		return bad(msg, path, "must not be empty");
	if (json_array_size(*out) > max)
		return bad(msg, path, "more than the limit of %zu elements", max);
	return DCR_OK;
}

static enum dcr_err object_field(const json_t *obj, const char *base, const char *key,
                                 bool required, json_t **out, struct dcr_msg *msg)
{
	char path[PATH_SIZE];
	enum dcr_err err;

	err = member(obj, base, key, required, out, msg);
	if (err || !*out)
		return err;
	join_path(path, base, key);
	if (!json_is_object(*out))
		return bad(msg, path, "must be an object");
	return DCR_OK;
}

/* Index of s in names (n of them), or -1. */
static int lookup(const char *s, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (names[i] && !strcmp(s, names[i]))
			return (int)i;
	return -1;
}

static void list_names(const char *const *names, size_t n, char *out, size_t size)
{
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n && o < size; i++)
		o += (size_t)snprintf(out + o, size - o, "%s%s", i ? ", " : "", names[i]);
}

/* s is an element of names (n), else an error naming the known ones. */
static enum dcr_err name_value(const char *s, const char *path, const char *what,
                               const char *const *names, size_t n, int *out,
                               struct dcr_msg *msg)
{
	char q[SHOW_SIZE], list[160];

	*out = lookup(s, names, n);
	if (*out >= 0)
		return DCR_OK;
	list_names(names, n, list, sizeof(list));
	return bad(msg, path, "unknown %s %s (known: %s)", what, show(s, q), list);
}

/* ---- names ------------------------------------------------------------- */

/* [A-Za-z_][A-Za-z0-9_]{0,62}: usable in SQL without quoting. */
static bool is_identifier(const char *s)
{
	size_t n = 0;

	if (!(isalpha((unsigned char)s[0]) && isascii((unsigned char)s[0])) && s[0] != '_')
		return false;
	for (; s[n]; n++)
		if (!isascii((unsigned char)s[n]) || !(isalnum((unsigned char)s[n]) || s[n] == '_'))
			return false;
	return n <= 63;
}

/* Letters, digits and extra, 1..64 characters. */
static bool is_name(const char *s, const char *extra)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (!isascii((unsigned char)s[n]) ||
		    !(isalnum((unsigned char)s[n]) || strchr(extra, s[n])))
			return false;
	return n >= 1 && n <= 64;
}

static enum dcr_err identifier_field(const json_t *obj, const char *base, const char *what,
                                     const char **out, struct dcr_msg *msg)
{
	char path[PATH_SIZE], q[SHOW_SIZE];
	enum dcr_err err = string_field(obj, base, "name", true, out, NULL, msg);

	if (err)
		return err;
	if (!is_identifier(*out)) {
		join_path(path, base, "name");
		return bad(msg, path,
		           "%s is not a valid %s name: 1 to 63 letters, digits and '_', not "
		           "starting with a digit",
		           show(*out, q), what);
	}
	return DCR_OK;
}

static enum dcr_err dup_string(const char *s, char **out)
{
	*out = strdup(s);
	return *out ? DCR_OK : DCR_ERR_NOMEM;
}

/* ---- the parts ------------------------------------------------------------ */

static enum dcr_err parse_roles(struct dcr_party *p, const json_t *obj, const char *base,
                                struct dcr_msg *msg)
{
	char path[PATH_SIZE], q[SHOW_SIZE];
	enum dcr_err err;
	const char *s;
	json_t *arr, *v;
	size_t i;
	int r;

	err = array_field(obj, base, "roles", true, DCR_CONTRACT_MAX_STRING, &arr, msg);
	if (err)
		return err;
	json_array_foreach(arr, i, v) {
		pathf(path, "%s.roles[%zu]", base, i);
		err = string_value(v, path, DCR_CONTRACT_MAX_STRING, &s, NULL, msg);
		if (!err)
			err = name_value(s, path, "role", party_role_names, COUNT(party_role_names),
			                 &r, msg);
		if (err)
			return err;
		if (p->roles & (1u << r))
			return bad(msg, path, "duplicate role %s", show(s, q));
		p->roles |= 1u << r;
	}
	return DCR_OK;
}

static enum dcr_err parse_party(struct dcr_contract *c, size_t idx, const json_t *obj,
                                struct dcr_msg *msg)
{
	static const char *const fields[] = {"name", "public_key", "roles", NULL};
	struct dcr_party *p = &c->parties[idx];
	char base[PATH_SIZE], path[PATH_SIZE], q[SHOW_SIZE], q2[SHOW_SIZE];
	enum dcr_err err;
	const char *s;
	size_t len;

	pathf(base, "parties[%zu]", idx);
	if (!json_is_object(obj))
		return bad(msg, base, "must be an object");
	err = only_fields(obj, fields, base, msg);
	if (err)
		return err;

	err = string_field(obj, base, "name", true, &s, NULL, msg);
	if (err)
		return err;
	pathf(path, "%s.name", base);
	if (!is_name(s, "_.-") || s[0] == '.')
		return bad(msg, path,
		           "%s is not a valid party name: 1 to 64 letters, digits, '_', '.' and "
		           "'-', not starting with '.'",
		           show(s, q));
	for (size_t j = 0; j < idx; j++)
		if (!strcasecmp(c->parties[j].name, s))
			return bad(msg, path,
			           "duplicate party name %s (parties[%zu] is %s; names are "
			           "compared without regard to case)",
			           show(s, q), j, show(c->parties[j].name, q2));
	err = dup_string(s, &p->name);
	if (err)
		return err;

	err = string_field(obj, base, "public_key", true, &s, &len, msg);
	if (err)
		return err;
	pathf(path, "%s.public_key", base);
	err = dcr_pubkey_parse(s, len, &p->key, msg);
	if (err) {
		dcr_msg_prefix(msg, "%s: ", path);
		return DCR_ERR_INVALID;
	}
	for (size_t j = 0; j < idx; j++) {
		const struct dcr_pubkey *o = &c->parties[j].key;

		/* either half shared would let one party act as another */
		if (!memcmp(o->sign, p->key.sign, sizeof(o->sign)) ||
		    !memcmp(o->box, p->key.box, sizeof(o->box)))
			return bad(msg, path,
			           "the same key as party %s (parties[%zu]); each party needs its "
			           "own key",
			           show(c->parties[j].name, q), j);
	}
	return parse_roles(p, obj, base, msg);
}

static enum dcr_err parse_parties(struct dcr_contract *c, const json_t *root,
                                  struct dcr_msg *msg)
{
	enum dcr_err err;
	json_t *arr, *v;
	size_t i;

	err = array_field(root, NULL, "parties", true, DCR_CONTRACT_MAX_PARTIES, &arr, msg);
	if (err)
		return err;
	c->parties = calloc(json_array_size(arr), sizeof(*c->parties));
	if (!c->parties)
		return DCR_ERR_NOMEM;
	c->party_count = json_array_size(arr);
	json_array_foreach(arr, i, v) {
		err = parse_party(c, i, v, msg);
		if (err)
			return err;
	}
	return DCR_OK;
}

/* Exact name match, or -1. */
static int find_party_exact(const struct dcr_contract *c, const char *name)
{
	for (size_t i = 0; i < c->party_count; i++)
		if (!strcmp(c->parties[i].name, name))
			return (int)i;
	return -1;
}

/* "no party named X", with a hint when only the case differs. */
static enum dcr_err no_such_party(const struct dcr_contract *c, const char *path,
                                  const char *name, struct dcr_msg *msg)
{
	const struct dcr_party *p = dcr_contract_party(c, name);
	char q[SHOW_SIZE], q2[SHOW_SIZE];

	if (p)
		return bad(msg, path, "no party named %s (names must match exactly here: did you "
		                      "mean %s?)",
		           show(name, q), show(p->name, q2));
	return bad(msg, path, "no party named %s", show(name, q));
}

static enum dcr_err parse_bounds(struct dcr_contract_column *col, const json_t *v, const char *path,
                                 struct dcr_msg *msg)
{
	char a[CONTRACT_NUMBER_SIZE], b[CONTRACT_NUMBER_SIZE];
	enum dcr_err err;

	if (!json_is_array(v) || json_array_size(v) != 2)
		return bad(msg, path, "must be [lo, hi], two numbers");
	err = number_value(json_array_get(v, 0), path, &col->lo, msg);
	if (!err)
		err = number_value(json_array_get(v, 1), path, &col->hi, msg);
	if (err)
		return err;
	for (int i = 0; i < 2; i++) {
		double x = i ? col->hi : col->lo;

		/* (no libm: the library links without it) */
		if (x > (double)CONTRACT_INT_MAX || x < -(double)CONTRACT_INT_MAX)
			return bad(msg, path, "%s is beyond 2^53 in magnitude", num_text(x, a));
		/* SUM of an int column is an int: clamping must not make fractions */
		if (col->type == DCR_COL_INT && x != (double)(long long)x)
			return bad(msg, path, "the bounds of an int column must be whole numbers, "
			                      "not %s",
			           num_text(x, a));
	}
	if (col->lo > col->hi)
		return bad(msg, path, "lo (%s) is greater than hi (%s)", num_text(col->lo, a),
		           num_text(col->hi, b));
	col->has_bounds = true;
	return DCR_OK;
}

static enum dcr_err parse_column(struct dcr_dataset *ds, size_t idx, const char *ds_base,
                                 const json_t *obj, struct dcr_msg *msg)
{
	static const char *const fields[] = {"name", "type", "role", "normalize", "bounds", NULL};
	struct dcr_contract_column *col = &ds->columns[idx];
	char base[PATH_SIZE], path[PATH_SIZE], q[SHOW_SIZE], q2[SHOW_SIZE];
	const char *name, *type_s, *role_s, *norm_s;
	enum dcr_err err;
	json_t *bounds;
	int v;

	pathf(base, "%s.columns[%zu]", ds_base, idx);
	if (!json_is_object(obj))
		return bad(msg, base, "must be an object");
	err = only_fields(obj, fields, base, msg);
	if (!err)
		err = identifier_field(obj, base, "column", &name, msg);
	if (err)
		return err;
	pathf(path, "%s.name", base);
	for (size_t j = 0; j < idx; j++)
		if (!strcasecmp(ds->columns[j].name, name))
			return bad(msg, path,
			           "duplicate column name %s in dataset %s (columns[%zu] is %s; "
			           "names are compared without regard to case)",
			           show(name, q), ds->name, j, show(ds->columns[j].name, q2));
	err = dup_string(name, &col->name);
	if (!err)
		err = string_field(obj, base, "type", true, &type_s, NULL, msg);
	if (!err)
		err = string_field(obj, base, "role", false, &role_s, NULL, msg);
	if (!err)
		err = string_field(obj, base, "normalize", false, &norm_s, NULL, msg);
	if (err)
		return err;
	bounds = json_object_get(obj, "bounds");

	pathf(path, "%s.type", base);
	err = name_value(type_s, path, "type", col_type_names, COUNT(col_type_names), &v, msg);
	if (err)
		return err;
	col->type = (enum dcr_col_type)v;

	pathf(path, "%s.role", base);
	if (role_s) {
		err = name_value(role_s, path, "role", col_role_names, COUNT(col_role_names), &v,
		                 msg);
		if (err)
			return err;
		col->role = (enum dcr_col_role)v;
	}
	if (col->type == DCR_COL_ID) {
		if (role_s && col->role != DCR_ROLE_ID)
			return bad(msg, path, "a column of type \"id\" has role \"id\" (or none), "
			                      "not %s",
			           show(role_s, q));
		col->role = DCR_ROLE_ID;
		pathf(path, "%s.normalize", base);
		if (!norm_s)
			return bad(msg, path, "required for an id column: email, phone, none or "
			                      "hashed");
		err = name_value(norm_s, path, "normalization", normalize_names,
		                 COUNT(normalize_names), &v, msg);
		if (err)
			return err;
		col->normalize = (enum dcr_normalize)v;
	} else {
		if (!role_s)
			return bad(msg, path, "required for a column of type %s: dimension, metric "
			                      "or hidden",
			           col_type_names[col->type]);
		if (col->role == DCR_ROLE_ID)
			return bad(msg, path, "only a column of type \"id\" can have role \"id\"");
		if (col->role == DCR_ROLE_METRIC && col->type != DCR_COL_INT &&
		    col->type != DCR_COL_FLOAT)
			return bad(msg, path,
			           "a metric column must be of type int or float, not %s",
			           col_type_names[col->type]);
		pathf(path, "%s.normalize", base);
		if (norm_s)
			return bad(msg, path, "only id columns are normalized");
	}

	pathf(path, "%s.bounds", base);
	if (col->role == DCR_ROLE_METRIC) {
		if (!bounds)
			return bad(msg, path, "required for a metric column: [lo, hi], the range "
			                      "values are clamped to");
		return parse_bounds(col, bounds, path, msg);
	}
	if (bounds)
		return bad(msg, path, "only metric columns have bounds");
	return DCR_OK;
}

static enum dcr_err parse_dataset(struct dcr_contract *c, size_t idx, const json_t *obj,
                                  struct dcr_msg *msg)
{
	static const char *const fields[] = {"name", "owner", "columns", NULL};
	struct dcr_dataset *ds = &c->datasets[idx];
	char base[PATH_SIZE], path[PATH_SIZE], q[SHOW_SIZE], q2[SHOW_SIZE];
	const char *name, *owner;
	bool have_id = false;
	enum dcr_err err;
	json_t *arr, *v;
	size_t i;
	int p;

	pathf(base, "datasets[%zu]", idx);
	if (!json_is_object(obj))
		return bad(msg, base, "must be an object");
	err = only_fields(obj, fields, base, msg);
	if (!err)
		err = identifier_field(obj, base, "dataset", &name, msg);
	if (err)
		return err;
	pathf(path, "%s.name", base);
	for (size_t j = 0; j < idx; j++)
		if (!strcasecmp(c->datasets[j].name, name))
			return bad(msg, path,
			           "duplicate dataset name %s (datasets[%zu] is %s; names are "
			           "compared without regard to case)",
			           show(name, q), j, show(c->datasets[j].name, q2));
	err = dup_string(name, &ds->name);
	if (!err)
		err = string_field(obj, base, "owner", true, &owner, NULL, msg);
	if (err)
		return err;
	pathf(path, "%s.owner", base);
	p = find_party_exact(c, owner);
	if (p < 0)
		return no_such_party(c, path, owner, msg);
	if (!(c->parties[p].roles & DCR_PARTY_CONTRIBUTOR))
		return bad(msg, path, "party %s is not a contributor; only a contributor owns "
		                      "a dataset",
		           show(owner, q));
	ds->owner = (size_t)p;

	err = array_field(obj, base, "columns", true, DCR_CONTRACT_MAX_COLUMNS, &arr, msg);
	if (err)
		return err;
	ds->columns = calloc(json_array_size(arr), sizeof(*ds->columns));
	if (!ds->columns)
		return DCR_ERR_NOMEM;
	ds->column_count = json_array_size(arr);
	json_array_foreach(arr, i, v) {
		err = parse_column(ds, i, base, v, msg);
		if (err)
			return err;
		if (ds->columns[i].type != DCR_COL_ID)
			continue;
		if (have_id) {
			pathf(path, "%s.columns[%zu]", base, i);
			return bad(msg, path,
			           "a second id column in dataset %s (the first is %s); a dataset "
			           "has exactly one",
			           ds->name, show(ds->columns[ds->id_column].name, q));
		}
		have_id = true;
		ds->id_column = i;
	}
	if (!have_id) {
		pathf(path, "%s.columns", base);
		return bad(msg, path,
		           "dataset %s has no id column; every dataset has exactly one (type "
		           "\"id\")",
		           ds->name);
	}
	return DCR_OK;
}

static enum dcr_err parse_datasets(struct dcr_contract *c, const json_t *root,
                                   struct dcr_msg *msg)
{
	enum dcr_err err;
	json_t *arr, *v;
	size_t i;

	err = array_field(root, NULL, "datasets", true, DCR_CONTRACT_MAX_DATASETS, &arr, msg);
	if (err)
		return err;
	c->datasets = calloc(json_array_size(arr), sizeof(*c->datasets));
	if (!c->datasets)
		return DCR_ERR_NOMEM;
	c->dataset_count = json_array_size(arr);
	json_array_foreach(arr, i, v) {
		err = parse_dataset(c, i, v, msg);
		if (err)
			return err;
	}
	return DCR_OK;
}

/* "dataset.column" -> the id column it names. */
static enum dcr_err resolve_join_side(const struct dcr_contract *c, const char *s,
                                      const char *path, size_t *out_ds, size_t *out_col,
                                      struct dcr_msg *msg)
{
	char q[SHOW_SIZE], ds_name[SHOW_SIZE];
	const char *dot = strchr(s, '.');
	const struct dcr_dataset *ds = NULL;
	size_t n = dot ? (size_t)(dot - s) : 0;

	if (!dot || n == 0 || strchr(dot + 1, '.') || !dot[1])
		return bad(msg, path, "%s is not of the form dataset.column", show(s, q));
	for (size_t i = 0; i < c->dataset_count; i++) {
		if (strlen(c->datasets[i].name) == n && !strncasecmp(c->datasets[i].name, s, n)) {
			ds = &c->datasets[i];
			*out_ds = i;
		}
	}
	if (!ds) {
		snprintf(ds_name, sizeof(ds_name), "%.*s", (int)(n < 64 ? n : 64), s);
		return bad(msg, path, "no dataset named %s", show(ds_name, q));
	}
	for (size_t j = 0; j < ds->column_count; j++) {
		if (strcasecmp(ds->columns[j].name, dot + 1))
			continue;
		if (ds->columns[j].type != DCR_COL_ID)
			return bad(msg, path, "%s is not an id column; joins pair id columns", s);
		*out_col = j;
		return DCR_OK;
	}
	return bad(msg, path, "dataset %s has no column %s", ds->name, show(dot + 1, q));
}

static enum dcr_err parse_joins(struct dcr_contract *c, const json_t *rules,
                                struct dcr_msg *msg)
{
	char path[PATH_SIZE];
	enum dcr_err err;
	json_t *arr, *v;
	size_t i;

	/* An empty list is as good as none: unlike the other arrays, allowed. */
	arr = json_object_get(rules, "joins");
	if (arr && json_is_array(arr) && json_array_size(arr) == 0)
		return DCR_OK;
	err = array_field(rules, "rules", "joins", false, DCR_CONTRACT_MAX_JOINS, &arr, msg);
	if (err || !arr)
		return err;
	c->joins = calloc(json_array_size(arr), sizeof(*c->joins));
	if (!c->joins)
		return DCR_ERR_NOMEM;
	json_array_foreach(arr, i, v) {
		struct dcr_contract_join *j = &c->joins[i];
		const json_t *l = json_array_get(v, 0), *r = json_array_get(v, 1);

		pathf(path, "rules.joins[%zu]", i);
		if (!json_is_array(v) || json_array_size(v) != 2 || !json_is_string(l) ||
		    !json_is_string(r) || json_string_length(l) > DCR_CONTRACT_MAX_STRING ||
		    json_string_length(r) > DCR_CONTRACT_MAX_STRING)
			return bad(msg, path, "must be a pair [\"dataset.column\", "
			                      "\"dataset.column\"]");
		err = resolve_join_side(c, json_string_value(l), path, &j->left_dataset,
		                        &j->left_column, msg);
		if (!err)
			err = resolve_join_side(c, json_string_value(r), path, &j->right_dataset,
			                        &j->right_column, msg);
		if (err)
			return err;
		if (j->left_dataset == j->right_dataset)
			return bad(msg, path, "both sides are in dataset %s; a join pairs two "
			                      "datasets",
			           c->datasets[j->left_dataset].name);
		for (size_t k = 0; k < i; k++) {
			const struct dcr_contract_join *o = &c->joins[k];

			/* a dataset has one id column, so the datasets identify the pair */
			if ((o->left_dataset == j->left_dataset &&
			     o->right_dataset == j->right_dataset) ||
			    (o->left_dataset == j->right_dataset &&
			     o->right_dataset == j->left_dataset))
				return bad(msg, path, "the same pair as rules.joins[%zu]", k);
		}
		c->join_count = i + 1;
	}
	return DCR_OK;
}

static enum dcr_err parse_aggregates(struct dcr_contract *c, const json_t *rules,
                                     struct dcr_msg *msg)
{
	char path[PATH_SIZE], q[SHOW_SIZE];
	enum dcr_err err;
	const char *s;
	json_t *arr, *v;
	size_t i;
	int a;

	err = array_field(rules, "rules", "aggregates", true, DCR_CONTRACT_MAX_STRING, &arr, msg);
	if (err)
		return err;
	json_array_foreach(arr, i, v) {
		pathf(path, "rules.aggregates[%zu]", i);
		err = string_value(v, path, DCR_CONTRACT_MAX_STRING, &s, NULL, msg);
		if (!err)
			err = name_value(s, path, "aggregate", aggregate_names,
			                 COUNT(aggregate_names), &a, msg);
		if (err)
			return err;
		if (c->aggregates & (1u << a))
			return bad(msg, path, "duplicate aggregate %s", show(s, q));
		c->aggregates |= 1u << a;
	}
	return DCR_OK;
}

static enum dcr_err parse_dp(struct dcr_contract *c, const json_t *rules, struct dcr_msg *msg)
{
	static const char *const fields[] = {"epsilon_per_analyst", "epsilon_per_query", "delta",
	                                     "max_rows_per_id", "mechanism", NULL};
	const char *mech;
	char a[CONTRACT_NUMBER_SIZE], b[CONTRACT_NUMBER_SIZE];
	struct dcr_dp *dp = &c->dp;
	enum dcr_err err;
	json_t *obj;

	err = object_field(rules, "rules", "dp", false, &obj, msg);
	if (err || !obj)
		return err;
	err = only_fields(obj, fields, "rules.dp", msg);
	if (!err)
		err = number_field(obj, "rules.dp", "epsilon_per_analyst", &dp->epsilon_per_analyst,
		                   msg);
	if (err)
		return err;
	if (!(dp->epsilon_per_analyst > 0))
		return bad(msg, "rules.dp.epsilon_per_analyst", "must be greater than 0, not %s",
		           num_text(dp->epsilon_per_analyst, a));
	err = number_field(obj, "rules.dp", "epsilon_per_query", &dp->epsilon_per_query, msg);
	if (err)
		return err;
	if (!(dp->epsilon_per_query > 0))
		return bad(msg, "rules.dp.epsilon_per_query", "must be greater than 0, not %s",
		           num_text(dp->epsilon_per_query, a));
	if (dp->epsilon_per_query > dp->epsilon_per_analyst)
		return bad(msg, "rules.dp.epsilon_per_query",
		           "%s is greater than epsilon_per_analyst (%s)",
		           num_text(dp->epsilon_per_query, a),
		           num_text(dp->epsilon_per_analyst, b));
	err = number_field(obj, "rules.dp", "delta", &dp->delta, msg);
	if (err)
		return err;
	if (!(dp->delta >= 0 && dp->delta < 1))
		return bad(msg, "rules.dp.delta", "must be at least 0 and less than 1, not %s",
		           num_text(dp->delta, a));
	err = int_field(obj, "rules.dp", "max_rows_per_id", 1, &dp->max_rows_per_id, msg);
	if (!err)
		err = string_field(obj, "rules.dp", "mechanism", false, &mech, NULL, msg);
	if (err)
		return err;
	if (mech && strcmp(mech, "laplace") && strcmp(mech, "gaussian"))
		return bad(msg, "rules.dp.mechanism", "must be \"laplace\" or \"gaussian\"");
	dp->gaussian = mech && !strcmp(mech, "gaussian");
	if (dp->gaussian && !(dp->delta > 0))
		return bad(msg, "rules.dp.delta", "must be greater than 0 with the gaussian mechanism");
	c->has_dp = true;
	return DCR_OK;
}

static enum dcr_err parse_queries(struct dcr_contract *c, const json_t *rules,
                                  struct dcr_msg *msg)
{
	static const char *const fields[] = {"name", "sql", NULL};
	char base[PATH_SIZE], path[PATH_SIZE], q[SHOW_SIZE];
	enum dcr_err err;
	const char *name, *sql;
	json_t *arr, *v, *sql_v;
	size_t i, len;

	err = array_field(rules, "rules", "queries", false, DCR_CONTRACT_MAX_QUERIES, &arr, msg);
	if (err || !arr)
		return err;
	c->queries = calloc(json_array_size(arr), sizeof(*c->queries));
	if (!c->queries)
		return DCR_ERR_NOMEM;
	c->query_count = json_array_size(arr);
	json_array_foreach(arr, i, v) {
		struct dcr_named_query *nq = &c->queries[i];

		pathf(base, "rules.queries[%zu]", i);
		if (!json_is_object(v))
			return bad(msg, base, "must be an object");
		err = only_fields(v, fields, base, msg);
		if (!err)
			err = identifier_field(v, base, "query", &name, msg);
		if (err)
			return err;
		pathf(path, "%s.name", base);
		for (size_t j = 0; j < i; j++)
			if (!strcasecmp(c->queries[j].name, name))
				return bad(msg, path,
				           "duplicate query name %s (rules.queries[%zu])",
				           show(name, q), j);
		err = dup_string(name, &nq->name);
		if (!err)
			err = member(v, base, "sql", true, &sql_v, msg);
		if (err)
			return err;
		pathf(path, "%s.sql", base);
		err = string_value(sql_v, path, DCR_CONTRACT_MAX_SQL, &sql, &len, msg);
		if (err)
			return err;
		if (strspn(sql, " \t\r\n") == len)
			return bad(msg, path, "must not be empty");
		err = dup_string(sql, &nq->sql);
		if (err)
			return err;
	}
	return DCR_OK;
}

static enum dcr_err parse_rules(struct dcr_contract *c, const json_t *root,
                                struct dcr_msg *msg)
{
	static const char *const fields[] = {"min_distinct_ids", "joins", "aggregates", "dp",
	                                     "queries", NULL};
	enum dcr_err err;
	json_t *rules;

	err = object_field(root, NULL, "rules", true, &rules, msg);
	if (!err)
		err = only_fields(rules, fields, "rules", msg);
	if (!err)
		err = int_field(rules, "rules", "min_distinct_ids", 1, &c->min_distinct_ids, msg);
	if (!err)
		err = parse_joins(c, rules, msg);
	if (!err)
		err = parse_aggregates(c, rules, msg);
	if (!err)
		err = parse_dp(c, rules, msg);
	if (!err)
		err = parse_queries(c, rules, msg);
	return err;
}

static void tee_kind_list(char *out, size_t size)
{
	const char *names[DCR_TEE_COUNT];

	for (unsigned i = 0; i < DCR_TEE_COUNT; i++)
		names[i] = dcr_tee_name((enum dcr_tee)i);
	list_names(names, DCR_TEE_COUNT, out, size);
}

static enum dcr_err tee_kind(const char *s, const char *path, enum dcr_tee *out,
                             struct dcr_msg *msg)
{
	char q[SHOW_SIZE], list[96];

	if (dcr_tee_from_name(s, out) == DCR_OK)
		return DCR_OK;
	tee_kind_list(list, sizeof(list));
	return bad(msg, path, "unknown TEE kind %s (known: %s)", show(s, q), list);
}

/* The fields dcr_tee_field knows for kind, for a message. */
static void tee_field_list(enum dcr_tee kind, char *out, size_t size)
{
	static const char *const candidates[] = {
		"measurement", "mrenclave", "mrsigner", "mrtd", "rtmr0", "rtmr1",
		"rtmr2", "rtmr3", "mrconfigid", "host_data",
	};
	const char *name;
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; i < COUNT(candidates) && o < size; i++)
		if (dcr_tee_field(kind, candidates[i], &name))
			o += (size_t)snprintf(out + o, size - o, "%s%s", o ? ", " : "", name);
	if (o < size && dcr_tee_field(kind, "pcr0", &name))
		snprintf(out + o, size - o, "%s%s", o ? ", " : "", "pcr0 to pcr23");
}

/* Keys that become part of a message path: escaped and cut short. */
static const char *path_key(const char *key, char out[static SHOW_SIZE])
{
	show(key, out);
	if (strpbrk(key, "\".[] \\") || strlen(out) != strlen(key) + 2)
		return out; /* keep the quotes: the key is not a plain word */
	memmove(out, out + 1, strlen(key));
	out[strlen(key)] = '\0';
	return out;
}

static enum dcr_err parse_measurements(struct dcr_contract *c, const json_t *tee,
                                       struct dcr_msg *msg)
{
	char base[PATH_SIZE], path[PATH_SIZE], k1[SHOW_SIZE], k2[SHOW_SIZE], list[160];
	const char *kind_s, *field;
	json_t *obj, *fields, *v;
	enum dcr_err err;
	size_t total = 0;

	err = object_field(tee, "tee", "measurements", false, &obj, msg);
	if (err || !obj)
		return err;
	json_object_foreach(obj, kind_s, fields)
		if (json_is_object(fields))
			total += json_object_size(fields);
	c->pins = calloc(total ? total : 1, sizeof(*c->pins));
	if (!c->pins)
		return DCR_ERR_NOMEM;
	json_object_foreach(obj, kind_s, fields) {
		enum dcr_tee kind;

		pathf(base, "tee.measurements.%s", path_key(kind_s, k1));
		err = tee_kind(kind_s, base, &kind, msg);
		if (err)
			return err;
		if (!(c->tee_accept & DCR_TEE_BIT(kind)))
			return bad(msg, base, "%s is not in tee.accept", kind_s);
		if (!json_is_object(fields))
			return bad(msg, base, "must be an object of measurement name to hex value");
		if (json_object_size(fields) == 0)
			return bad(msg, base,
			           "pins nothing: name at least one measurement, or leave %s out",
			           kind_s);
		json_object_foreach(fields, field, v) {
			struct dcr_tee_pin *pin = &c->pins[c->pin_count];
			const char *hex;
			size_t size, len;

			pathf(path, "%s.%s", base, path_key(field, k2));
			size = dcr_tee_field(kind, field, &pin->name);
			if (!size) {
				tee_field_list(kind, list, sizeof(list));
				return bad(msg, path, "unknown measurement for %s (known: %s)",
				           kind_s, list);
			}
			err = string_value(v, path, DCR_CONTRACT_MAX_STRING, &hex, &len, msg);
			if (err)
				return err;
			if (len != 2 * size)
				return bad(msg, path, "must be %zu hex digits (%zu bytes), not %zu "
				                      "characters",
				           2 * size, size, len);
			/* checked here first: dcr_hex_decode shifts a negative int on a
			 * non-hex digit, which UBSan (rightly) stops on */
			if (strspn(hex, "0123456789abcdefABCDEF") != len ||
			    dcr_hex_decode(pin->value, size, hex, len))
				return bad(msg, path, "must be hex digits (0-9, a-f)");
			pin->tee = kind;
			pin->size = size;
			c->pin_count++;
		}
	}
	return DCR_OK;
}

static enum dcr_err parse_tee(struct dcr_contract *c, const json_t *root, struct dcr_msg *msg)
{
	static const char *const fields[] = {"accept", "measurements", NULL};
	char path[PATH_SIZE], q[SHOW_SIZE];
	enum dcr_err err;
	const char *s;
	json_t *tee, *arr, *v;
	size_t i;

	err = object_field(root, NULL, "tee", true, &tee, msg);
	if (!err)
		err = only_fields(tee, fields, "tee", msg);
	if (!err)
		err = array_field(tee, "tee", "accept", true, DCR_CONTRACT_MAX_STRING, &arr, msg);
	if (err)
		return err;
	json_array_foreach(arr, i, v) {
		enum dcr_tee kind;

		pathf(path, "tee.accept[%zu]", i);
		err = string_value(v, path, DCR_CONTRACT_MAX_STRING, &s, NULL, msg);
		if (!err)
			err = tee_kind(s, path, &kind, msg);
		if (err)
			return err;
		if (c->tee_accept & DCR_TEE_BIT(kind))
			return bad(msg, path, "duplicate TEE kind %s", show(s, q));
		c->tee_accept |= DCR_TEE_BIT(kind);
	}
	return parse_measurements(c, tee, msg);
}

static enum dcr_err parse_signatures(struct dcr_contract *c, const json_t *root,
                                     struct dcr_msg *msg)
{
	char path[PATH_SIZE], k[SHOW_SIZE];
	const char *name, *b64;
	enum dcr_err err;
	json_t *obj, *v;
	size_t len, n;

	err = object_field(root, NULL, "signatures", false, &obj, msg);
	if (err || !obj)
		return err;
	json_object_foreach(obj, name, v) {
		struct dcr_party *p;
		int idx;

		pathf(path, "signatures.%s", path_key(name, k));
		idx = find_party_exact(c, name);
		if (idx < 0)
			return no_such_party(c, path, name, msg);
		p = &c->parties[idx];
		err = string_value(v, path, DCR_CONTRACT_MAX_STRING, &b64, &len, msg);
		if (err)
			return err;
		if (dcr_b64_decode(p->signature, sizeof(p->signature), b64, len, &n) ||
		    n != sizeof(p->signature)) {
			memset(p->signature, 0, sizeof(p->signature));
			return bad(msg, path, "not an Ed25519 signature: 64 bytes in padded base64 "
			                      "(88 characters)");
		}
		p->has_signature = true;
	}
	return DCR_OK;
}

static enum dcr_err validate(struct dcr_contract *c, const json_t *root, struct dcr_msg *msg)
{
	static const char *const fields[] = {"dcr_contract", "id", "expires", "parties",
	                                     "datasets", "rules", "tee", "signatures", NULL};
	char q[SHOW_SIZE];
	const char *s;
	enum dcr_err err;
	json_t *v;

	if (!json_is_object(root))
		return dcr_fail(msg, DCR_ERR_INVALID, "a contract is a JSON object, not %s",
		                json_is_array(root) ? "an array" : "a scalar");
	/* the version first: a later version may well have other fields */
	v = json_object_get(root, "dcr_contract");
	if (!v)
		return bad(msg, "dcr_contract", "required field missing (is this a dcr contract?)");
	if (!json_is_integer(v))
		return bad(msg, "dcr_contract", "must be the integer 1");
	if (json_integer_value(v) != 1)
		return dcr_fail(msg, DCR_ERR_UNSUPPORTED,
		                "dcr_contract: format version %lld is not supported (this dcr "
		                "reads version 1)",
		                (long long)json_integer_value(v));
	err = only_fields(root, fields, NULL, msg);
	if (!err)
		err = string_field(root, NULL, "id", true, &s, NULL, msg);
	if (err)
		return err;
	if (!is_name(s, "._-"))
		return bad(msg, "id", "%s is not a valid contract id: 1 to 64 letters, digits, "
		                      "'.', '_' and '-'",
		           show(s, q));
	err = dup_string(s, &c->id);
	if (!err)
		err = string_field(root, NULL, "expires", true, &s, NULL, msg);
	if (err)
		return err;
	if (dcr_time_parse(s, &c->expires))
		return bad(msg, "expires", "%s is not a UTC time of the form YYYY-MM-DDTHH:MM:SSZ",
		           show(s, q));
	err = parse_parties(c, root, msg);
	if (!err)
		err = parse_datasets(c, root, msg);
	if (!err)
		err = parse_rules(c, root, msg);
	if (!err)
		err = parse_tee(c, root, msg);
	if (!err)
		err = parse_signatures(c, root, msg);
	return err;
}

/* jansson quotes bits of the input in its messages: keep them printable. */
static void printable(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			*s = '?';
}

enum dcr_err dcr_contract_parse(const char *text, size_t size, int64_t now, unsigned flags,
                                struct dcr_contract **out, struct dcr_msg *msg)
{
	struct dcr_contract *c = NULL;
	struct dcr_buf canon;
	enum dcr_err err;
	json_error_t jerr;
	json_t *root;

	*out = NULL;
	if (size > DCR_CONTRACT_MAX_SIZE)
		return dcr_fail(msg, DCR_ERR_TOO_BIG,
		                "the contract is %zu bytes, more than the limit of %u", size,
		                DCR_CONTRACT_MAX_SIZE);
	/* NUL in strings stays refused (no JSON_ALLOW_NUL): names are C strings */
	root = json_loadb(text, size, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		printable(jerr.text);
		return dcr_fail(msg, DCR_ERR_INVALID, "not valid JSON: line %d, column %d: %s",
		                jerr.line, jerr.column, jerr.text);
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		json_decref(root);
		return dcr_fail(msg, DCR_ERR_NOMEM, "out of memory");
	}
	c->json = root;
	err = validate(c, root, msg);
	if (err)
		goto out;

	err = dcr_contract_canonical(c, &canon);
	if (err) {
		dcr_msg_set(msg, "cannot make the canonical form: %s", dcr_strerror(err));
		goto out;
	}
	dcr_sha256(canon.data, canon.size, c->hash);
	dcr_buf_free(&canon);

	if (!(flags & DCR_CONTRACT_ALLOW_EXPIRED) && now >= c->expires) {
		char when[21];

		dcr_time_format(c->expires, when);
		err = dcr_fail(msg, DCR_ERR_EXPIRED, "expires: the contract expired on %s", when);
	}
out:
	if (err) {
		dcr_contract_free(c);
		return err;
	}
	*out = c;
	return DCR_OK;
}

enum dcr_err dcr_contract_load(const char *path, int64_t now, unsigned flags,
                               struct dcr_contract **out, struct dcr_msg *msg)
{
	struct dcr_buf text;
	enum dcr_err err;

	*out = NULL;
	err = dcr_file_read(path, DCR_CONTRACT_MAX_SIZE, &text, msg);
	if (err)
		return err;
	err = dcr_contract_parse((const char *)text.data, text.size, now, flags, out, msg);
	if (err)
		dcr_msg_prefix(msg, "%s: ", path);
	dcr_buf_free(&text);
	return err;
}

void dcr_contract_free(struct dcr_contract *c)
{
	if (!c)
		return;
	free(c->id);
	for (size_t i = 0; i < c->party_count; i++)
		free(c->parties[i].name);
	free(c->parties);
	for (size_t i = 0; i < c->dataset_count; i++) {
		for (size_t j = 0; j < c->datasets[i].column_count; j++)
			free(c->datasets[i].columns[j].name);
		free(c->datasets[i].columns);
		free(c->datasets[i].name);
	}
	free(c->datasets);
	free(c->joins);
	for (size_t i = 0; i < c->query_count; i++) {
		free(c->queries[i].name);
		free(c->queries[i].sql);
	}
	free(c->queries);
	free(c->pins);
	json_decref((json_t *)c->json);
	free(c);
}
