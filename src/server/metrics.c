/* SPDX-License-Identifier: Apache-2.0 */
/* GET /metrics: request, upload and query counters and a query latency
 * histogram in the Prometheus text format. Counts only, never a value. */
#include <inttypes.h>

#include "server_int.h"

static const int counted_codes[METRICS_CODES] = {200, 400, 401, 403, 404, 405,
                                                 409, 413, 422, 500, 503, 501};
static const double bucket_le[METRICS_BUCKETS] = {0.001, 0.005, 0.01, 0.05, 0.1,
                                                  0.5,   1,     5,    10,   60};
static const char *const bucket_text[METRICS_BUCKETS] = {"0.001", "0.005", "0.01", "0.05",
                                                         "0.1",   "0.5",   "1",    "5",
                                                         "10",    "60"};
static const char *const outcome_name[QUERY_OUTCOMES] = {"answered", "refused", "failed"};

const char *server_endpoint_name(enum server_endpoint ep)
{
	static const char *const names[EP_COUNT] = {
		"health", "attestation", "contract", "metrics", "datasets",
		"queries", "audit", "budget", "other",
	};

	return ep < EP_COUNT ? names[ep] : "other";
}

void server_metrics_request(struct server_metrics *m, enum server_endpoint ep, int status)
{
	size_t i = 0;

	while (i < METRICS_CODES && counted_codes[i] != status)
		i++;
	atomic_fetch_add_explicit(&m->requests[ep][i], 1, memory_order_relaxed);
}

void server_metrics_query(struct server_metrics *m, enum query_outcome o, double seconds)
{
	size_t i = 0;

	atomic_fetch_add_explicit(&m->queries[o], 1, memory_order_relaxed);
	if (seconds < 0)
		seconds = 0;
	while (i < METRICS_BUCKETS && seconds > bucket_le[i])
		i++;
	atomic_fetch_add_explicit(&m->query_buckets[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&m->query_micros, (uint64_t)(seconds * 1e6),
	                          memory_order_relaxed);
}

static uint64_t get(_Atomic uint64_t *v)
{
	return atomic_load_explicit(v, memory_order_relaxed);
}

enum dcr_err server_metrics_format(struct server_metrics *m, struct dcr_buf *out)
{
	enum dcr_err err;
	uint64_t cumulative = 0;

	err = dcr_buf_printf(out, "# HELP dcr_requests_total HTTP requests answered, by endpoint "
	                          "and status code.\n# TYPE dcr_requests_total counter\n");
	for (int ep = 0; ep < EP_COUNT && !err; ep++) {
		for (size_t i = 0; i <= METRICS_CODES && !err; i++) {
			uint64_t n = get(&m->requests[ep][i]);
			char code[8];

			if (!n)
				continue;
			if (i < METRICS_CODES)
				snprintf(code, sizeof(code), "%d", counted_codes[i]);
			else
				snprintf(code, sizeof(code), "other");
			err = dcr_buf_printf(out,
			                     "dcr_requests_total{endpoint=\"%s\",code=\"%s\"} %" PRIu64
			                     "\n",
			                     server_endpoint_name((enum server_endpoint)ep), code, n);
		}
	}
	if (!err)
		err = dcr_buf_printf(out,
		                     "# HELP dcr_uploads_total Datasets accepted.\n"
		                     "# TYPE dcr_uploads_total counter\n"
		                     "dcr_uploads_total %" PRIu64 "\n"
		                     "# HELP dcr_upload_rows_total Rows of the datasets accepted.\n"
		                     "# TYPE dcr_upload_rows_total counter\n"
		                     "dcr_upload_rows_total %" PRIu64 "\n"
		                     "# HELP dcr_upload_bytes_total CSV bytes of the datasets "
		                     "accepted.\n"
		                     "# TYPE dcr_upload_bytes_total counter\n"
		                     "dcr_upload_bytes_total %" PRIu64 "\n"
		                     "# HELP dcr_queries_total Queries, by outcome.\n"
		                     "# TYPE dcr_queries_total counter\n",
		                     get(&m->uploads), get(&m->upload_rows), get(&m->upload_bytes));
	for (int o = 0; o < QUERY_OUTCOMES && !err; o++)
		err = dcr_buf_printf(out, "dcr_queries_total{outcome=\"%s\"} %" PRIu64 "\n",
		                     outcome_name[o], get(&m->queries[o]));
	if (!err)
		err = dcr_buf_printf(out, "# HELP dcr_query_seconds Time to answer a query.\n"
		                          "# TYPE dcr_query_seconds histogram\n");
	for (size_t i = 0; i < METRICS_BUCKETS && !err; i++) {
		cumulative += get(&m->query_buckets[i]);
		err = dcr_buf_printf(out, "dcr_query_seconds_bucket{le=\"%s\"} %" PRIu64 "\n",
		                     bucket_text[i], cumulative);
	}
	cumulative += get(&m->query_buckets[METRICS_BUCKETS]);
	if (!err)
		err = dcr_buf_printf(out,
		                     "dcr_query_seconds_bucket{le=\"+Inf\"} %" PRIu64 "\n"
		                     "dcr_query_seconds_sum %.6f\n"
		                     "dcr_query_seconds_count %" PRIu64 "\n",
		                     cumulative, (double)get(&m->query_micros) / 1e6, cumulative);
	return err;
}
