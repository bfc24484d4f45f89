/* SPDX-License-Identifier: Apache-2.0 */
/* Signed requests (docs/API.md, "Signed requests"): the party, timestamp and
 * nonce headers, the cache of nonces seen, and the signature over the body. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server_int.h"

/* ---- the nonce cache ------------------------------------------------------ */

#define NONCE_BUCKETS 65536u

struct nonce_entry {
	struct nonce_entry *chain;            /* next in the bucket */
	struct nonce_entry *older, *newer;    /* expiry order (insertion order) */
	size_t party;
	uint8_t nonce[16];
	double expires;                       /* monotonic seconds */
};

struct nonce_cache {
	pthread_mutex_t lock;
	struct nonce_entry **buckets;
	struct nonce_entry *oldest, *newest;
	size_t count, max;
	uint8_t hash_key[16];                 /* so nobody can aim nonces at one bucket */
};

enum dcr_err nonce_cache_new(size_t max_entries, struct nonce_cache **out)
{
	struct nonce_cache *nc = calloc(1, sizeof(*nc));

	*out = NULL;
	if (!nc)
		return DCR_ERR_NOMEM;
	nc->buckets = calloc(NONCE_BUCKETS, sizeof(*nc->buckets));
	if (!nc->buckets) {
		free(nc);
		return DCR_ERR_NOMEM;
	}
	pthread_mutex_init(&nc->lock, NULL);
	nc->max = max_entries;
	dcr_random(nc->hash_key, sizeof(nc->hash_key));
	*out = nc;
	return DCR_OK;
}

void nonce_cache_free(struct nonce_cache *nc)
{
	if (!nc)
		return;
	for (struct nonce_entry *e = nc->oldest, *next; e; e = next) {
		next = e->newer;
		free(e);
	}
	pthread_mutex_destroy(&nc->lock);
	free(nc->buckets);
	free(nc);
}

static struct nonce_entry **bucket_of(struct nonce_cache *nc, size_t party,
                                      const uint8_t nonce[16])
{
	uint8_t in[16 + sizeof(uint64_t) + 16], h[DCR_SHA256_SIZE];
	uint64_t p = party;
	uint32_t v;

	memcpy(in, nc->hash_key, 16);
	memcpy(in + 16, &p, sizeof(p));
	memcpy(in + 16 + sizeof(p), nonce, 16);
	dcr_sha256(in, sizeof(in), h);
	memcpy(&v, h, sizeof(v));
	return &nc->buckets[v % NONCE_BUCKETS];
}

/* Unlinks e from its bucket and the expiry list, and frees it. */
static void drop(struct nonce_cache *nc, struct nonce_entry *e)
{
	struct nonce_entry **pp = bucket_of(nc, e->party, e->nonce);

	while (*pp != e)
		pp = &(*pp)->chain;
	*pp = e->chain;
	if (e->older)
		e->older->newer = e->newer;
	else
		nc->oldest = e->newer;
	if (e->newer)
		e->newer->older = e->older;
	else
		nc->newest = e->older;
	nc->count--;
	free(e);
}

enum dcr_err nonce_cache_reserve(struct nonce_cache *nc, size_t party,
                                 const uint8_t nonce[static 16], double now)
{
	enum dcr_err err = DCR_OK;
	struct nonce_entry **b, *e;

	pthread_mutex_lock(&nc->lock);
	/* entries expire in insertion order: the oldest go first */
	while (nc->oldest && nc->oldest->expires <= now)
		drop(nc, nc->oldest);
	b = bucket_of(nc, party, nonce);
	for (e = *b; e; e = e->chain) {
		if (e->party == party && !memcmp(e->nonce, nonce, 16)) {
			err = DCR_ERR_EXISTS;
			goto out;
		}
	}
	if (nc->count >= nc->max) {
		err = DCR_ERR_TOO_BIG;
		goto out;
	}
	e = calloc(1, sizeof(*e));
	if (!e) {
		err = DCR_ERR_NOMEM;
		goto out;
	}
	e->party = party;
	memcpy(e->nonce, nonce, 16);
	e->expires = now + DCR_NONCE_WINDOW;
	e->chain = *b;
	*b = e;
	e->older = nc->newest;
	if (nc->newest)
		nc->newest->newer = e;
	else
		nc->oldest = e;
	nc->newest = e;
	nc->count++;
out:
	pthread_mutex_unlock(&nc->lock);
	return err;
}

void nonce_cache_release(struct nonce_cache *nc, size_t party, const uint8_t nonce[static 16])
{
	pthread_mutex_lock(&nc->lock);
	for (struct nonce_entry *e = *bucket_of(nc, party, nonce); e; e = e->chain) {
		if (e->party == party && !memcmp(e->nonce, nonce, 16)) {
			drop(nc, e);
			break;
		}
	}
	pthread_mutex_unlock(&nc->lock);
}

/* ---- headers ------------------------------------------------------------ */

static const char *header(struct MHD_Connection *c, const char *name)
{
	return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

int server_auth_headers(struct dcr_server *s, struct MHD_Connection *c, struct server_request *r,
                        struct dcr_msg *msg)
{
	const char *party = header(c, DCR_HEADER_PARTY);
	const char *ts = header(c, DCR_HEADER_TIMESTAMP);
	const char *nonce = header(c, DCR_HEADER_NONCE);
	int64_t t = 0, now = (int64_t)time(NULL);
	size_t n;

	if (!party || !ts || !nonce) {
		dcr_msg_set(msg, "a signed request needs the headers %s, %s, %s and %s (missing %s)",
		            DCR_HEADER_PARTY, DCR_HEADER_TIMESTAMP, DCR_HEADER_NONCE,
		            DCR_HEADER_SIGNATURE,
		            !party ? DCR_HEADER_PARTY : !ts ? DCR_HEADER_TIMESTAMP : DCR_HEADER_NONCE);
		return MHD_HTTP_UNAUTHORIZED;
	}
	r->party = dcr_contract_party(s->contract, party);
	if (!r->party) {
		dcr_msg_set(msg, "unknown party: the contract has no party of that name");
		return MHD_HTTP_UNAUTHORIZED;
	}
	r->party_index = (size_t)(r->party - s->contract->parties);

	n = strlen(ts);
	if (n == 0 || n > 18 || strspn(ts, "0123456789") != n) {
		dcr_msg_set(msg, "%s: expected Unix seconds in decimal", DCR_HEADER_TIMESTAMP);
		return MHD_HTTP_UNAUTHORIZED;
	}
	for (size_t i = 0; i < n; i++)
		t = t * 10 + (ts[i] - '0');
	if (t < now - DCR_REQUEST_MAX_SKEW || t > now + DCR_REQUEST_MAX_SKEW) {
		dcr_msg_set(msg,
		            "stale timestamp: %" PRId64 " seconds from the clean room's clock (at "
		            "most %d allowed; is your clock right?)",
		            t - now, DCR_REQUEST_MAX_SKEW);
		return MHD_HTTP_UNAUTHORIZED;
	}
	memcpy(r->timestamp, ts, n + 1);

	n = strlen(nonce);
	if (n != 32 || strspn(nonce, "0123456789abcdef") != n ||
	    dcr_hex_decode(r->nonce, sizeof(r->nonce), nonce, n)) {
		dcr_msg_set(msg, "%s: expected 32 lowercase hex digits", DCR_HEADER_NONCE);
		return MHD_HTTP_UNAUTHORIZED;
	}
	memcpy(r->nonce_hex, nonce, n + 1);
	dcr_sha256_init(&r->body_sha);
	return 0;
}

int server_auth_reserve(struct dcr_server *s, struct server_request *r, struct dcr_msg *msg)
{
	enum dcr_err err = nonce_cache_reserve(s->nonces, r->party_index, r->nonce, server_now());

	if (err == DCR_ERR_EXISTS) {
		dcr_msg_set(msg, "reused nonce: this party sent it in the last %d seconds (a "
		                 "replayed request?)",
		            DCR_NONCE_WINDOW);
		return MHD_HTTP_UNAUTHORIZED;
	}
	if (err == DCR_ERR_TOO_BIG) {
		dcr_msg_set(msg, "too many requests in the last %d seconds; try again later",
		            DCR_NONCE_WINDOW);
		return MHD_HTTP_SERVICE_UNAVAILABLE;
	}
	if (err) {
		dcr_msg_set(msg, "out of memory");
		return MHD_HTTP_INTERNAL_SERVER_ERROR;
	}
	r->nonce_reserved = true;
	return 0;
}

int server_auth_finish(struct dcr_server *s, struct MHD_Connection *c, struct server_request *r,
                       struct dcr_msg *msg)
{
	const char *sig = header(c, DCR_HEADER_SIGNATURE);
	uint8_t body_hash[DCR_SHA256_SIZE];

	/* a streamed body's signature may follow it as a trailer */
	if (!sig)
		sig = MHD_lookup_connection_value(c, MHD_FOOTER_KIND, DCR_HEADER_SIGNATURE);
	dcr_sha256_final(&r->body_sha, body_hash);
	if (!sig)
		dcr_msg_set(msg, "no %s header or trailer", DCR_HEADER_SIGNATURE);
	else if (dcr_proto_verify_request(&r->party->key, r->method, r->target, r->timestamp,
	                                  r->nonce_hex, body_hash, sig) == DCR_OK)
		return 0;
	else
		dcr_msg_set(msg, "bad signature: it does not verify with %s's key over this "
		                 "request and body",
		            r->party->name);
	if (r->nonce_reserved) {
		/* an attacker's mangled copy must not burn the genuine request's nonce */
		nonce_cache_release(s->nonces, r->party_index, r->nonce);
		r->nonce_reserved = false;
	}
	return MHD_HTTP_UNAUTHORIZED;
}
