/* SPDX-License-Identifier: Apache-2.0 */
/* Intel DCAP quotes (SGX v3, TDX v4/v5): the parsed view of a quote, the
 * verification steps the sgx and tdx verifiers share, and the collateral
 * (TCB info, QE identity, CRLs). Internal to src/attest. Docs:
 * docs/ATTESTATION.md "Intel DCAP". */
#ifndef DCR_ATTEST_DCAP_H
#define DCR_ATTEST_DCAP_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "../attest_int.h"

#define DCAP_HEADER_SIZE 48
#define DCAP_SGX_BODY_SIZE 384       /* an SGX report body */
#define DCAP_TDX10_BODY_SIZE 584     /* TDX 1.0 TD report body */
#define DCAP_TDX15_BODY_SIZE 648     /* TDX 1.5: + tee_tcb_svn2, mrservicetd */
#define DCAP_ATT_KEY_ECDSA_P256 2
#define DCAP_TEE_SGX 0x00000000u
#define DCAP_TEE_TDX 0x00000081u
#define DCAP_CERT_PCK_CHAIN 5        /* certification data: PEM chain */
#define DCAP_CERT_QE_REPORT 6        /* certification data: QE report + nested */
#define DCAP_MAX_CHAIN 8             /* certificates read from a PEM chain */
#define DCAP_CPUSVN_SIZE 16
#define DCAP_FMSPC_SIZE 6
#define DCAP_PCEID_SIZE 2

/* Intel's quoting enclaves, built in so that a quote verified without
 * collateral still comes from Intel's QE (MRSIGNER, ISVPRODID): the SGX QE
 * (the sample collateral's QE identity) and the TDX QE (Intel's TD_QE
 * identity; both TDX samples). With collateral, step 10 checks the QE
 * against the signed QE identity as well. */
#define DCAP_SGX_QE_MRSIGNER "8c4f5775d796503e96137f77c68a829a0056ac8ded70140b081b094490c57bff"
#define DCAP_SGX_QE_PRODID 1
#define DCAP_TDX_QE_MRSIGNER "dc9e2a7c6f948f17474e34a7fc43ed030f7c1563f1babddf6340c82e0e54a8c5"
#define DCAP_TDX_QE_PRODID 2

/* Offsets inside an SGX report body (the enclave's and the QE's). */
#define DCAP_RB_CPUSVN 0
#define DCAP_RB_MISCSELECT 16        /* u32 LE */
#define DCAP_RB_ATTRIBUTES 48        /* 16 */
#define DCAP_RB_MRENCLAVE 64         /* 32 */
#define DCAP_RB_MRSIGNER 128         /* 32 */
#define DCAP_RB_ISVPRODID 256        /* u16 LE */
#define DCAP_RB_ISVSVN 258           /* u16 LE */
#define DCAP_RB_REPORTDATA 320       /* 64 */

/* Offsets inside a TDX TD report body (1.0 and 1.5 alike up to 584). */
#define DCAP_TD_TEE_TCB_SVN 0        /* 16 */
#define DCAP_TD_MRSEAM 16
#define DCAP_TD_MRSIGNERSEAM 64      /* 48 */
#define DCAP_TD_SEAM_ATTRIBUTES 112  /* 8 */
#define DCAP_TD_TD_ATTRIBUTES 120    /* 8, bit 0 = DEBUG */
#define DCAP_TD_MRTD 136             /* 48 */
#define DCAP_TD_MRCONFIGID 184
#define DCAP_TD_RTMR0 328            /* rtmr1..3 follow, 48 each */
#define DCAP_TD_REPORTDATA 520       /* 64 */
#define DCAP_TD_TEE_TCB_SVN2 584     /* 1.5 only, 16 */
#define DCAP_TD_MRSERVICETD 600      /* 1.5 only, 48 */

/* A parsed quote: pointers into the caller's buffer, which must outlive it.
 * Every pointer was bounds-checked against the quote's own lengths. */
struct dcap_quote {
	uint16_t version;            /* 3, 4 or 5 */
	uint32_t tee_type;           /* DCAP_TEE_SGX or DCAP_TEE_TDX */
	const uint8_t *header;       /* DCAP_HEADER_SIZE */
	const uint8_t *body;         /* body_size bytes: SGX or TD report body */
	size_t body_size;
	size_t signed_size;          /* the attestation key signs quote[0, signed_size) */
	size_t quote_size;           /* bytes the quote occupies; the rest is ignored */
	const uint8_t *signature;    /* 64: r || s, big-endian */
	const uint8_t *att_key;      /* 64: x || y */
	const uint8_t *qe_report;    /* DCAP_SGX_BODY_SIZE */
	const uint8_t *qe_report_sig;/* 64 */
	const uint8_t *qe_auth;      /* qe_auth_size bytes */
	size_t qe_auth_size;
	const uint8_t *pck_pem;      /* the PEM chain, pck_pem_size bytes */
	size_t pck_pem_size;
};

/* What the PCK leaf's SGX extension (1.2.840.113741.1.13.1) says. */
struct dcap_pck_info {
	uint8_t fmspc[DCAP_FMSPC_SIZE];
	uint8_t pceid[DCAP_PCEID_SIZE];
	uint8_t cpusvn[DCAP_CPUSVN_SIZE];
	uint8_t comp_svn[16];        /* the 16 SGX TCB component SVNs */
	uint16_t pcesvn;
};

/* The result of the TCB evaluation against collateral. */
struct dcap_tcb_result {
	char status[DCR_ATTEST_TCB_STATUS_SIZE];
	char advisories[DCR_ATTEST_MAX_ADVISORIES][DCR_ATTEST_ADVISORY_SIZE];
	size_t advisory_count;
	bool advisories_truncated;
};

/* Parses the quote in data[0, size): header, body, signature data and the
 * certification data down to the PEM chain. prefix ("sgx", "tdx") starts
 * error messages; step 1 (header). DCR_ERR_INVALID when malformed. */
enum dcr_err dcap_quote_parse(const uint8_t *data, size_t size, const char *prefix,
                              struct dcap_quote *out, struct dcr_msg *msg) DCR_WUR;

/* Verification steps, as numbered in error messages. */
#define DCAP_STEP_HEADER "step 1 (header)"
#define DCAP_STEP_QUOTE_SIG "step 2 (quote signature)"
#define DCAP_STEP_QE_SIG "step 3 (QE report signature)"
#define DCAP_STEP_QE_DATA "step 4 (QE report)"
#define DCAP_STEP_CHAIN "step 5 (PCK chain)"
#define DCAP_STEP_COLL_FORMAT "step 6 (collateral format)"
#define DCAP_STEP_COLL_SIG "step 7 (collateral signature)"
#define DCAP_STEP_COLL_TIME "step 8 (collateral validity)"
#define DCAP_STEP_REVOCATION "step 9 (revocation)"
#define DCAP_STEP_QE_IDENTITY "step 10 (QE identity)"
#define DCAP_STEP_TCB "step 11 (TCB status)"

/* Runs verification steps 2..5 (and 6..11 with collateral) on a parsed
 * quote, filling pck and claims->tcb_status / advisories / fmspc. opts may
 * be NULL. DCR_ERR_VERIFY with msg naming the step. */
enum dcr_err dcap_verify_quote(const struct dcap_quote *q, const char *prefix,
                               const struct dcr_attest_verify_opts *opts,
                               struct dcap_pck_info *pck, struct dcr_attest_claims *claims,
                               struct dcr_msg *msg) DCR_WUR;

/* The sgx and tdx verifiers' common course: parse, refuse the other kind
 * (tee_type is DCAP_TEE_SGX or DCAP_TEE_TDX; messages start with prefix),
 * fill opts->parsed (when given) with identity() before any signature is
 * checked, verify, and add identity() of the verified body to out. */
typedef void (*dcap_identity_fn)(const uint8_t *body, struct dcr_attest_claims *out);
enum dcr_err dcap_verify_kind(const uint8_t *evidence, size_t size, uint32_t tee_type,
                              const char *prefix, dcap_identity_fn identity,
                              const struct dcr_attest_verify_opts *opts,
                              struct dcr_attest_claims *out, struct dcr_msg *msg) DCR_WUR;

/* ---- crypto helpers (dcap_verify.c) -------------------------------------- */

/* True when sig (64 bytes, r || s big-endian) is a valid ECDSA signature by
 * key over SHA-256(data). */
bool dcap_ecdsa_verify(EVP_PKEY *key, const uint8_t *data, size_t size, const uint8_t sig[64]);
/* The certificates of a PEM chain, in order (at most DCAP_MAX_CHAIN), or NULL
 * when there is none or one does not parse. Free with sk_X509_pop_free(chain, X509_free). */
STACK_OF(X509) *dcap_pem_chain(const uint8_t *pem, size_t size);
/* Verifies that leaf chains to the built-in Intel root through untrusted
 * (may be NULL), valid at `at` (0 = now), with crls checked for every
 * certificate when crls is not NULL. On failure, why (an OpenSSL
 * X509_verify_cert_error_string, with the depth) is written to why. */
bool dcap_chain_verify(X509 *leaf, STACK_OF(X509) *untrusted, STACK_OF(X509_CRL) *crls,
                       int64_t at, char *why, size_t why_size);

/* The built-in Intel SGX Root CA (PEM, NUL-terminated), dcap_root.c. */
extern const char dcap_intel_root_ca_pem[];

/* ---- collateral (dcap_collateral.c) ------------------------------------- */

/* The TCB level of a PCK (and, for TDX, of the quote's tee_tcb_svn) in the
 * TCB info JSON text (the signed string, already authenticated): Intel's
 * rules (first level, in the listed order, whose every component is <= the
 * platform's). tee_tcb_svn is NULL for SGX. Fills status and advisories.
 * DCR_ERR_INVALID when the JSON is malformed, DCR_ERR_NOT_FOUND when no
 * level matches. */
enum dcr_err dcap_tcb_level(const char *tcb_info, size_t tcb_info_size,
                            const struct dcap_pck_info *pck, const uint8_t *tee_tcb_svn,
                            struct dcap_tcb_result *out, struct dcr_msg *msg) DCR_WUR;

/* The end of step 11: adjusts the platform's status in out by the QE's
 * (Intel's convergence: QE OutOfDate makes the platform OutOfDate or
 * OutOfDateConfigurationNeeded, QE Revoked makes it Revoked), appends the
 * QE's advisories, then applies dcr's policy: Revoked, OutOfDate and
 * OutOfDateConfigurationNeeded are DCR_ERR_VERIFY. */
enum dcr_err dcap_tcb_final(struct dcap_tcb_result *out, const struct dcap_tcb_result *qe,
                            const char *prefix, struct dcr_msg *msg) DCR_WUR;

/* Steps 6..11: the collateral JSON (opts->collateral) checked and applied to
 * a quote whose steps 1..5 passed. */
enum dcr_err dcap_collateral_check(const struct dcap_quote *q, const char *prefix,
                                   const struct dcr_attest_verify_opts *opts,
                                   STACK_OF(X509) *pck_chain,
                                   const struct dcap_pck_info *pck,
                                   struct dcap_tcb_result *out, struct dcr_msg *msg) DCR_WUR;

#endif
