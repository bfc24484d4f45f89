/* SPDX-License-Identifier: Apache-2.0 */
/* POST /v1/queries (privacy check, run, receipt, audit entry, sealed answer),
 * GET /v1/audit and GET /v1/budget. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "dcr/noise.h"
#include "dcr/privacy.h"
#include "server_int.h"

/* What the analyst asked for: free SQL, or a named query of the contract. */
struct ask {
	const char *sql;
	size_t len;
	const char *name;         /* the named query's name, or NULL */
	double epsilon;           /* DP: "epsilon" asked for; 0: the contract's default */
};

static int parse_ask(struct dcr_server *s, json_t *o, struct ask *a, struct dcr_msg *msg)
{
	json_t *sql = json_object_get(o, "sql"), *name = json_object_get(o, "name"), *eps;

	memset(a, 0, sizeof(*a));
	if (!json_is_object(o)) {
		dcr_msg_set(msg, "the query must be a JSON object with \"sql\" or \"name\"");
		return MHD_HTTP_BAD_REQUEST;
	}
	if ((sql && !json_is_string(sql)) || (name && !json_is_string(name))) {
		dcr_msg_set(msg, "\"sql\" and \"name\" must be strings");
		return MHD_HTTP_BAD_REQUEST;
	}
	if (!sql && !name) {
		dcr_msg_set(msg, "the query needs \"sql\" or \"name\"");
		return MHD_HTTP_BAD_REQUEST;
	}
	eps = json_object_get(o, "epsilon");
	if (eps && (!json_is_number(eps) || !(json_number_value(eps) > 0))) {
		dcr_msg_set(msg, "\"epsilon\" must be a number greater than 0");
		return MHD_HTTP_BAD_REQUEST;
	}
	if (eps && !s->contract->has_dp) {
		dcr_msg_set(msg, "\"epsilon\": this contract has no rules.dp (its answers are "
		                 "exact)");
		return MHD_HTTP_BAD_REQUEST;
	}
	a->epsilon = eps ? json_number_value(eps) : 0;
	if (name) {
		const char *n = json_string_value(name);
		const struct dcr_named_query *q = NULL;

		for (size_t i = 0; i < s->contract->query_count && !q; i++)
			if (!strcasecmp(s->contract->queries[i].name, n))
				q = &s->contract->queries[i];
		if (!q) {
			dcr_msg_set(msg, "name: the contract has no named query of that name");
			return MHD_HTTP_BAD_REQUEST;
		}
		if (sql && strcmp(json_string_value(sql), q->sql)) {
			dcr_msg_set(msg, "sql: differs from the text of named query %s (send only "
			                 "\"name\")",
			            q->name);
			return MHD_HTTP_BAD_REQUEST;
		}
		a->name = q->name;
		a->sql = q->sql;
		a->len = strlen(q->sql);
		return 0;
	}
	a->sql = json_string_value(sql);
	a->len = json_string_length(sql);
	return 0;
}

/* "unknown table 'x'" for a dataset of the contract means it has not been
 * uploaded (or was refused at start): say so. */
static void explain_missing(struct dcr_server *s, struct dcr_msg *msg)
{
	static const char key[] = "unknown table '";
	char *at = strstr(msg->text, key), *end, name[DCR_MSG_SIZE];
	const struct server_dataset *ds;

	if (!at || !(end = strchr(at + sizeof(key) - 1, '\'')))
		return;
	snprintf(name, sizeof(name), "%.*s", (int)(end - at - (sizeof(key) - 1)),
	         at + sizeof(key) - 1);
	ds = server_dataset_find(s, name);
	if (ds)
		snprintf(at, sizeof(msg->text) - (size_t)(at - msg->text),
		         "dataset %s has not been uploaded yet", ds->def->name);
}

/* The answer's JSON: columns, csv, receipt, signature. */
static char *answer_json(const struct dcr_table *result, const struct dcr_buf *csv,
                         const struct dcr_buf *receipt, const char *signature)
{
	json_t *o = json_object(), *cols = json_array();
	char *text = NULL;
	bool ok = o && cols;

	for (size_t i = 0; ok && i < result->column_count; i++)
		ok = !json_array_append_new(cols,
		                            json_pack("{s:s, s:s}", "name", result->columns[i].name,
		                                      "type", dcr_type_name(result->columns[i].type)));
	ok = ok && !json_object_set_new(o, "columns", cols);
	cols = NULL;
	ok = ok && !json_object_set_new(o, "csv", json_stringn((const char *)csv->data, csv->size));
	ok = ok && !json_object_set_new(o, "receipt",
	                                json_stringn((const char *)receipt->data, receipt->size));
	ok = ok && !json_object_set_new(o, "signature", json_string(signature));
	if (ok)
		text = json_dumps(o, JSON_COMPACT);
	json_decref(cols);
	json_decref(o);
	return text;
}

struct run {
	struct dcr_query *q;
	struct dcr_dp_plan *plan;      /* DP contracts */
	struct dcr_buf noise_lines;    /* DP: for the receipt */
	struct dcr_table *result;
	struct dcr_buf csv;
	struct dcr_receipt_dataset used[64];
	size_t used_count;
	int status;
	enum query_outcome outcome;
	struct dcr_msg msg;
};

/* Prepare, check and run under the catalog's read lock: an upload cannot
 * swap a table out from under the query. */
static void run_locked(struct dcr_server *s, struct server_request *r, const struct ask *a,
                       struct run *x)
{
	const struct dcr_table *tables[DCR_CONTRACT_MAX_DATASETS];
	struct dcr_catalog cat = {tables, 0};
	struct dcr_exec_options eo = {0};
	struct dcr_exec_cap cap = {0};
	struct dcr_bquery *b;
	enum dcr_err err;

	for (size_t i = 0; i < s->dataset_count; i++)
		if (s->datasets[i].table)
			tables[cat.count++] = s->datasets[i].table;
	x->outcome = QUERY_FAILED;
	err = dcr_query_prepare(&cat, a->sql, a->len, &x->q, &x->msg);
	if (err) {
		explain_missing(s, &x->msg);
		x->status = err == DCR_ERR_NOMEM ? MHD_HTTP_INTERNAL_SERVER_ERROR
		                                 : MHD_HTTP_BAD_REQUEST;
		return;
	}
	if (s->contract->has_dp)
		err = dcr_privacy_check_dp(s->contract, r->party, a->name,
		                           a->epsilon > 0 ? a->epsilon
		                                          : s->contract->dp.epsilon_per_query,
		                           x->q, &x->plan, &x->msg);
	else
		err = dcr_privacy_check(s->contract, r->party, a->name, x->q, &x->msg);
	if (err == DCR_ERR_REFUSED) {
		x->outcome = QUERY_REFUSED;
		x->status = MHD_HTTP_UNPROCESSABLE_CONTENT;
		return;
	}
	if (err) {
		x->status = err == DCR_ERR_NOMEM || err == DCR_ERR_INTERNAL
		                    ? MHD_HTTP_INTERNAL_SERVER_ERROR
		                    : MHD_HTTP_BAD_REQUEST;
		return;
	}
	eo.max_rows = s->opts.max_result_rows;
	if (x->plan) {
		uint64_t seq;

		/* spent, durably, before anything runs: refused when it would
		 * overspend (and then nothing is spent) */
		x->status = server_ledger_debit(s, r, x->plan->epsilon, a->sql, a->len, &seq,
		                                &x->msg);
		if (x->status) {
			if (x->status == MHD_HTTP_UNPROCESSABLE_CONTENT)
				x->outcome = QUERY_REFUSED;
			return;
		}
		cap.rel = x->plan->cap_rel;
		cap.column = x->plan->cap_column;
		cap.max_rows = x->plan->cap;
		cap.random = dcr_rng_os.fill;
		cap.random_ctx = dcr_rng_os.ctx;
		eo.cap = &cap;
		/* the k and row limits apply to what is released, after selection */
		eo.max_rows = 0;
	}
	err = dcr_query_run(x->q, &eo, &x->result, NULL, &x->msg);
	if (!err && x->plan) {
		struct dcr_rng_pool pool;
		struct dcr_rng rng;

		/* the OS CSPRNG, read a block at a time */
		dcr_rng_pool_init(&pool, &rng);
		err = dcr_privacy_add_noise(x->plan, x->result, &rng, &x->noise_lines, &x->msg);
		dcr_rng_pool_wipe(&pool);
	}
	if (!err && x->plan && s->opts.max_result_rows &&
	    x->result->row_count > s->opts.max_result_rows)
		err = dcr_fail(&x->msg, DCR_ERR_TOO_BIG, "the answer has more than %" PRIu64
		               " rows", s->opts.max_result_rows);
	if (err) {
		x->status = err == DCR_ERR_NOMEM || err == DCR_ERR_INTERNAL
		                    ? MHD_HTTP_INTERNAL_SERVER_ERROR
		                    : MHD_HTTP_BAD_REQUEST;
		return;
	}
	if (dcr_result_format(x->result, DCR_FORMAT_CSV, &x->csv)) {
		dcr_msg_set(&x->msg, "cannot format the result");
		x->status = MHD_HTTP_INTERNAL_SERVER_ERROR;
		return;
	}
	/* the datasets the answer came from, as they are now */
	b = dcr_query_bound(x->q);
	for (size_t i = 0; i < b->rel_count; i++) {
		const struct server_dataset *ds = NULL;
		bool seen = false;

		for (size_t j = 0; j < s->dataset_count && !ds; j++)
			if (s->datasets[j].table == b->rels[i].table)
				ds = &s->datasets[j];
		for (size_t j = 0; j < x->used_count; j++)
			seen |= !strcmp(x->used[j].name, ds ? ds->def->name : "");
		if (!ds || seen || x->used_count == sizeof(x->used) / sizeof(x->used[0]))
			continue;
		x->used[x->used_count].name = ds->def->name;
		memcpy(x->used[x->used_count].content_hash, ds->content_hash, 32);
		x->used[x->used_count].rows = ds->rows;
		x->used_count++;
	}
	x->outcome = QUERY_ANSWERED;
}

enum MHD_Result server_query_end(struct MHD_Connection *c, struct server_request *r)
{
	struct dcr_server *s = r->s;
	struct dcr_buf plain, receipt_text;
	struct dcr_receipt receipt = {0};
	struct run x = {0};
	struct ask a;
	double t0 = server_now();
	char sig[DCR_SIGNATURE_B64_SIZE], hex[65], *text = NULL;
	enum MHD_Result ret;
	json_t *o = NULL;
	int status;

	dcr_buf_init(&x.csv, SIZE_MAX);
	dcr_buf_init(&x.noise_lines, 1u << 20);
	dcr_buf_init(&receipt_text, 1u << 20);
	dcr_buf_init(&plain, 0);
	if (r->fail_status) {
		ret = server_answer_error(c, r, r->fail_status, "%s", r->fail_msg.text);
		goto out;
	}
	if (dcr_envelope_open(s->room, r->body.data, r->body.size, s->opts.max_body, &plain,
	                      &x.msg)) {
		ret = server_answer_error(c, r, MHD_HTTP_BAD_REQUEST,
		                          "the body is not an envelope to this clean room's key: %s",
		                          x.msg.text);
		goto out;
	}
	o = json_loadb((const char *)plain.data, plain.size, JSON_REJECT_DUPLICATES, NULL);
	status = parse_ask(s, o, &a, &x.msg);
	if (status) {
		ret = server_answer_error(c, r, status, "%s", x.msg.text);
		goto out;
	}

	pthread_rwlock_rdlock(&s->catalog_lock);
	run_locked(s, r, &a, &x);
	pthread_rwlock_unlock(&s->catalog_lock);

	if (x.outcome == QUERY_REFUSED) {
		struct dcr_msg am = {{0}};
		uint64_t seq;

		/* a refusal is on the record too */
		status = server_audit_append(s,
		                             json_pack("{s:s, s:s, s:s%, s:s}", "party",
		                                       r->party->name, "action", "query", "query",
		                                       a.sql, a.len, "refused", x.msg.text),
		                             &seq, &am);
		if (status)
			x.msg = am;
		else
			status = x.status;
		server_metrics_query(&s->metrics, QUERY_REFUSED, server_now() - t0);
		ret = server_answer_error(c, r, status, "%s", x.msg.text);
		goto out;
	}
	if (x.status) {
		server_metrics_query(&s->metrics, QUERY_FAILED, server_now() - t0);
		ret = server_answer_error(c, r, x.status, "%s", x.msg.text);
		goto out;
	}

	memcpy(receipt.contract_hash, s->contract->hash, 32);
	receipt.tee = s->tee->name;
	memcpy(receipt.measurement, s->measurement, s->measurement_size);
	receipt.measurement_size = s->measurement_size;
	receipt.analyst = r->party->name;
	receipt.time = (int64_t)time(NULL);
	dcr_sha256(a.sql, a.len, receipt.query_hash);
	receipt.datasets = x.used;
	receipt.dataset_count = x.used_count;
	if (x.plan) {
		receipt.epsilon = x.plan->epsilon;
		if (dcr_buf_append(&x.noise_lines, "", 1)) {
			ret = server_answer_error(c, r, MHD_HTTP_INTERNAL_SERVER_ERROR,
			                          "out of memory");
			goto out;
		}
		receipt.noise_lines = (const char *)x.noise_lines.data;
	}
	dcr_sha256(x.csv.data, x.csv.size, receipt.result_hash);
	dcr_hex_encode(hex, receipt.result_hash, 32);
	/* on the record before anything leaves */
	status = server_audit_append(s,
	                             json_pack("{s:s, s:s, s:s%, s:I, s:s}", "party", r->party->name,
	                                       "action", "query", "query", a.sql, a.len, "rows",
	                                       (json_int_t)x.result->row_count, "result_hash",
	                                       hex),
	                             &receipt.audit_seq, &x.msg);
	if (status) {
		server_metrics_query(&s->metrics, QUERY_FAILED, server_now() - t0);
		ret = server_answer_error(c, r, status, "%s", x.msg.text);
		goto out;
	}
	if (dcr_receipt_format(&receipt, &receipt_text)) {
		ret = server_answer_error(c, r, MHD_HTTP_INTERNAL_SERVER_ERROR,
		                          "cannot format the receipt");
		goto out;
	}
	dcr_receipt_sign(s->room, (const char *)receipt_text.data, receipt_text.size, sig);
	text = answer_json(x.result, &x.csv, &receipt_text, sig);
	if (!text) {
		server_metrics_query(&s->metrics, QUERY_FAILED, server_now() - t0);
		ret = server_answer_error(c, r, MHD_HTTP_INTERNAL_SERVER_ERROR,
		                          "cannot encode the answer");
		goto out;
	}
	server_metrics_query(&s->metrics, QUERY_ANSWERED, server_now() - t0);
	ret = server_answer_sealed(c, r, text, strlen(text));
out:
	free(text);
	json_decref(o);
	dcr_buf_free(&plain);
	dcr_buf_free(&receipt_text);
	dcr_buf_free(&x.csv);
	dcr_buf_free(&x.noise_lines);
	dcr_table_free(x.result);
	dcr_dp_plan_free(x.plan);
	dcr_query_free(x.q);
	return ret;
}

enum MHD_Result server_audit_answer(struct MHD_Connection *c, struct server_request *r)
{
	struct dcr_buf b;
	enum MHD_Result ret;

	dcr_buf_init(&b, SIZE_MAX);
	if (dcr_audit_export(r->s->audit, &b))
		ret = server_answer_error(c, r, MHD_HTTP_INTERNAL_SERVER_ERROR,
		                          "cannot read the audit log");
	else
		ret = server_answer_sealed(c, r, (const char *)b.data, b.size);
	dcr_buf_free(&b);
	return ret;
}

enum MHD_Result server_budget_answer(struct MHD_Connection *c, struct server_request *r)
{
	const struct dcr_contract *k = r->s->contract;
	enum MHD_Result ret;
	char *text;
	json_t *o;

	if (k->has_dp) {
		double spent, left;

		server_ledger_get(r->s, r->party_index, &spent, &left);
		o = json_pack("{s:s, s:f, s:f, s:f, s:f}", "analyst", r->party->name,
		              "epsilon_total", k->dp.epsilon_per_analyst, "epsilon_spent", spent,
		              "epsilon_remaining", left, "epsilon_per_query",
		              k->dp.epsilon_per_query);
	} else
		o = json_pack("{s:s, s:b}", "analyst", r->party->name, "dp", 0);
	text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!text)
		return server_answer_error(c, r, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	ret = server_answer_sealed(c, r, text, strlen(text));
	free(text);
	return ret;
}
