/* SPDX-License-Identifier: Apache-2.0 */
/* The datasets: their sealed files in DIR/datasets, loading them at start,
 * and PUT /v1/datasets/{name} — the body decrypted as it streams into the
 * CSV reader and a new sealed file at once, committed whole or not at all. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server_int.h"

/* Where decrypted CSV goes: the reader, the new sealed file (uploads only),
 * the content hash. The first error is kept with its status. */
struct feed {
	struct server_dataset *ds;
	struct dcr_csv_reader *csv;
	struct dcr_seal_writer *seal;
	struct dcr_sha256_ctx sha;
	uint64_t bytes;
	int status;
	struct dcr_msg msg;
};

struct server_upload {
	struct feed feed;
	struct dcr_envelope_reader *env;
};

static enum dcr_type csv_type(enum dcr_col_type t)
{
	switch (t) {
	case DCR_COL_ID:
		return DCR_TYPE_ID;
	case DCR_COL_INT:
		return DCR_TYPE_INT;
	case DCR_COL_FLOAT:
		return DCR_TYPE_FLOAT;
	case DCR_COL_DATE:
		return DCR_TYPE_DATE;
	default:
		return DCR_TYPE_STRING;
	}
}

enum dcr_err server_datasets_init(struct dcr_server *s, struct dcr_msg *msg)
{
	const struct dcr_contract *c = s->contract;

	s->datasets = calloc(c->dataset_count ? c->dataset_count : 1, sizeof(*s->datasets));
	if (!s->datasets)
		return dcr_fail(msg, DCR_ERR_NOMEM, "out of memory");
	s->dataset_count = c->dataset_count;
	for (size_t i = 0; i < c->dataset_count; i++) {
		struct server_dataset *ds = &s->datasets[i];
		const struct dcr_dataset *d = &c->datasets[i];
		size_t n = strlen(s->data_dir) + strlen(d->name) + sizeof("/datasets/.sealed");

		ds->def = d;
		ds->schema = calloc(d->column_count ? d->column_count : 1, sizeof(*ds->schema));
		ds->path = malloc(n);
		ds->label = malloc(strlen(d->name) + sizeof("dataset "));
		if (!ds->schema || !ds->path || !ds->label)
			return dcr_fail(msg, DCR_ERR_NOMEM, "out of memory");
		/* dataset names are SQL identifiers: safe as file names */
		snprintf(ds->path, n, "%s/datasets/%s.sealed", s->data_dir, d->name);
		sprintf(ds->label, "dataset %s", d->name);
		for (size_t j = 0; j < d->column_count; j++) {
			ds->schema[j].name = d->columns[j].name;
			ds->schema[j].type = csv_type(d->columns[j].type);
		}
		ds->csv.columns = ds->schema;
		ds->csv.column_count = d->column_count;
		/* ids arrive hashed (64 hex digits): no id_fn; errors never show a value */
		ds->csv.hide_values = true;
	}
	return DCR_OK;
}

void server_datasets_free(struct dcr_server *s)
{
	for (size_t i = 0; i < s->dataset_count; i++) {
		dcr_table_free(s->datasets[i].table);
		free(s->datasets[i].schema);
		free(s->datasets[i].path);
		free(s->datasets[i].label);
	}
	free(s->datasets);
	s->datasets = NULL;
	s->dataset_count = 0;
}

struct server_dataset *server_dataset_find(struct dcr_server *s, const char *name)
{
	const struct dcr_dataset *d = dcr_contract_dataset(s->contract, name);

	return d ? &s->datasets[d - s->contract->datasets] : NULL;
}

/* ---- the feed ------------------------------------------------------------ */

/* A CSV error is the uploader's: 409 when the header is not the schema. */
static int csv_status(enum dcr_err err, const struct dcr_msg *msg)
{
	if (err == DCR_ERR_NOMEM || err == DCR_ERR_INTERNAL)
		return MHD_HTTP_INTERNAL_SERVER_ERROR;
	if (strstr(msg->text, "does not match the schema"))
		return MHD_HTTP_CONFLICT;
	return MHD_HTTP_BAD_REQUEST;
}

static enum dcr_err feed_start(struct feed *f, struct server_dataset *ds)
{
	enum dcr_err err;

	memset(f, 0, sizeof(*f));
	f->ds = ds;
	err = dcr_csv_reader_new(ds->def->name, &ds->csv, &f->csv);
	if (!err)
		dcr_sha256_init(&f->sha); /* released by final, or by feed_free */
	return err;
}

static enum dcr_err feed_sink(void *ctx, const uint8_t *data, size_t size)
{
	struct feed *f = ctx;
	enum dcr_err err;

	err = dcr_csv_reader_write(f->csv, data, size, &f->msg);
	if (err) {
		f->status = csv_status(err, &f->msg);
		dcr_msg_prefix(&f->msg, "dataset %s: ", f->ds->def->name);
		return err;
	}
	if (f->seal) {
		err = dcr_seal_writer_write(f->seal, data, size, &f->msg);
		if (err) {
			f->status = MHD_HTTP_INTERNAL_SERVER_ERROR;
			dcr_msg_prefix(&f->msg, "storing dataset %s: ", f->ds->def->name);
			return err;
		}
	}
	dcr_sha256_update(&f->sha, data, size);
	f->bytes += size;
	return DCR_OK;
}

/* Ends the CSV: the table, or the status of what was wrong. */
static int feed_finish(struct feed *f, struct dcr_table **out)
{
	enum dcr_err err;

	*out = NULL;
	err = dcr_csv_reader_finish(f->csv, out, &f->msg);
	if (err) {
		f->status = csv_status(err, &f->msg);
		dcr_msg_prefix(&f->msg, "dataset %s: ", f->ds->def->name);
	}
	return f->status;
}

static void feed_free(struct feed *f)
{
	dcr_csv_reader_free(f->csv);
	dcr_seal_writer_free(f->seal);
	dcr_sha256_discard(&f->sha);
	f->csv = NULL;
	f->seal = NULL;
}

/* ---- loading at start ------------------------------------------------------ */

static void load_one(struct dcr_server *s, struct server_dataset *ds)
{
	struct dcr_msg msg = {{0}};
	struct dcr_table *t = NULL;
	struct feed f;
	enum dcr_err err;
	char hex[65];

	err = feed_start(&f, ds);
	if (err) {
		dcr_log_error("dataset %s: cannot start a CSV reader: %s", ds->def->name,
		              dcr_strerror(err));
		return;
	}
	err = dcr_seal_read(s->seal_key, ds->path, ds->label, feed_sink, &f, &msg);
	if (err == DCR_ERR_NOT_FOUND) {
		dcr_log_info("dataset %s: not uploaded yet", ds->def->name);
		goto out;
	}
	if (!err && feed_finish(&f, &t))
		err = DCR_ERR_INVALID;
	if (err) {
		/* the dataset is left out; its owner can upload it again */
		dcr_log_error("*** dataset %s: REFUSED, left out until its owner uploads it again: "
		              "%s ***",
		              ds->def->name, f.status ? f.msg.text : msg.text);
		goto out;
	}
	ds->table = t;
	ds->rows = t->row_count;
	ds->bytes = f.bytes;
	dcr_sha256_final(&f.sha, ds->content_hash);
	dcr_hex_encode(hex, ds->content_hash, sizeof(ds->content_hash));
	dcr_log_info("dataset %s: %" PRIu64 " rows, content %.16s...", ds->def->name, ds->rows,
	             hex);
out:
	feed_free(&f);
}

void server_datasets_load(struct dcr_server *s)
{
	for (size_t i = 0; i < s->dataset_count; i++)
		load_one(s, &s->datasets[i]);
}

/* The log was opened with the room's key, so it is this room's: its first
 * entry must also say it is this contract's (the start entry). */
static bool first_is_start(struct dcr_server *s, json_t *entries)
{
	const char *text = json_string_value(json_object_get(json_array_get(entries, 0), "text"));
	json_t *e = text ? json_loads(text, 0, NULL) : NULL;
	const char *action = json_string_value(json_object_get(e, "action"));
	const char *contract = json_string_value(json_object_get(e, "contract"));
	bool ok = action && !strcmp(action, "start") && contract &&
	          !strcmp(contract, s->contract_hex);

	json_decref(e);
	return ok;
}

/* Each loaded dataset's content hash must be the last one the audit log
 * records for it. A crash after an upload's commit and before its audit
 * entry leaves one that is not, and so does an operator who puts an older
 * sealed file back: either way an entry marked "recovered" says now which
 * version is served, so no answer rests on data the log does not name. */
enum dcr_err server_datasets_reconcile(struct dcr_server *s, struct dcr_msg *msg)
{
	struct dcr_buf b;
	json_t *root = NULL, *entries;
	char (*last)[65] = calloc(s->dataset_count + 1, sizeof(*last));
	enum dcr_err err;
	size_t i;

	if (!last)
		return dcr_fail(msg, DCR_ERR_NOMEM, "out of memory");
	dcr_buf_init(&b, SIZE_MAX);
	err = dcr_audit_export(s->audit, &b);
	if (err) {
		dcr_msg_set(msg, "audit log: cannot read it back: %s", dcr_strerror(err));
		goto out;
	}
	root = json_loadb((const char *)b.data, b.size, 0, NULL);
	entries = json_object_get(root, "entries");
	if (!first_is_start(s, entries)) {
		err = dcr_fail(msg, DCR_ERR_VERIFY,
		               "audit.log: its first entry is not the start of a clean room for "
		               "contract %.16s...",
		               s->contract_hex);
		goto out;
	}
	for (i = 0; i < json_array_size(entries); i++) {
		const char *text = json_string_value(json_object_get(json_array_get(entries, i),
		                                                     "text"));
		json_t *e = text ? json_loads(text, 0, NULL) : NULL;
		const char *action = json_string_value(json_object_get(e, "action"));
		const char *name = json_string_value(json_object_get(e, "dataset"));
		const char *hash = json_string_value(json_object_get(e, "content_hash"));
		struct server_dataset *ds = name ? server_dataset_find(s, name) : NULL;

		if (action && !strcmp(action, "upload") && ds && hash && strlen(hash) == 64)
			memcpy(last[ds - s->datasets], hash, 65);
		server_ledger_replay(s, e);
		json_decref(e);
	}
	for (i = 0; i < s->dataset_count; i++) {
		struct server_dataset *ds = &s->datasets[i];
		char hex[65];
		uint64_t seq;

		if (!ds->table)
			continue;
		dcr_hex_encode(hex, ds->content_hash, sizeof(ds->content_hash));
		if (!strcmp(hex, last[i]))
			continue;
		dcr_log_warn("dataset %s: the stored version (content %.16s...) is not the last "
		             "one the audit log records (a crash during its upload, or an older "
		             "file put back); recording it now",
		             ds->def->name, hex);
		if (server_audit_append(s,
		                        json_pack("{s:s, s:s, s:s, s:I, s:s, s:b}", "party",
		                                  s->contract->parties[ds->def->owner].name,
		                                  "action", "upload", "dataset", ds->def->name,
		                                  "rows", (json_int_t)ds->rows, "content_hash",
		                                  hex, "recovered", 1),
		                        &seq, msg)) {
			err = DCR_ERR_IO;
			goto out;
		}
	}
out:
	json_decref(root);
	dcr_buf_free(&b);
	free(last);
	return err;
}

/* ---- uploads ---------------------------------------------------------------- */

int server_upload_begin(struct dcr_server *s, struct server_request *r, struct dcr_msg *msg)
{
	struct server_upload *u = calloc(1, sizeof(*u));
	enum dcr_err err;

	if (!u) {
		dcr_msg_set(msg, "out of memory");
		return MHD_HTTP_INTERNAL_SERVER_ERROR;
	}
	r->upload = u;
	err = feed_start(&u->feed, r->dataset);
	if (!err)
		err = dcr_seal_writer_new(s->seal_key, r->dataset->path, r->dataset->label,
		                          &u->feed.seal, msg);
	else
		dcr_msg_set(msg, "%s", dcr_strerror(err));
	if (!err)
		err = dcr_envelope_reader_new(s->room, feed_sink, &u->feed, &u->env);
	if (err) {
		dcr_msg_prefix(msg, "cannot start the upload: ");
		return MHD_HTTP_INTERNAL_SERVER_ERROR;
	}
	return 0;
}

void server_upload_data(struct server_request *r, const uint8_t *data, size_t size)
{
	struct server_upload *u = r->upload;
	struct dcr_msg m = {{0}};

	/* after an error the rest is only hashed (for the signature) */
	if (u->feed.status)
		return;
	if (dcr_envelope_reader_write(u->env, data, size, &m) && !u->feed.status) {
		u->feed.status = MHD_HTTP_BAD_REQUEST;
		dcr_msg_set(&u->feed.msg, "the body is not an envelope to this clean room's key: %s",
		            m.text);
	}
}

void server_upload_free(struct server_upload *u)
{
	if (!u)
		return;
	dcr_envelope_reader_free(u->env);
	feed_free(&u->feed);
	free(u);
}

/* Commits the new version: sealed file, audit entry, then the catalog. */
static int commit(struct dcr_server *s, struct server_request *r, struct dcr_table **table,
                  const uint8_t hash[static 32], uint64_t *out_seq, struct dcr_msg *msg)
{
	struct server_dataset *ds = r->dataset;
	struct dcr_table *old = NULL;
	char hex[65];
	int status = 0;

	dcr_hex_encode(hex, hash, 32);
	pthread_mutex_lock(&s->commit_lock);
	if (dcr_seal_writer_commit(r->upload->feed.seal, msg)) {
		dcr_msg_prefix(msg, "storing dataset %s: ", ds->def->name);
		status = MHD_HTTP_INTERNAL_SERVER_ERROR;
		goto out;
	}
	status = server_audit_append(s,
	                             json_pack("{s:s, s:s, s:s, s:I, s:s}", "party", r->party->name,
	                                       "action", "upload", "dataset", ds->def->name,
	                                       "rows", (json_int_t)(*table)->row_count,
	                                       "content_hash", hex),
	                             out_seq, msg);
	if (status)
		goto out;
	pthread_rwlock_wrlock(&s->catalog_lock);
	old = ds->table;
	ds->table = *table;
	ds->rows = (*table)->row_count;
	ds->bytes = r->upload->feed.bytes;
	memcpy(ds->content_hash, hash, 32);
	pthread_rwlock_unlock(&s->catalog_lock);
	*table = NULL;
out:
	pthread_mutex_unlock(&s->commit_lock);
	dcr_table_free(old);
	return status;
}

enum MHD_Result server_upload_end(struct MHD_Connection *c, struct server_request *r)
{
	struct dcr_server *s = r->s;
	struct server_upload *u = r->upload;
	struct dcr_msg m = {{0}};
	struct dcr_table *t = NULL;
	uint8_t hash[DCR_SHA256_SIZE];
	char hex[65], *text;
	uint64_t seq = 0, rows, bytes;
	enum MHD_Result ret;
	enum dcr_err err;
	int status;
	json_t *o;

	if (!u->feed.status && (err = dcr_envelope_reader_finish(u->env, &m)) && !u->feed.status) {
		u->feed.status = MHD_HTTP_BAD_REQUEST;
		dcr_msg_set(&u->feed.msg, "%s: %s",
		            err == DCR_ERR_TRUNCATED ? "the envelope is incomplete"
		                                     : "the body is not an envelope to this clean "
		                                       "room's key",
		            m.text);
	}
	if (!u->feed.status)
		feed_finish(&u->feed, &t);
	if (u->feed.status) {
		/* freeing the upload removes the unfinished sealed file */
		dcr_log_info("upload of dataset %s by %s refused (%d)", r->dataset->def->name,
		             r->party->name, u->feed.status);
		return server_answer_error(c, r, u->feed.status, "%s", u->feed.msg.text);
	}
	dcr_sha256_final(&u->feed.sha, hash);
	rows = t->row_count;
	bytes = u->feed.bytes; /* the envelope's last chunk arrives at its finish */
	status = commit(s, r, &t, hash, &seq, &m);
	dcr_table_free(t);
	if (status)
		return server_answer_error(c, r, status, "%s", m.text);

	atomic_fetch_add(&s->metrics.uploads, 1);
	atomic_fetch_add(&s->metrics.upload_rows, rows);
	atomic_fetch_add(&s->metrics.upload_bytes, bytes);
	dcr_hex_encode(hex, hash, sizeof(hash));
	dcr_log_info("dataset %s: %" PRIu64 " rows uploaded by %s, content %.16s...",
	             r->dataset->def->name, rows, r->party->name, hex);
	o = json_pack("{s:s, s:I, s:I, s:s, s:I}", "dataset", r->dataset->def->name, "rows",
	              (json_int_t)rows, "bytes", (json_int_t)bytes, "content_hash", hex,
	              "audit_seq", (json_int_t)seq);
	text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!text)
		return server_answer_error(c, r, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	ret = server_answer_sealed(c, r, text, strlen(text));
	free(text);
	return ret;
}
