/* SPDX-License-Identifier: Apache-2.0 */
/* The contract's canonical hash, the parties' signatures over it, writing the
 * document back, and lookups. */
#include <string.h>
#include <strings.h>

#include "contract_int.h"

/* The canonical form can outgrow its source only a little (a number such as
 * 9e15 spelled out); this is a generous ceiling. */
#define CANON_MAX (4 * (size_t)DCR_CONTRACT_MAX_SIZE)

enum dcr_err dcr_contract_canonical(const struct dcr_contract *c, struct dcr_buf *out)
{
	enum dcr_err err;

	dcr_buf_init(out, CANON_MAX);
	err = contract_canon_json((const json_t *)c->json, "signatures", out);
	if (!err && !out->data)
		err = dcr_buf_append(out, "", 0);
	if (err)
		dcr_buf_free(out);
	return err;
}

void dcr_contract_hash_hex(const struct dcr_contract *c, char out[static 65])
{
	dcr_hex_encode(out, c->hash, sizeof(c->hash));
}

void contract_sig_message(const uint8_t hash[static DCR_CONTRACT_HASH_SIZE],
                          uint8_t out[static CONTRACT_SIG_MSG_SIZE])
{
	const size_t n = sizeof(CONTRACT_SIG_DOMAIN) - 1;

	memcpy(out, CONTRACT_SIG_DOMAIN, n);
	memcpy(out + n, hash, DCR_CONTRACT_HASH_SIZE);
}

static size_t signed_count(const struct dcr_contract *c)
{
	size_t n = 0;

	for (size_t i = 0; i < c->party_count; i++)
		n += c->parties[i].has_signature;
	return n;
}

enum dcr_err dcr_contract_verify_party(const struct dcr_contract *c, const struct dcr_party *p,
                                       struct dcr_msg *msg)
{
	uint8_t m[CONTRACT_SIG_MSG_SIZE];

	if (!p->has_signature)
		return dcr_fail(msg, DCR_ERR_VERIFY,
		                "party %s has not signed the contract (%zu of %zu parties have "
		                "signed)",
		                p->name, signed_count(c), c->party_count);
	contract_sig_message(c->hash, m);
	if (dcr_verify(p->key.sign, m, sizeof(m), p->signature) != DCR_OK)
		return dcr_fail(msg, DCR_ERR_VERIFY,
		                "the signature of %s does not verify: the contract changed "
		                "after it was signed, or it was made with another key",
		                p->name);
	return DCR_OK;
}

enum dcr_err dcr_contract_verify(const struct dcr_contract *c, struct dcr_msg *msg)
{
	enum dcr_err err = DCR_OK;

	for (size_t i = 0; i < c->party_count && !err; i++)
		err = dcr_contract_verify_party(c, &c->parties[i], msg);
	return err;
}

enum dcr_err dcr_contract_sign(struct dcr_contract *c, const struct dcr_seckey *key,
                               const struct dcr_party **out_party, struct dcr_msg *msg)
{
	uint8_t m[CONTRACT_SIG_MSG_SIZE], sig[DCR_SIGNATURE_SIZE];
	char b64[DCR_B64_SIZE(DCR_SIGNATURE_SIZE)], line[DCR_PUBKEY_LINE_SIZE];
	json_t *root = (json_t *)c->json, *sigs, *value;
	struct dcr_party *p = NULL;
	struct dcr_pubkey pub;

	if (out_party)
		*out_party = NULL;
	dcr_seckey_public(key, &pub);
	for (size_t i = 0; i < c->party_count && !p; i++)
		if (dcr_pubkey_equal(&c->parties[i].key, &pub))
			p = &c->parties[i];
	if (!p) {
		dcr_pubkey_format(&pub, line);
		return dcr_fail(msg, DCR_ERR_VERIFY,
		                "this key belongs to no party of the contract (its public key is "
		                "%s)",
		                line);
	}
	contract_sig_message(c->hash, m);
	dcr_sign(key, m, sizeof(m), sig);
	dcr_b64_encode(b64, sig, sizeof(sig));

	sigs = json_object_get(root, "signatures");
	if (!sigs) {
		sigs = json_object();
		if (!sigs || json_object_set_new(root, "signatures", sigs))
			return dcr_fail(msg, DCR_ERR_NOMEM, "out of memory");
	}
	value = json_string(b64);
	if (!value || json_object_set_new(sigs, p->name, value))
		return dcr_fail(msg, DCR_ERR_NOMEM, "out of memory");
	memcpy(p->signature, sig, sizeof(sig));
	p->has_signature = true;
	if (out_party)
		*out_party = p;
	return DCR_OK;
}

enum dcr_err dcr_contract_serialize(const struct dcr_contract *c, struct dcr_buf *out)
{
	enum dcr_err err;

	/* capped at what dcr_contract_load reads, so the file can be read back */
	dcr_buf_init(out, DCR_CONTRACT_MAX_SIZE);
	err = contract_pretty_json((const json_t *)c->json, out);
	if (err)
		dcr_buf_free(out);
	return err;
}

const struct dcr_party *dcr_contract_party(const struct dcr_contract *c, const char *name)
{
	for (size_t i = 0; i < c->party_count; i++)
		if (c->parties[i].name && !strcasecmp(c->parties[i].name, name))
			return &c->parties[i];
	return NULL;
}

const struct dcr_dataset *dcr_contract_dataset(const struct dcr_contract *c, const char *name)
{
	for (size_t i = 0; i < c->dataset_count; i++)
		if (c->datasets[i].name && !strcasecmp(c->datasets[i].name, name))
			return &c->datasets[i];
	return NULL;
}
