/* SPDX-License-Identifier: Apache-2.0 */
/* The clean room's API as a party uses it (docs/API.md): attestation first,
 * then signed queries, audit log and budget, each answer verified before
 * the caller sees it. Uploads stream in upload.c. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "client_int.h"

#define ATTESTATION_MAX (4u << 20)         /* 1 MiB of evidence, in base64, and JSON */
#define QUERY_ANSWER_MAX (256u << 20)
#define AUDIT_ANSWER_MAX (256u << 20)
#define BUDGET_ANSWER_MAX (64u << 10)
#define RECEIPT_MAX (1u << 20)

/* ---- attestation ------------------------------------------------------------ */

static uint32_t le32_at(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* An azure-vtpm container (docs/ATTESTATION.md) whose HCL report holds an
 * SNP report and whose VCEK section is empty: that SNP report, else NULL.
 * Only a hint for fetching: the verifier parses the container itself. */
static const uint8_t *azure_snp_without_vcek(const uint8_t *ev, size_t size)
{
	size_t off = 8, len[5], at[5];

	if (size < 8 || memcmp(ev, "DCRVTPM1", 8))
		return NULL;
	for (int i = 0; i < 5; i++) {
		if (size - off < 4)
			return NULL;
		len[i] = le32_at(ev + off);
		at[i] = off + 4;
		if (len[i] > size - at[i])
			return NULL;
		off = at[i] + len[i];
	}
	/* HCL: "HCLA", the hardware report at 0x20, report_type at 0x4C8 (2: SNP) */
	if (len[4] != 0 || len[0] < 0x4CC || memcmp(ev + at[0], "HCLA", 4) ||
	    le32_at(ev + at[0] + 0x4C8) != 2)
		return NULL;
	return ev + at[0] + 0x20;
}

enum dcr_err client_attestation_check(const struct dcr_contract *c, const char *json,
                                      size_t len, const struct dcr_attest_verify_opts *opts,
                                      bool fetch, struct dcr_room *out, struct dcr_msg *msg)
{
	json_t *j = json_loadb(json, len, JSON_REJECT_DUPLICATES, NULL);
	const char *tee = json_string_value(json_object_get(j, "tee"));
	const char *ev = json_string_value(json_object_get(j, "evidence"));
	const char *pk = json_string_value(json_object_get(j, "public_key"));
	const char *ch = json_string_value(json_object_get(j, "contract_hash"));
	uint8_t hash[32], *evidence = NULL;
	char mine[65];
	size_t ev_size = 0;
	enum dcr_tee kind;
	struct dcr_room room;
	struct dcr_buf vcek = {0}, coll = {0};
	struct dcr_attest_verify_opts with;
	const uint8_t *snp_report;
	enum dcr_err err;

	memset(out, 0, sizeof(*out));
	memset(&room, 0, sizeof(room));
	if (!j || !json_is_object(j)) {
		err = dcr_fail(msg, DCR_ERR_VERIFY, "attestation: the clean room's answer is not a "
		               "JSON object");
		goto out;
	}
	if (!tee || !ev || !pk || !ch) {
		err = dcr_fail(msg, DCR_ERR_VERIFY, "attestation: the clean room's answer lacks "
		               "\"%s\"", !tee ? "tee" : !ev ? "evidence" : !pk ? "public_key"
		                                                              : "contract_hash");
		goto out;
	}
	dcr_contract_hash_hex(c, mine);
	if (dcr_hex_decode(hash, 32, ch, strlen(ch)) || memcmp(hash, c->hash, 32)) {
		char shown[65];

		snprintf(shown, sizeof(shown), "%.64s", ch);
		for (char *p = shown; *p; p++)
			if ((unsigned char)*p < 0x20)
				*p = '?';
		err = dcr_fail(msg, DCR_ERR_VERIFY,
		               "attestation: the clean room runs contract %s, yours is %s (another "
		               "contract, or another version of it)",
		               shown, mine);
		goto out;
	}
	if (dcr_tee_from_name(tee, &kind)) {
		err = dcr_fail(msg, DCR_ERR_VERIFY, "attestation: unknown TEE kind \"%.40s\"", tee);
		goto out;
	}
	if ((err = dcr_pubkey_parse(pk, strlen(pk), &room.key, msg))) {
		dcr_msg_prefix(msg, "attestation: the clean room's public_key: ");
		err = DCR_ERR_VERIFY;
		goto out;
	}
	evidence = malloc(DCR_EVIDENCE_MAX_SIZE);
	if (!evidence) {
		err = dcr_fail(msg, DCR_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (dcr_b64_decode(evidence, DCR_EVIDENCE_MAX_SIZE, ev, strlen(ev), &ev_size)) {
		err = dcr_fail(msg, DCR_ERR_VERIFY, "attestation: the evidence is not base64 (or "
		               "over %u bytes)", DCR_EVIDENCE_MAX_SIZE);
		goto out;
	}
	snp_report = kind == DCR_TEE_SNP && ev_size == 1184 ? evidence
	             : kind == DCR_TEE_AZURE_VTPM ? azure_snp_without_vcek(evidence, ev_size) : NULL;
	if (snp_report && fetch && !(opts && opts->vcek)) {
		/* a report without its VCEK: the VCEK from AMD (checked like any
		 * other input) */
		dcr_buf_init(&vcek, 64u * 1024);
		if ((err = client_vcek_fetch(snp_report, 1184, &vcek, msg)))
			goto out;
		memset(&with, 0, sizeof(with));
		if (opts)
			with = *opts;
		with.vcek = vcek.data;
		with.vcek_size = vcek.size;
		opts = &with;
	}
	if ((kind == DCR_TEE_SGX || kind == DCR_TEE_TDX) && fetch && !(opts && opts->collateral)) {
		/* the TCB status needs Intel's collateral for this platform: the
		 * quote verified without it names the FMSPC and the PCK CA */
		const struct dcr_attest_ops *ops = dcr_attest_find(kind);
		struct dcr_attest_claims first;
		struct dcr_msg m = {{0}};
		const char *ca = NULL;

		if (ops && ops->verify &&
		    ops->verify(evidence, ev_size, opts, &first, &m) == DCR_OK) {
			for (size_t i = 0; i < first.info_count; i++)
				if (!strcmp(first.info[i].name, "pck_ca"))
					ca = first.info[i].value;
			dcr_buf_init(&coll, 4u << 20);
			if (ca && client_collateral_fetch(kind, first.fmspc, ca, &coll, &m) == DCR_OK) {
				memset(&with, 0, sizeof(with));
				if (opts)
					with = *opts;
				with.collateral = coll.data;
				with.collateral_size = coll.size;
				opts = &with;
			} else {
				dcr_log_warn("attestation: no DCAP collateral (%s): the platform's TCB "
				             "status stays unknown", m.text[0] ? m.text : "no PCK CA");
			}
		}
	}
	err = dcr_client_check_evidence(c, kind, evidence, ev_size, &room.key, opts, &room.claims,
	                                msg);
	if (err)
		goto out;
	room.tee = kind;
	*out = room;
out:
	dcr_buf_free(&vcek);
	dcr_buf_free(&coll);
	free(evidence);
	json_decref(j);
	return err;
}

enum dcr_err dcr_client_set_evidence_inputs(struct dcr_client *cl, const char *vcek_path,
                                            const char *collateral_path, bool fetch,
                                            struct dcr_msg *msg)
{
	enum dcr_err err;

	dcr_buf_free(&cl->vcek);
	dcr_buf_free(&cl->collateral);
	dcr_buf_init(&cl->vcek, 64u * 1024);
	dcr_buf_init(&cl->collateral, 4u << 20);
	cl->fetch = fetch;
	/* dcr_file_read starts each buffer afresh */
	if (vcek_path && (err = dcr_file_read(vcek_path, 64u * 1024, &cl->vcek, msg)))
		return err;
	if (collateral_path && (err = dcr_file_read(collateral_path, 4u << 20, &cl->collateral, msg)))
		return err;
	return DCR_OK;
}

enum dcr_err dcr_client_attest(struct dcr_client *cl, struct dcr_room *out, struct dcr_msg *msg)
{
	struct client_request rq = {.method = "GET", .path = "/v1/attestation",
	                            .max_answer = ATTESTATION_MAX, .what = "attestation"};
	struct client_answer ans;
	struct dcr_room room;
	enum dcr_err err;

	memset(out, 0, sizeof(*out));
	cl->attested = false;
	err = client_http(cl, &rq, &ans, msg);
	if (!err && ans.status != 200)
		err = client_answer_error(&ans, "attestation", false, msg);
	if (!err) {
		struct dcr_attest_verify_opts o = {0};

		o.vcek = cl->vcek.size ? cl->vcek.data : NULL;
		o.vcek_size = cl->vcek.size;
		o.collateral = cl->collateral.size ? cl->collateral.data : NULL;
		o.collateral_size = cl->collateral.size;
		err = client_attestation_check(cl->contract, (const char *)ans.body.data,
		                               ans.body.size, &o, cl->fetch, &room, msg);
	}
	dcr_buf_free(&ans.body);
	if (err)
		return err;
	snprintf(room.url, sizeof(room.url), "%s", cl->base);
	cl->room = room;
	cl->attested = true;
	*out = room;
	return DCR_OK;
}

/* ---- queries ------------------------------------------------------------------ */

void dcr_query_answer_free(struct dcr_query_answer *a)
{
	if (!a)
		return;
	dcr_buf_free(&a->csv);
	dcr_buf_free(&a->receipt);
	for (size_t i = 0; i < a->column_count; i++)
		free((char *)a->columns[i].name);
	free(a->columns);
	free(a->noise);
	memset(a, 0, sizeof(*a));
}

/* The value of "key: " on its own line of the receipt, or NULL. */
static const char *receipt_value(const struct dcr_buf *r, const char *key, size_t *out_len)
{
	const char *text = (const char *)r->data;
	size_t len = r->size, kl = strlen(key);

	for (size_t at = 0; at < len;) {
		const char *line = text + at, *nl = memchr(line, '\n', len - at);
		size_t ll = nl ? (size_t)(nl - line) : len - at;

		if (ll >= kl + 2 && !memcmp(line, key, kl) && line[kl] == ':' && line[kl + 1] == ' ') {
			*out_len = ll - kl - 2;
			return line + kl + 2;
		}
		at += ll + 1;
	}
	*out_len = 0;
	return NULL;
}

static bool receipt_is(const struct dcr_buf *r, const char *key, const char *want)
{
	size_t n;
	const char *v = receipt_value(r, key, &n);

	return v && n == strlen(want) && !memcmp(v, want, n);
}

/* "key=value" among the space-separated words of line (len bytes): the
 * value as a number, or NAN. */
static double word_number(const char *line, size_t len, const char *key)
{
	size_t kl = strlen(key);
	char buf[64];

	for (size_t at = 0; at < len;) {
		const char *w = line + at, *sp = memchr(w, ' ', len - at);
		size_t wl = sp ? (size_t)(sp - w) : len - at;

		if (wl > kl + 1 && wl - kl - 1 < sizeof(buf) && !memcmp(w, key, kl) && w[kl] == '=') {
			char *end;
			double v;

			memcpy(buf, w + kl + 1, wl - kl - 1);
			buf[wl - kl - 1] = '\0';
			v = strtod(buf, &end);
			return *end == '\0' ? v : NAN;
		}
		at += wl + 1;
	}
	return NAN;
}

/* The receipt's "epsilon:" and "noise:" lines (docs/API.md). */
static enum dcr_err parse_noise(struct dcr_query_answer *a, struct dcr_msg *msg)
{
	const char *text = (const char *)a->receipt.data;
	size_t len = a->receipt.size, n;
	const char *v = receipt_value(&a->receipt, "epsilon", &n);

	if (v) {
		char buf[64], *end;

		if (n == 0 || n >= sizeof(buf))
			return dcr_fail(msg, DCR_ERR_VERIFY, "receipt: a bad epsilon line");
		memcpy(buf, v, n);
		buf[n] = '\0';
		a->epsilon = strtod(buf, &end);
		if (*end || !(a->epsilon > 0))
			return dcr_fail(msg, DCR_ERR_VERIFY, "receipt: a bad epsilon line");
	}
	for (size_t at = 0; at < len;) {
		const char *line = text + at, *nl = memchr(line, '\n', len - at);
		size_t ll = nl ? (size_t)(nl - line) : len - at;

		if (ll > 7 && !memcmp(line, "noise: ", 7)) {
			struct dcr_answer_noise *nz, *grown;
			double col = word_number(line + 7, ll - 7, "column");
			const char *m = memmem(line, ll, "mechanism=", 10);
			size_t ml = 0;

			grown = realloc(a->noise, (a->noise_count + 1) * sizeof(*a->noise));
			if (!grown)
				return dcr_fail(msg, DCR_ERR_NOMEM, "out of memory");
			a->noise = grown;
			nz = &a->noise[a->noise_count];
			memset(nz, 0, sizeof(*nz));
			if (!(col >= 0 && col < 1e6) || !m)
				return dcr_fail(msg, DCR_ERR_VERIFY, "receipt: a bad noise line");
			m += 10;
			while (m + ml < line + ll && m[ml] != ' ' && ml + 1 < sizeof(nz->mechanism))
				ml++;
			memcpy(nz->mechanism, m, ml);
			nz->column = (size_t)col;
			nz->scale = word_number(line + 7, ll - 7, "scale");
			if (isnan(nz->scale))
				nz->scale = word_number(line + 7, ll - 7, "sum_scale");
			nz->ci95 = word_number(line + 7, ll - 7, "ci95");
			if (isnan(nz->ci95))
				nz->ci95 = 0;
			a->noise_count++;
		}
		at += ll + 1;
	}
	return DCR_OK;
}

void dcr_client_set_epsilon(struct dcr_client *cl, double epsilon)
{
	cl->epsilon = epsilon;
}

static enum dcr_type type_named(const char *t)
{
	if (!t)
		return DCR_TYPE_STRING;
	if (!strcmp(t, "int"))
		return DCR_TYPE_INT;
	if (!strcmp(t, "float"))
		return DCR_TYPE_FLOAT;
	if (!strcmp(t, "date"))
		return DCR_TYPE_DATE;
	if (!strcmp(t, "id"))
		return DCR_TYPE_ID;
	/* strings, and bools (shown as their text) */
	return DCR_TYPE_STRING;
}

enum dcr_err client_query_answer_parse(const struct dcr_contract *c, const struct dcr_room *room,
                                       const char *analyst, const char *sql_run,
                                       double want_epsilon,
                                       const void *json, struct dcr_query_answer *out,
                                       struct dcr_msg *msg)
{
	const json_t *j = json;
	const json_t *cols = json_object_get(j, "columns");
	const char *csv = json_string_value(json_object_get(j, "csv"));
	const char *receipt = json_string_value(json_object_get(j, "receipt"));
	const char *sig = json_string_value(json_object_get(j, "signature"));
	size_t csv_len = json_string_length(json_object_get(j, "csv"));
	size_t receipt_len = json_string_length(json_object_get(j, "receipt"));
	struct dcr_query_answer a;
	uint8_t result_hash[32], query_hash[32];
	char hex[65];
	const char *v;
	size_t n;
	enum dcr_err err;

	memset(out, 0, sizeof(*out));
	memset(&a, 0, sizeof(a));
	dcr_buf_init(&a.csv, QUERY_ANSWER_MAX);
	dcr_buf_init(&a.receipt, RECEIPT_MAX);
	if (!json_is_array(cols) || !csv || !receipt || !sig) {
		err = dcr_fail(msg, DCR_ERR_VERIFY, "query: the clean room's answer lacks \"%s\"",
		               !json_is_array(cols) ? "columns" : !csv ? "csv" : !receipt
		                       ? "receipt" : "signature");
		goto out;
	}
	/* the receipt first: nothing of the answer is believed before it */
	dcr_sha256(csv, csv_len, result_hash);
	err = dcr_receipt_check(receipt, receipt_len, sig, &room->key, c->hash, result_hash, msg);
	if (err)
		goto out;
	if ((err = dcr_buf_append(&a.receipt, receipt, receipt_len)) ||
	    (err = dcr_buf_append(&a.csv, csv, csv_len))) {
		err = dcr_fail(msg, err, "query: the answer is too big");
		goto out;
	}
	if (!receipt_is(&a.receipt, "analyst", analyst)) {
		err = dcr_fail(msg, DCR_ERR_VERIFY, "receipt: made for another analyst than %s",
		               analyst);
		goto out;
	}
	dcr_sha256(sql_run, strlen(sql_run), query_hash);
	dcr_hex_encode(hex, query_hash, 32);
	if (!receipt_is(&a.receipt, "query", hex)) {
		err = dcr_fail(msg, DCR_ERR_VERIFY, "receipt: made for another query than this one");
		goto out;
	}
	if (!receipt_is(&a.receipt, "tee", dcr_tee_name(room->tee))) {
		err = dcr_fail(msg, DCR_ERR_VERIFY, "receipt: names another TEE kind than the "
		               "attested %s", dcr_tee_name(room->tee));
		goto out;
	}
	if ((err = parse_noise(&a, msg)))
		goto out;
	/* a contract that promises noise gets noise, and only what was asked */
	if (c->has_dp && !(a.epsilon > 0)) {
		err = dcr_fail(msg, DCR_ERR_VERIFY, "receipt: the contract asks for differential "
		               "privacy, but the answer is not noisy");
		goto out;
	}
	if (!c->has_dp && (a.epsilon > 0 || a.noise_count)) {
		err = dcr_fail(msg, DCR_ERR_VERIFY, "receipt: a noisy answer for a contract "
		               "without rules.dp");
		goto out;
	}
	if (c->has_dp && want_epsilon > 0 && a.epsilon != want_epsilon) {
		err = dcr_fail(msg, DCR_ERR_VERIFY, "receipt: spent epsilon %g, not the %g asked for",
		               a.epsilon, want_epsilon);
		goto out;
	}
	v = receipt_value(&a.receipt, "audit", &n);
	for (size_t i = 0; v && i < n && i < 19; i++)
		if (v[i] >= '0' && v[i] <= '9')
			a.audit_seq = a.audit_seq * 10 + (uint64_t)(v[i] - '0');
	memcpy(a.signature, sig, strlen(sig) < sizeof(a.signature) ? strlen(sig) + 1 : 1);
	a.column_count = json_array_size(cols);
	a.columns = calloc(a.column_count ? a.column_count : 1, sizeof(*a.columns));
	if (!a.columns) {
		a.column_count = 0;
		err = dcr_fail(msg, DCR_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < a.column_count; i++) {
		const json_t *col = json_array_get(cols, i);
		const char *name = json_string_value(json_object_get(col, "name"));

		a.columns[i].type = type_named(json_string_value(json_object_get(col, "type")));
		a.columns[i].name = strdup(name ? name : "?");
		if (!a.columns[i].name) {
			err = dcr_fail(msg, DCR_ERR_NOMEM, "out of memory");
			goto out;
		}
	}
	*out = a;
	return DCR_OK;
out:
	dcr_query_answer_free(&a);
	return err;
}

enum dcr_err dcr_client_query(struct dcr_client *cl, const char *sql, const char *name,
                              struct dcr_query_answer *out, struct dcr_msg *msg)
{
	struct client_request rq = {.method = "POST", .path = "/v1/queries", .sign = true,
	                            .max_answer = QUERY_ANSWER_MAX, .what = "query", .sql = true};
	struct client_answer ans = {0};
	struct dcr_buf body = {0};
	const char *sql_run = sql;
	json_t *req = NULL;
	void *j = NULL;
	char *text = NULL;
	enum dcr_err err;

	memset(out, 0, sizeof(*out));
	if (!cl->attested || !cl->key)
		return dcr_fail(msg, DCR_ERR_INTERNAL, "query: no attested clean room or no key");
	if (name) {
		sql_run = NULL;
		for (size_t i = 0; i < cl->contract->query_count; i++)
			if (!strcmp(cl->contract->queries[i].name, name))
				sql_run = cl->contract->queries[i].sql;
		if (!sql_run)
			return dcr_fail(msg, DCR_ERR_NOT_FOUND, "the contract has no query named %s",
			                name);
	}
	req = name ? json_pack("{s:s}", "name", name) : json_pack("{s:s}", "sql", sql);
	if (req && cl->epsilon > 0)
		json_object_set_new(req, "epsilon", json_real(cl->epsilon));
	text = req ? json_dumps(req, JSON_COMPACT) : NULL;
	if (!text) {
		err = dcr_fail(msg, DCR_ERR_INVALID, "query: the SQL is not valid UTF-8 text");
		goto out;
	}
	err = dcr_envelope_seal(&cl->room.key, text, strlen(text), QUERY_ANSWER_MAX, &body);
	if (err) {
		err = dcr_fail(msg, err, "query: cannot seal the request: %s", dcr_strerror(err));
		goto out;
	}
	rq.body = body.data;
	rq.body_size = body.size;
	if ((err = client_http(cl, &rq, &ans, msg)))
		goto out;
	if (ans.status / 100 != 2) {
		err = client_answer_error(&ans, "query", true, msg);
		goto out;
	}
	if ((err = client_open_answer(cl, &ans, "query", &j, msg)))
		goto out;
	err = client_query_answer_parse(cl->contract, &cl->room, cl->party->name, sql_run,
	                                cl->epsilon, j, out,
	                                msg);
out:
	json_decref(j);
	json_decref(req);
	free(text);
	dcr_buf_free(&body);
	dcr_buf_free(&ans.body);
	return err;
}

enum dcr_err dcr_query_answer_receipt(const struct dcr_query_answer *a, struct dcr_buf *out)
{
	enum dcr_err err = dcr_buf_append(out, a->receipt.data, a->receipt.size);

	if (!err && a->receipt.size && a->receipt.data[a->receipt.size - 1] != '\n')
		err = dcr_buf_append(out, "\n", 1);
	if (!err)
		err = dcr_buf_printf(out, "signature: %s\n", a->signature);
	return err;
}

/* Where the CSV's first record (its header) ends, after its line break. */
static size_t header_end(const uint8_t *p, size_t n)
{
	bool quoted = false;

	for (size_t i = 0; i < n; i++) {
		if (p[i] == '"')
			quoted = !quoted;
		else if (p[i] == '\n' && !quoted)
			return i + 1;
	}
	return n;
}

/* --ci: after each noisy column with an interval, a column "<name>_ci95"
 * holding its half-width (the same on every row: the noise's scale is the
 * column's), NULL where the value is NULL. */
static enum dcr_err add_ci_columns(const struct dcr_query_answer *a, struct dcr_table *t)
{
	for (size_t k = 0; k < a->noise_count; k++) {
		const struct dcr_answer_noise *nz = &a->noise[a->noise_count - 1 - k];
		size_t at = nz->column + 1, rows = t->row_count;
		struct dcr_column col = {0}, *grown;
		size_t nl;

		if (nz->column >= t->column_count || !(nz->ci95 > 0))
			continue;
		nl = strlen(t->columns[nz->column].name) + sizeof("_ci95");
		col.name = malloc(nl);
		col.type = DCR_TYPE_FLOAT;
		col.count = rows;
		col.v.f64 = malloc((rows ? rows : 1) * sizeof(double));
		if (t->columns[nz->column].nulls)
			col.nulls = malloc(rows ? rows : 1);
		grown = realloc(t->columns, (t->column_count + 1) * sizeof(*t->columns));
		if (grown)
			t->columns = grown;
		if (!col.name || !col.v.f64 || (t->columns[nz->column].nulls && !col.nulls) ||
		    !grown) {
			free(col.name);
			free(col.v.f64);
			free(col.nulls);
			return DCR_ERR_NOMEM;
		}
		snprintf(col.name, nl, "%s_ci95", t->columns[nz->column].name);
		for (size_t r = 0; r < rows; r++)
			col.v.f64[r] = nz->ci95;
		if (col.nulls)
			memcpy(col.nulls, t->columns[nz->column].nulls, rows);
		memmove(&t->columns[at + 1], &t->columns[at],
		        (t->column_count - at) * sizeof(*t->columns));
		t->columns[at] = col;
		t->column_count++;
	}
	return DCR_OK;
}

enum dcr_err dcr_query_answer_format(const struct dcr_query_answer *a, enum dcr_format format,
                                     struct dcr_buf *out, struct dcr_msg *msg)
{
	struct dcr_csv_column *schema = NULL;
	struct dcr_csv_options opts = {0};
	struct dcr_csv_reader *rd = NULL;
	struct dcr_table *t = NULL;
	struct dcr_buf head;
	char (*names)[24] = NULL;
	size_t skip;
	enum dcr_err err;

	if (format == DCR_FORMAT_CSV && !(a->with_ci && a->noise_count)) {
		err = dcr_buf_append(out, a->csv.data, a->csv.size);
		return err ? dcr_fail(msg, err, "out of memory") : DCR_OK;
	}
	/* the room's header may repeat a name ("SELECT x, x"): read with
	 * placeholder names, then give the columns their real ones */
	dcr_buf_init(&head, 64 * (a->column_count + 1));
	schema = calloc(a->column_count + 1, sizeof(*schema));
	names = calloc(a->column_count + 1, sizeof(*names));
	if (!schema || !names) {
		err = dcr_fail(msg, DCR_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < a->column_count; i++) {
		snprintf(names[i], sizeof(names[i]), "c%zu", i);
		schema[i].name = names[i];
		schema[i].type = a->columns[i].type;
		if ((err = dcr_buf_printf(&head, "%s%s", i ? "," : "", names[i]))) {
			err = dcr_fail(msg, err, "out of memory");
			goto out;
		}
	}
	if ((err = dcr_buf_append(&head, "\n", 1))) {
		err = dcr_fail(msg, err, "out of memory");
		goto out;
	}
	opts.columns = schema;
	opts.column_count = a->column_count;
	opts.threads = 1;
	skip = a->csv.data ? header_end(a->csv.data, a->csv.size) : 0;
	if ((err = dcr_csv_reader_new("result", &opts, &rd)) ||
	    (err = dcr_csv_reader_write(rd, head.data, head.size, msg)) ||
	    (err = dcr_csv_reader_write(rd, a->csv.data + skip, a->csv.size - skip, msg)) ||
	    (err = dcr_csv_reader_finish(rd, &t, msg))) {
		dcr_msg_prefix(msg, "the result does not read as CSV of its columns (use --format "
		               "csv): ");
		err = DCR_ERR_INVALID;
		goto out;
	}
	for (size_t i = 0; i < t->column_count && i < a->column_count; i++) {
		char *n = strdup(a->columns[i].name);

		if (!n) {
			err = dcr_fail(msg, DCR_ERR_NOMEM, "out of memory");
			goto out;
		}
		free(t->columns[i].name);
		t->columns[i].name = n;
	}
	if (a->with_ci && (err = add_ci_columns(a, t))) {
		err = dcr_fail(msg, err, "out of memory");
		goto out;
	}
	if ((err = dcr_result_format(t, format, out)))
		err = dcr_fail(msg, err, "cannot format the result: %s", dcr_strerror(err));
out:
	dcr_table_free(t);
	dcr_csv_reader_free(rd);
	dcr_buf_free(&head);
	free(schema);
	free(names);
	return err;
}

/* ---- audit -------------------------------------------------------------------- */

void dcr_audit_log_free(struct dcr_audit_log *log)
{
	if (!log)
		return;
	for (size_t i = 0; i < log->count; i++)
		free(log->entries[i].text);
	free(log->entries);
	memset(log, 0, sizeof(*log));
}

enum dcr_err client_audit_parse(const struct dcr_contract *c, const struct dcr_room *room,
                                const void *json, struct dcr_audit_log *out,
                                struct dcr_msg *msg)
{
	const json_t *entries = json_object_get(json, "entries");
	const char **texts = NULL, **sigs = NULL;
	size_t *lens = NULL, count;
	enum dcr_err err = DCR_OK;

	memset(out, 0, sizeof(*out));
	if (!json_is_array(entries))
		return dcr_fail(msg, DCR_ERR_VERIFY, "audit: the clean room's answer lacks "
		                "\"entries\"");
	count = json_array_size(entries);
	out->entries = calloc(count + 1, sizeof(*out->entries));
	texts = calloc(count + 1, sizeof(*texts));
	sigs = calloc(count + 1, sizeof(*sigs));
	lens = calloc(count + 1, sizeof(*lens));
	if (!out->entries || !texts || !sigs || !lens) {
		err = dcr_fail(msg, DCR_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < count; i++) {
		const json_t *e = json_array_get(entries, i);
		const char *t = json_string_value(json_object_get(e, "text"));
		const char *s = json_string_value(json_object_get(e, "signature"));
		struct dcr_audit_entry *d = &out->entries[i];

		if (!t || !s) {
			err = dcr_fail(msg, DCR_ERR_VERIFY, "audit entry %zu: lacks \"%s\"", i + 1,
			               !t ? "text" : "signature");
			goto out;
		}
		d->len = json_string_length(json_object_get(e, "text"));
		d->text = malloc(d->len + 1);
		if (!d->text) {
			err = dcr_fail(msg, DCR_ERR_NOMEM, "out of memory");
			goto out;
		}
		memcpy(d->text, t, d->len);
		d->text[d->len] = '\0';
		snprintf(d->signature, sizeof(d->signature), "%s", s);
		out->count++;
		texts[i] = d->text;
		lens[i] = d->len;
		sigs[i] = s;
	}
	if (!count)
		err = dcr_fail(msg, DCR_ERR_VERIFY, "audit: the log is empty (it must start with "
		               "the clean room's start entry)");
	else
		err = dcr_audit_verify_chain(texts, lens, sigs, count, &room->key, c->hash, msg);
out:
	if (err)
		dcr_audit_log_free(out);
	free(texts);
	free(sigs);
	free(lens);
	return err;
}

enum dcr_err dcr_client_audit(struct dcr_client *cl, struct dcr_audit_log *out,
                              struct dcr_msg *msg)
{
	struct client_request rq = {.method = "GET", .path = "/v1/audit", .sign = true,
	                            .max_answer = AUDIT_ANSWER_MAX, .what = "audit"};
	struct client_answer ans;
	void *j = NULL;
	enum dcr_err err;

	memset(out, 0, sizeof(*out));
	if (!cl->attested || !cl->key)
		return dcr_fail(msg, DCR_ERR_INTERNAL, "audit: no attested clean room or no key");
	err = client_http(cl, &rq, &ans, msg);
	if (!err && ans.status / 100 != 2)
		err = client_answer_error(&ans, "audit", false, msg);
	if (!err)
		err = client_open_answer(cl, &ans, "audit", &j, msg);
	if (!err)
		err = client_audit_parse(cl->contract, &cl->room, j, out, msg);
	json_decref(j);
	dcr_buf_free(&ans.body);
	return err;
}

/* ---- budget --------------------------------------------------------------------- */

enum dcr_err dcr_client_budget(struct dcr_client *cl, struct dcr_budget *out,
                               struct dcr_msg *msg)
{
	struct client_request rq = {.method = "GET", .path = "/v1/budget", .sign = true,
	                            .max_answer = BUDGET_ANSWER_MAX, .what = "budget"};
	struct client_answer ans;
	json_t *j = NULL;
	void *opened = NULL;
	enum dcr_err err;

	memset(out, 0, sizeof(*out));
	if (!cl->attested || !cl->key)
		return dcr_fail(msg, DCR_ERR_INTERNAL, "budget: no attested clean room or no key");
	err = client_http(cl, &rq, &ans, msg);
	if (!err && ans.status / 100 != 2)
		err = client_answer_error(&ans, "budget", false, msg);
	if (!err)
		err = client_open_answer(cl, &ans, "budget", &opened, msg);
	j = opened;
	if (!err) {
		const json_t *dp = json_object_get(j, "dp");
		const json_t *tot = json_object_get(j, "epsilon_total");
		const json_t *sp = json_object_get(j, "epsilon_spent");
		const json_t *rem = json_object_get(j, "epsilon_remaining");

		if (json_is_false(dp)) {
			out->dp = false;
		} else if (json_is_number(tot) && json_is_number(sp) && json_is_number(rem)) {
			out->dp = true;
			out->epsilon_total = json_number_value(tot);
			out->epsilon_spent = json_number_value(sp);
			out->epsilon_remaining = json_number_value(rem);
		} else {
			err = dcr_fail(msg, DCR_ERR_VERIFY, "budget: the clean room's answer lacks "
			               "\"epsilon_total\", \"epsilon_spent\" or \"epsilon_remaining\"");
		}
	}
	json_decref(j);
	dcr_buf_free(&ans.body);
	return err;
}
