/* SPDX-License-Identifier: Apache-2.0 */
/* server: the nonce cache that refuses replayed requests — per party, for
 * DCR_NONCE_WINDOW seconds, bounded. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "server/server_int.h"
#include "testutil.h"

static int setup(void **state)
{
	(void)state;
	return dcr_crypto_init() == DCR_OK ? 0 : -1;
}

static void nonce(uint8_t out[16], unsigned i)
{
	memset(out, 0, 16);
	memcpy(out, &i, sizeof(i));
}

static void test_replay_refused(void **state)
{
	struct nonce_cache *nc;
	uint8_t n[16];

	(void)state;
	assert_int_equal(nonce_cache_new(100, &nc), DCR_OK);
	nonce(n, 1);
	assert_int_equal(nonce_cache_reserve(nc, 0, n, 1000.0), DCR_OK);
	assert_int_equal(nonce_cache_reserve(nc, 0, n, 1000.5), DCR_ERR_EXISTS);
	/* another party's nonce is its own */
	assert_int_equal(nonce_cache_reserve(nc, 1, n, 1001.0), DCR_OK);
	/* still refused at the end of the window, forgotten after it */
	assert_int_equal(nonce_cache_reserve(nc, 0, n, 1000.0 + DCR_NONCE_WINDOW - 1),
	                 DCR_ERR_EXISTS);
	assert_int_equal(nonce_cache_reserve(nc, 0, n, 1000.0 + DCR_NONCE_WINDOW), DCR_OK);
	nonce_cache_free(nc);
}

static void test_release(void **state)
{
	struct nonce_cache *nc;
	uint8_t a[16], b[16];

	(void)state;
	assert_int_equal(nonce_cache_new(100, &nc), DCR_OK);
	nonce(a, 7);
	nonce(b, 8);
	assert_int_equal(nonce_cache_reserve(nc, 2, a, 5.0), DCR_OK);
	assert_int_equal(nonce_cache_reserve(nc, 2, b, 6.0), DCR_OK);
	nonce_cache_release(nc, 2, a);
	assert_int_equal(nonce_cache_reserve(nc, 2, a, 7.0), DCR_OK);
	assert_int_equal(nonce_cache_reserve(nc, 2, b, 7.0), DCR_ERR_EXISTS);
	nonce_cache_release(nc, 3, b); /* not that party's: nothing happens */
	assert_int_equal(nonce_cache_reserve(nc, 2, b, 7.0), DCR_ERR_EXISTS);
	nonce_cache_free(nc);
}

static void test_bounded(void **state)
{
	struct nonce_cache *nc;
	uint8_t n[16];

	(void)state;
	assert_int_equal(nonce_cache_new(1000, &nc), DCR_OK);
	for (unsigned i = 0; i < 1000; i++) {
		nonce(n, i);
		assert_int_equal(nonce_cache_reserve(nc, 0, n, 10.0 + i * 0.001), DCR_OK);
	}
	nonce(n, 5000);
	assert_int_equal(nonce_cache_reserve(nc, 0, n, 11.0), DCR_ERR_TOO_BIG);
	/* once the first ones expire there is room again, in order */
	assert_int_equal(nonce_cache_reserve(nc, 0, n, 10.0005 + DCR_NONCE_WINDOW), DCR_OK);
	nonce(n, 5001);
	assert_int_equal(nonce_cache_reserve(nc, 0, n, 10.0005 + DCR_NONCE_WINDOW),
	                 DCR_ERR_TOO_BIG);
	nonce(n, 999);
	assert_int_equal(nonce_cache_reserve(nc, 0, n, 10.0005 + DCR_NONCE_WINDOW),
	                 DCR_ERR_EXISTS);
	assert_int_equal(nonce_cache_reserve(nc, 0, n, 20.0 + DCR_NONCE_WINDOW), DCR_OK);
	nonce_cache_free(nc);
	nonce_cache_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replay_refused),
		cmocka_unit_test(test_release),
		cmocka_unit_test(test_bounded),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
