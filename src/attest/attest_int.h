/* SPDX-License-Identifier: Apache-2.0 */
/* attest module internals: each backend's ops table (the registry in
 * attest.c points at them), helpers backends share, and the sim format. */
#ifndef DCR_ATTEST_INT_H
#define DCR_ATTEST_INT_H

#include "dcr/attest.h"

#define ATTEST_SHA384_SIZE 48

/* ---- backends: one ops table each, defined in the backend's folder ------ */

extern const struct dcr_attest_ops attest_sim_ops; /* sim/sim.c */
extern const struct dcr_attest_ops attest_sgx_ops; /* sgx/sgx.c */
extern const struct dcr_attest_ops attest_tdx_ops; /* tdx/tdx.c */

/* ---- helpers for backends -------------------------------------------- */

/* SHA-384 (OpenSSL EVP) of the file at path, read in pieces so that a large
 * executable never sits in memory whole. DCR_ERR_IO with msg naming path,
 * DCR_ERR_INTERNAL when OpenSSL fails. */
enum dcr_err attest_sha384_file(const char *path, uint8_t out[static ATTEST_SHA384_SIZE],
                                struct dcr_msg *msg) DCR_WUR;

/* ---- sim: the simulated TEE (byte format in docs/ATTESTATION.md) ------- */

#define SIM_MAGIC "DCRSIM"
#define SIM_MAGIC_SIZE 6
#define SIM_VERSION 1
#define SIM_OFF_VERSION 6        /* u16 LE */
#define SIM_OFF_TIMESTAMP 8      /* u64 LE, Unix seconds */
#define SIM_OFF_REPORT_DATA 16   /* DCR_REPORT_DATA_SIZE */
#define SIM_OFF_MEASUREMENT 80   /* ATTEST_SHA384_SIZE */
#define SIM_OFF_PLATFORM_KEY 128 /* DCR_SIGN_PK_SIZE, Ed25519 */
#define SIM_OFF_SIGNATURE 160    /* DCR_SIGNATURE_SIZE, over label || [0, 160) */
#define SIM_EVIDENCE_SIZE 224
#define SIM_SIGN_LABEL "dcr sim evidence v1\n"
#define SIM_SIGN_LABEL_SIZE 20
#define SIM_SEALING_LABEL "dcr sim sealing key v1"
#define SIM_PLATFORM_KEY_NAME "sim-platform" /* <data_dir>/sim-platform.key, .pub */
#define SIM_EXE_PATH "/proc/self/exe"

/* Producer half (sim_evidence.c). */
bool attest_sim_detect(void);
enum dcr_err attest_sim_evidence(const struct dcr_attest_env *env,
                                 const uint8_t report_data[static DCR_REPORT_DATA_SIZE],
                                 struct dcr_buf *out, struct dcr_msg *msg);
enum dcr_err attest_sim_sealing_key(const struct dcr_attest_env *env,
                                    uint8_t out[static DCR_SEALING_KEY_SIZE],
                                    struct dcr_msg *msg);

/* Verifier half (sim_verify.c). */
bool attest_sim_probe(const uint8_t *evidence, size_t size);
enum dcr_err attest_sim_verify(const uint8_t *evidence, size_t size,
                               const struct dcr_attest_verify_opts *opts,
                               struct dcr_attest_claims *out, struct dcr_msg *msg) DCR_WUR;

/* ---- sgx and tdx: Intel DCAP quotes (shared code in dcap/) ------------- */

/* Verifier halves (sgx/sgx_verify.c, tdx/tdx_verify.c). */
bool attest_sgx_probe(const uint8_t *evidence, size_t size);
enum dcr_err attest_sgx_verify(const uint8_t *evidence, size_t size,
                               const struct dcr_attest_verify_opts *opts,
                               struct dcr_attest_claims *out, struct dcr_msg *msg) DCR_WUR;
bool attest_tdx_probe(const uint8_t *evidence, size_t size);
enum dcr_err attest_tdx_verify(const uint8_t *evidence, size_t size,
                               const struct dcr_attest_verify_opts *opts,
                               struct dcr_attest_claims *out, struct dcr_msg *msg) DCR_WUR;

#endif
