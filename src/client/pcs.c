/* SPDX-License-Identifier: Apache-2.0 */
/* DCAP collateral from Intel's Provisioning Certification Service (PCS),
 * for the TCB status of an SGX or TDX quote: TCB info for its FMSPC, the QE
 * identity, the PCK CRL of its CA and the root CA's CRL, put together in the
 * collateral layout the verifier reads (docs/ATTESTATION.md, "Collateral
 * file"), and cached until Intel's nextUpdate. Like the VCEK, collateral is
 * only an input: the verifier checks every signature and date in it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "client_int.h"

#define PCS_DEFAULT "https://api.trustedservices.intel.com"
#define ROOT_CRL_DEFAULT "https://certificates.trustedservices.intel.com/IntelSGXRootCA.der"
#define ANSWER_MAX (1u << 20)

struct fetched {
	struct dcr_buf body;
	char *chain;       /* the issuer chain header, URL-decoded (malloc'd) */
};

static enum dcr_err get(CURL *curl, const char *url, const char *chain_header, struct fetched *f,
                        struct dcr_msg *msg)
{
	long status;
	enum dcr_err err;

	memset(f, 0, sizeof(*f));
	dcr_buf_init(&f->body, ANSWER_MAX);
	err = client_get(curl, url, chain_header, chain_header ? &f->chain : NULL, &f->body,
	                 &status, msg);
	if (err) {
		dcr_msg_prefix(msg, "Intel PCS: %s: ", url);
		return err;
	}
	if (status != 200)
		return dcr_fail(msg, DCR_ERR_NOT_FOUND, "Intel PCS: %s: HTTP %ld", url, status);
	if (chain_header && !f->chain)
		return dcr_fail(msg, DCR_ERR_VERIFY, "Intel PCS: %s: no %s header", url, chain_header);
	return DCR_OK;
}

static void fetched_free(struct fetched *f)
{
	dcr_buf_free(&f->body);
	free(f->chain);
	memset(f, 0, sizeof(*f));
}

/* The exact text of the JSON object under key in body (the signed bytes),
 * by matching braces outside strings. */
static bool raw_object(const struct dcr_buf *body, const char *key, const char **out,
                       size_t *out_len)
{
	const char *s = (const char *)body->data, *end = s + body->size, *p;
	char pat[64];
	int depth = 0;
	bool in_str = false;

	snprintf(pat, sizeof(pat), "\"%s\"", key);
	p = memmem(s, body->size, pat, strlen(pat));
	if (!p)
		return false;
	p += strlen(pat);
	while (p < end && (*p == ' ' || *p == ':' || *p == '\n' || *p == '\t' || *p == '\r'))
		p++;
	if (p >= end || *p != '{')
		return false;
	for (const char *q = p; q < end; q++) {
		if (in_str) {
			if (*q == '\\')
				q++;
			else if (*q == '"')
				in_str = false;
			continue;
		}
		if (*q == '"')
			in_str = true;
		else if (*q == '{')
			depth++;
		else if (*q == '}' && --depth == 0) {
			*out = p;
			*out_len = (size_t)(q - p + 1);
			return true;
		}
	}
	return false;
}

static char *hex_of(const struct dcr_buf *b)
{
	char *h = malloc(2 * b->size + 1);

	if (h)
		dcr_hex_encode(h, b->data, b->size);
	return h;
}

/* The signed object and its signature from a PCS JSON answer into o. */
static enum dcr_err signed_part(const struct fetched *f, const char *key, const char *field,
                                json_t *o, struct dcr_msg *msg)
{
	json_t *j = json_loadb((const char *)f->body.data, f->body.size, 0, NULL);
	const char *sig = json_string_value(json_object_get(j, "signature")), *raw;
	size_t raw_len;
	char name[64];
	bool ok = sig && raw_object(&f->body, key, &raw, &raw_len);

	if (ok) {
		snprintf(name, sizeof(name), "%s_signature", field);
		ok = !json_object_set_new(o, field, json_stringn(raw, raw_len)) &&
		     !json_object_set_new(o, name, json_string(sig));
		snprintf(name, sizeof(name), "%s_issuer_chain", field);
		ok = ok && !json_object_set_new(o, name, json_string(f->chain));
	}
	json_decref(j);
	return ok ? DCR_OK
	          : dcr_fail(msg, DCR_ERR_VERIFY, "Intel PCS: the %s answer is not as expected",
	                     key);
}

static bool cache_path(const char *tee, const char *fmspc, const char *ca, char *out, size_t size)
{
	char name[128];

	snprintf(name, sizeof(name), "dcap-%s-%s-%s.json", tee, fmspc, ca);
	return client_cache_path(name, out, size);
}

/* True when the cached collateral's TCB info is still current. */
static bool fresh(const struct dcr_buf *coll)
{
	json_t *j = json_loadb((const char *)coll->data, coll->size, 0, NULL);
	json_t *ti = j ? json_loads(json_string_value(json_object_get(j, "tcb_info")) ?
	                            json_string_value(json_object_get(j, "tcb_info")) : "",
	                            0, NULL) : NULL;
	const char *next = json_string_value(json_object_get(ti, "nextUpdate"));
	int64_t t = 0;
	bool ok = next && dcr_time_parse(next, &t) == DCR_OK && t > (int64_t)time(NULL);

	json_decref(ti);
	json_decref(j);
	return ok;
}

enum dcr_err client_collateral_fetch(enum dcr_tee tee, const char *fmspc, const char *pck_ca,
                                     struct dcr_buf *out, struct dcr_msg *msg)
{
	const char *base = getenv("DCR_PCS_URL"), *root_url = getenv("DCR_INTEL_ROOT_CRL_URL");
	const char *kind = tee == DCR_TEE_TDX ? "tdx" : "sgx";
	struct fetched tcb = {0}, qe = {0}, crl = {0}, root = {0};
	char url[1024], path[4400], *hex = NULL, *text = NULL;
	json_t *o = NULL;
	enum dcr_err err;
	CURL *curl;

	if (!base || !*base)
		base = PCS_DEFAULT;
	if (!root_url || !*root_url)
		root_url = ROOT_CRL_DEFAULT;
	if (strcmp(pck_ca, "processor") && strcmp(pck_ca, "platform"))
		return dcr_fail(msg, DCR_ERR_INVALID, "Intel PCS: unknown PCK CA %s", pck_ca);
	if (strspn(fmspc, "0123456789abcdefABCDEF") != 12 || fmspc[12])
		return dcr_fail(msg, DCR_ERR_INVALID, "Intel PCS: bad FMSPC");
	if (cache_path(kind, fmspc, pck_ca, path, sizeof(path))) {
		struct dcr_msg m = {{0}};

		dcr_buf_free(out);
		if (dcr_file_read(path, 4u << 20, out, &m) == DCR_OK && fresh(out))
			return DCR_OK;
	} else {
		path[0] = '\0';
	}
	curl = curl_easy_init();
	o = json_object();
	if (!curl || !o) {
		err = dcr_fail(msg, DCR_ERR_NOMEM, "out of memory");
		goto out;
	}
	snprintf(url, sizeof(url), "%s/%s/certification/v4/tcb?fmspc=%s", base, kind, fmspc);
	if ((err = get(curl, url, "TCB-Info-Issuer-Chain", &tcb, msg)) ||
	    (err = signed_part(&tcb, "tcbInfo", "tcb_info", o, msg)))
		goto out;
	snprintf(url, sizeof(url), "%s/%s/certification/v4/qe/identity", base, kind);
	if ((err = get(curl, url, "SGX-Enclave-Identity-Issuer-Chain", &qe, msg)) ||
	    (err = signed_part(&qe, "enclaveIdentity", "qe_identity", o, msg)))
		goto out;
	snprintf(url, sizeof(url), "%s/sgx/certification/v4/pckcrl?ca=%s&encoding=der", base, pck_ca);
	if ((err = get(curl, url, "SGX-PCK-CRL-Issuer-Chain", &crl, msg)))
		goto out;
	if ((err = get(curl, root_url, NULL, &root, msg)))
		goto out;
	if (!(hex = hex_of(&crl.body)) || json_object_set_new(o, "pck_crl", json_string(hex)) ||
	    json_object_set_new(o, "pck_crl_issuer_chain", json_string(crl.chain))) {
		err = dcr_fail(msg, DCR_ERR_NOMEM, "out of memory");
		goto out;
	}
	free(hex);
	if (!(hex = hex_of(&root.body)) || json_object_set_new(o, "root_ca_crl", json_string(hex)) ||
	    !(text = json_dumps(o, JSON_COMPACT))) {
		err = dcr_fail(msg, DCR_ERR_NOMEM, "out of memory");
		goto out;
	}
	dcr_buf_reset(out);
	if ((err = dcr_buf_append(out, text, strlen(text)))) {
		err = dcr_fail(msg, err, "Intel PCS: the collateral is too big");
		goto out;
	}
	if (path[0]) {
		struct dcr_msg m = {{0}};

		if (dcr_file_write_atomic(path, text, strlen(text), 0600, DCR_WRITE_REPLACE, &m))
			dcr_log_info("Intel PCS: cannot cache the collateral: %s", m.text);
	}
out:
	fetched_free(&tcb);
	fetched_free(&qe);
	fetched_free(&crl);
	fetched_free(&root);
	free(hex);
	free(text);
	json_decref(o);
	if (curl)
		curl_easy_cleanup(curl);
	return err;
}
