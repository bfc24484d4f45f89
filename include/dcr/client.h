/* SPDX-License-Identifier: Apache-2.0 */
/* client: what a party's own machine does before it trusts a clean room —
 * verify the room's evidence against the contract every party signed. */
#ifndef DCR_CLIENT_H
#define DCR_CLIENT_H

#include "dcr/attest.h"
#include "dcr/contract.h"

/* The attestation policy a contract sets: its accepted TEE kinds and pinned
 * measurements, and report_data (64 bytes, or NULL for unchecked). The
 * policy points into c and report_data; it lives no longer than they do. */
void dcr_client_policy(const struct dcr_contract *c, const uint8_t *report_data,
                       struct dcr_attest_policy *out);

/* Verifies evidence of kind tee from a clean room that claims the public
 * keys room, against contract c: the kind is accepted, the evidence verifies
 * (opts may be NULL), its measurements match the contract's pins, and its
 * report data binds c's hash and room's keys (dcr_attest_report_data).
 * DCR_ERR_VERIFY with msg naming the failed step; DCR_ERR_UNSUPPORTED when
 * this build has no verifier for tee. On success *out (optional) gets the
 * claims. */
enum dcr_err dcr_client_check_evidence(const struct dcr_contract *c, enum dcr_tee tee,
                                       const uint8_t *evidence, size_t size,
                                       const struct dcr_pubkey *room,
                                       const struct dcr_attest_verify_opts *opts,
                                       struct dcr_attest_claims *out,
                                       struct dcr_msg *msg) DCR_WUR;

#endif
