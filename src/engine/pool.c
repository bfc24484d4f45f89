/* SPDX-License-Identifier: Apache-2.0 */
/* A fork-join thread pool: pool_run hands out numbered tasks to persistent
 * workers (the caller is one of them) and waits for all of them. */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "engine_int.h"

struct pool {
	unsigned size;               /* workers, the caller included */
	pthread_t *threads;          /* size - 1 */
	pthread_mutex_t lock;
	pthread_cond_t start;        /* a new job, or stop */
	pthread_cond_t done;         /* the last worker left the job */
	uint64_t generation;         /* bumped per job */
	bool stop;
	/* the current job */
	pool_fn fn;
	void *ctx;
	size_t tasks;
	atomic_size_t next;          /* next task to hand out */
	unsigned busy;               /* workers still in the job */
};

unsigned engine_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > 1024 ? 1024 : (unsigned)n;
}

static void work(struct pool *p, unsigned worker)
{
	for (;;) {
		size_t t = atomic_fetch_add(&p->next, 1);

		if (t >= p->tasks)
			break;
		p->fn(p->ctx, worker, t);
	}
}

struct worker_arg {
	struct pool *p;
	unsigned worker;
};

static void *worker_main(void *arg)
{
	struct worker_arg *wa = arg;
	struct pool *p = wa->p;
	unsigned worker = wa->worker;
	uint64_t seen = 0;

	free(wa);
	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (!p->stop && p->generation == seen)
			pthread_cond_wait(&p->start, &p->lock);
		if (p->stop)
			break;
		seen = p->generation;
		pthread_mutex_unlock(&p->lock);
		work(p, worker);
		pthread_mutex_lock(&p->lock);
		if (--p->busy == 0)
			pthread_cond_signal(&p->done);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

struct pool *pool_new(unsigned threads)
{
	struct pool *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->size = threads ? threads : engine_cpus();
	if (p->size > 1024)
		p->size = 1024;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->start, NULL);
	pthread_cond_init(&p->done, NULL);
	p->threads = calloc(p->size, sizeof(*p->threads));
	if (!p->threads) {
		pool_free(p);
		return NULL;
	}
	for (unsigned i = 1; i < p->size; i++) {
		struct worker_arg *wa = malloc(sizeof(*wa));

		if (wa) {
			wa->p = p;
			wa->worker = i;
		}
		if (!wa || pthread_create(&p->threads[i - 1], NULL, worker_main, wa) != 0) {
			free(wa);
			p->size = i; /* the ones started so far */
			pool_free(p);
			return NULL;
		}
	}
	return p;
}

unsigned pool_size(const struct pool *p)
{
	return p->size;
}

void pool_run(struct pool *p, size_t tasks, pool_fn fn, void *ctx)
{
	if (tasks == 0)
		return;
	if (p->size == 1 || tasks == 1) {
		for (size_t t = 0; t < tasks; t++)
			fn(ctx, 0, t);
		return;
	}
	pthread_mutex_lock(&p->lock);
	p->fn = fn;
	p->ctx = ctx;
	p->tasks = tasks;
	atomic_store(&p->next, 0);
	p->busy = p->size - 1;
	p->generation++;
	pthread_cond_broadcast(&p->start);
	pthread_mutex_unlock(&p->lock);

	work(p, 0);

	pthread_mutex_lock(&p->lock);
	while (p->busy)
		pthread_cond_wait(&p->done, &p->lock);
	pthread_mutex_unlock(&p->lock);
}

void pool_free(struct pool *p)
{
	if (!p)
		return;
	if (p->threads) {
		pthread_mutex_lock(&p->lock);
		p->stop = true;
		pthread_cond_broadcast(&p->start);
		pthread_mutex_unlock(&p->lock);
		for (unsigned i = 1; i < p->size; i++)
			pthread_join(p->threads[i - 1], NULL);
	}
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->start);
	pthread_cond_destroy(&p->done);
	free(p->threads);
	free(p);
}
