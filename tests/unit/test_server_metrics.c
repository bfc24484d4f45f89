/* SPDX-License-Identifier: Apache-2.0 */
/* server: GET /metrics in the Prometheus text format — request counts by
 * endpoint and code, uploads, queries and a cumulative latency histogram. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "server/server_int.h"
#include "testutil.h"

static void has(const struct dcr_buf *b, const char *line)
{
	if (!strstr((const char *)b->data, line))
		fail_msg("metrics lack \"%s\":\n%s", line, b->data);
}

static void test_format(void **state)
{
	static struct server_metrics m; /* zeroed */
	struct dcr_buf b;

	(void)state;
	server_metrics_request(&m, EP_QUERIES, 200);
	server_metrics_request(&m, EP_QUERIES, 200);
	server_metrics_request(&m, EP_DATASETS, 401);
	server_metrics_request(&m, EP_OTHER, 418); /* not counted one by one */
	server_metrics_query(&m, QUERY_ANSWERED, 0.02);
	server_metrics_query(&m, QUERY_ANSWERED, 2.0);
	server_metrics_query(&m, QUERY_REFUSED, 0.0001);
	server_metrics_query(&m, QUERY_FAILED, 100.0);
	atomic_fetch_add(&m.uploads, 3);
	atomic_fetch_add(&m.upload_rows, 300000);

	dcr_buf_init(&b, 1 << 20);
	assert_int_equal(server_metrics_format(&m, &b), DCR_OK);
	has(&b, "# TYPE dcr_requests_total counter\n");
	has(&b, "dcr_requests_total{endpoint=\"queries\",code=\"200\"} 2\n");
	has(&b, "dcr_requests_total{endpoint=\"datasets\",code=\"401\"} 1\n");
	has(&b, "dcr_requests_total{endpoint=\"other\",code=\"other\"} 1\n");
	has(&b, "dcr_uploads_total 3\n");
	has(&b, "dcr_upload_rows_total 300000\n");
	has(&b, "dcr_queries_total{outcome=\"answered\"} 2\n");
	has(&b, "dcr_queries_total{outcome=\"refused\"} 1\n");
	has(&b, "dcr_queries_total{outcome=\"failed\"} 1\n");
	/* cumulative buckets; 100 s is only in +Inf */
	has(&b, "dcr_query_seconds_bucket{le=\"0.001\"} 1\n");
	has(&b, "dcr_query_seconds_bucket{le=\"0.05\"} 2\n");
	has(&b, "dcr_query_seconds_bucket{le=\"5\"} 3\n");
	has(&b, "dcr_query_seconds_bucket{le=\"60\"} 3\n");
	has(&b, "dcr_query_seconds_bucket{le=\"+Inf\"} 4\n");
	has(&b, "dcr_query_seconds_count 4\n");
	has(&b, "dcr_query_seconds_sum 102.020100\n");
	/* endpoints with no requests are not listed */
	assert_null(strstr((const char *)b.data, "endpoint=\"budget\""));
	dcr_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
