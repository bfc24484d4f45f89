/* SPDX-License-Identifier: Apache-2.0 */
/* contract: what parse.c, json_out.c and sign.c share, and what the unit
 * tests reach for (number formatting, the signed message). */
#ifndef DCR_CONTRACT_INT_H
#define DCR_CONTRACT_INT_H

#include <jansson.h>

#include "dcr/contract.h"

/* Longest text contract_number_format writes, with its NUL. */
#define CONTRACT_NUMBER_SIZE 32

/* Largest magnitude of a JSON integer a contract may hold: every integer up
 * to 2^53 is exactly a double, so the canonical form cannot merge two. */
#define CONTRACT_INT_MAX 9007199254740992LL

/* Writes finite d as ECMAScript's Number.prototype.toString does (RFC 8785
 * section 3.2.2.3): shortest round-trip digits, "1e-7", "3", "1e+21". */
void contract_number_format(double d, char out[static CONTRACT_NUMBER_SIZE]);

/* Appends the RFC 8785 canonical form of v to out, leaving out the member
 * named skip of the top-level object (NULL: none). DCR_ERR_INVALID for a
 * value it cannot represent (an integer beyond 2^53), DCR_ERR_TOO_BIG past
 * out's cap. */
enum dcr_err contract_canon_json(const json_t *v, const char *skip, struct dcr_buf *out) DCR_WUR;

/* Appends v as indented JSON in its own member order, short containers on
 * one line, and a final newline; reals keep a '.' or an exponent so they
 * read back as reals. */
enum dcr_err contract_pretty_json(const json_t *v, struct dcr_buf *out) DCR_WUR;

/* What a party signs: this domain string (16 bytes, no NUL) then the hash,
 * so a contract signature can never pass for any other dcr signature. */
#define CONTRACT_SIG_DOMAIN "dcr contract v1\n"
#define CONTRACT_SIG_MSG_SIZE (sizeof(CONTRACT_SIG_DOMAIN) - 1 + DCR_CONTRACT_HASH_SIZE)

void contract_sig_message(const uint8_t hash[static DCR_CONTRACT_HASH_SIZE],
                          uint8_t out[static CONTRACT_SIG_MSG_SIZE]);

#endif
