/* SPDX-License-Identifier: Apache-2.0 */
/* The signed-query half of bench/load: THREADS clients, each attesting the
 * clean room once and then sending signed queries back to back for SECONDS;
 * prints one JSON line: answers, errors, latency percentiles. Built by
 * bench/load against build/release/libdcr.a; not part of the product. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dcr/client.h"

struct shared {
	const char *url, *sql;
	const struct dcr_contract *contract;
	const struct dcr_seckey *key;
	double deadline;
	atomic_ulong ok, errors;
	pthread_mutex_t lock;
	double *lat;               /* all latencies, seconds */
	size_t nlat, cap;
	char first_error[DCR_MSG_SIZE];
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *worker(void *arg)
{
	struct shared *s = arg;
	struct dcr_client *cl = NULL;
	struct dcr_room room;
	struct dcr_msg msg = {{0}};
	double *mine = NULL;
	size_t n = 0, cap = 0;

	if (dcr_client_new(s->url, s->contract, s->key, NULL, &cl, &msg) ||
	    dcr_client_attest(cl, &room, &msg)) {
		atomic_fetch_add(&s->errors, 1);
		pthread_mutex_lock(&s->lock);
		if (!s->first_error[0])
			snprintf(s->first_error, sizeof(s->first_error), "%s", msg.text);
		pthread_mutex_unlock(&s->lock);
		dcr_client_free(cl);
		return NULL;
	}
	while (now() < s->deadline) {
		struct dcr_query_answer a;
		double t0 = now();
		enum dcr_err err = dcr_client_query(cl, s->sql, NULL, &a, &msg);

		if (err) {
			atomic_fetch_add(&s->errors, 1);
			pthread_mutex_lock(&s->lock);
			if (!s->first_error[0])
				snprintf(s->first_error, sizeof(s->first_error), "%s", msg.text);
			pthread_mutex_unlock(&s->lock);
			continue;
		}
		dcr_query_answer_free(&a);
		atomic_fetch_add(&s->ok, 1);
		if (n == cap) {
			double *p;

			cap = cap ? cap * 2 : 1024;
			p = realloc(mine, cap * sizeof(*p));
			if (!p)
				break;
			mine = p;
		}
		mine[n++] = now() - t0;
	}
	pthread_mutex_lock(&s->lock);
	if (s->nlat + n > s->cap) {
		size_t cap2 = (s->nlat + n) * 2;
		double *p = realloc(s->lat, cap2 * sizeof(*p));

		if (p) {
			s->lat = p;
			s->cap = cap2;
		}
	}
	if (s->nlat + n <= s->cap) {
		memcpy(s->lat + s->nlat, mine, n * sizeof(*mine));
		s->nlat += n;
	}
	pthread_mutex_unlock(&s->lock);
	free(mine);
	dcr_client_free(cl);
	return NULL;
}

/* For the JSON line: quotes, backslashes and control characters become ' ' */
static void tame(char *s)
{
	for (; *s; s++)
		if (*s == '"' || *s == '\\' || (unsigned char)*s < 0x20)
			*s = ' ';
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	struct shared s = {0};
	struct dcr_contract *c = NULL;
	struct dcr_seckey *key = NULL;
	struct dcr_msg msg = {{0}};
	pthread_t *t;
	int threads, seconds;
	double start;

	if (argc != 7) {
		fprintf(stderr, "usage: loadgen URL CONTRACT KEY THREADS SECONDS SQL\n");
		return 2;
	}
	if (dcr_crypto_init() || dcr_contract_load(argv[2], (int64_t)time(NULL), 0, &c, &msg) ||
	    dcr_seckey_load(argv[3], &key, &msg)) {
		fprintf(stderr, "loadgen: %s\n", msg.text);
		return 1;
	}
	threads = atoi(argv[4]);
	seconds = atoi(argv[5]);
	s.url = argv[1];
	s.sql = argv[6];
	s.contract = c;
	s.key = key;
	pthread_mutex_init(&s.lock, NULL);
	t = calloc((size_t)threads, sizeof(*t));
	start = now();
	s.deadline = start + seconds;
	for (int i = 0; i < threads; i++)
		pthread_create(&t[i], NULL, worker, &s);
	for (int i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	qsort(s.lat, s.nlat, sizeof(*s.lat), cmp_double);
	tame(s.first_error);
#define PCT(p) (s.nlat ? s.lat[(size_t)((double)(s.nlat - 1) * (p))] * 1000 : 0)
	printf("{\"threads\": %d, \"seconds\": %.1f, \"answers\": %lu, \"errors\": %lu, "
	       "\"per_second\": %.1f, \"p50_ms\": %.1f, \"p95_ms\": %.1f, \"p99_ms\": %.1f, "
	       "\"max_ms\": %.1f, \"first_error\": \"%s\"}\n",
	       threads, now() - start, atomic_load(&s.ok), atomic_load(&s.errors),
	       (double)atomic_load(&s.ok) / (now() - start), PCT(0.50), PCT(0.95), PCT(0.99),
	       PCT(1.0), s.first_error);
	free(t);
	free(s.lat);
	dcr_seckey_free(key);
	dcr_contract_free(c);
	return atomic_load(&s.errors) ? 1 : 0;
}
