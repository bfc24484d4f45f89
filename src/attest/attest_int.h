/* SPDX-License-Identifier: Apache-2.0 */
/* attest module internals: each backend's ops table (the registry in
 * attest.c points at them), helpers backends share, and the sim format. */
#ifndef DCR_ATTEST_INT_H
#define DCR_ATTEST_INT_H

#include <openssl/evp.h>

#include "dcr/attest.h"

#define ATTEST_SHA384_SIZE 48

/* ---- backends: one ops table each, defined in the backend's folder ------ */

extern const struct dcr_attest_ops attest_sim_ops;  /* sim/sim.c */
extern const struct dcr_attest_ops attest_sgx_ops;  /* sgx/sgx.c */
extern const struct dcr_attest_ops attest_tdx_ops;  /* tdx/tdx.c */
extern const struct dcr_attest_ops attest_snp_ops;  /* snp/snp.c */
extern const struct dcr_attest_ops attest_vtpm_ops; /* vtpm/vtpm.c */

/* ---- helpers for backends -------------------------------------------- */

/* SHA-384 (OpenSSL EVP) of the file at path, read in pieces so that a large
 * executable never sits in memory whole. DCR_ERR_IO with msg naming path,
 * DCR_ERR_INTERNAL when OpenSSL fails. */
enum dcr_err attest_sha384_file(const char *path, uint8_t out[static ATTEST_SHA384_SIZE],
                                struct dcr_msg *msg) DCR_WUR;

/* Appends a fact to claims->info (name static, value formatted); silently
 * ignored once DCR_ATTEST_MAX_INFO facts are there (an assert in debug
 * builds: the backends add a fixed number). */
void attest_info_add(struct dcr_attest_claims *claims, const char *name, const char *fmt, ...)
	DCR_PRINTF(3, 4);

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

/* ---- snp: AMD SEV-SNP (layout in docs/ATTESTATION.md) ------------------ */

#define SNP_REPORT_SIZE 1184
#define SNP_OFF_VERSION 0x00        /* u32 */
#define SNP_OFF_GUEST_SVN 0x04      /* u32 */
#define SNP_OFF_POLICY 0x08         /* u64 */
#define SNP_OFF_VMPL 0x30           /* u32 */
#define SNP_OFF_SIG_ALGO 0x34       /* u32, 1 = ECDSA P-384 with SHA-384 */
#define SNP_OFF_CURRENT_TCB 0x38    /* u64 */
#define SNP_OFF_PLATFORM_INFO 0x40  /* u64 */
#define SNP_OFF_REPORT_DATA 0x50    /* 64 */
#define SNP_OFF_MEASUREMENT 0x90    /* 48 */
#define SNP_OFF_HOST_DATA 0xC0      /* 32 */
#define SNP_OFF_REPORTED_TCB 0x180  /* u64 */
#define SNP_OFF_CPUID_FAM 0x188     /* u8, version 3 and later */
#define SNP_OFF_CPUID_MOD 0x189     /* u8, version 3 and later */
#define SNP_OFF_CPUID_STEP 0x18A    /* u8, version 3 and later */
#define SNP_OFF_CHIP_ID 0x1A0       /* 64 */
#define SNP_OFF_SIG_R 0x2A0         /* 72, little-endian */
#define SNP_OFF_SIG_S 0x2E8         /* 72, little-endian */
#define SNP_SIGNED_SIZE 0x2A0       /* the signature covers [0, 0x2A0) */
#define SNP_SIG_COMPONENT_SIZE 72
#define SNP_MEASUREMENT_SIZE 48
#define SNP_HOST_DATA_SIZE 32
#define SNP_CHIP_ID_SIZE 64
#define SNP_POLICY_DEBUG (1ull << 19)
#define SNP_VERSION_MIN 2
#define SNP_VERSION_MAX 5
#define SNP_CERT_ENTRY_SIZE 24      /* GUID[16], offset u32 LE, length u32 LE */

/* One AMD product line: its name, the ASK's CN (the VCEK's issuer) and the
 * built-in PEM text of its ASK followed by its ARK (snp_roots.c). */
struct snp_product {
	const char *name;                 /* "Milan" */
	const char *ask_cn;               /* "SEV-Milan" */
	const char *ask_ark_pem;
};
extern const struct snp_product attest_snp_products[]; /* ends with a NULL name */

bool attest_snp_probe(const uint8_t *evidence, size_t size);
enum dcr_err attest_snp_verify(const uint8_t *evidence, size_t size,
                               const struct dcr_attest_verify_opts *opts,
                               struct dcr_attest_claims *out, struct dcr_msg *msg) DCR_WUR;
/* Verifies one bare report with the VCEK (DER) against the trust anchors of
 * products (NULL: the built-in attest_snp_products; tests pass others), at
 * time at (0 = now); the steps and claims of attest_snp_verify, whose
 * messages start "snp: step N (...)"; vcek_source says where the VCEK came
 * from (shown in claims->info). */
enum dcr_err attest_snp_verify_report(const uint8_t report[static SNP_REPORT_SIZE],
                                      const uint8_t *vcek, size_t vcek_size,
                                      const char *vcek_source,
                                      const struct snp_product *products, int64_t at,
                                      struct dcr_attest_claims *out,
                                      struct dcr_msg *msg) DCR_WUR;
/* Adds the report's own facts (version, policy, vmpl, reported TCB, chip id)
 * to claims->info, without verifying anything. */
void attest_snp_report_info(const uint8_t report[static SNP_REPORT_SIZE],
                            struct dcr_attest_claims *claims);

/* ---- azure-vtpm: Azure confidential VM (docs/ATTESTATION.md) ------------ */

#define VTPM_MAGIC "DCRVTPM1"
#define VTPM_MAGIC_SIZE 8
#define VTPM_SECTION_COUNT 5
#define VTPM_PCR_COUNT 24
#define VTPM_PCRS_SIZE (VTPM_PCR_COUNT * 32)
#define HCL_MAGIC "HCLA"
#define HCL_HEADER_SIZE 0x20
#define HCL_OFF_HW_REPORT 0x20      /* 1184-byte slot */
#define HCL_HW_REPORT_SLOT 1184
#define HCL_OFF_IGVM 0x4C0          /* IgvmRequestData, 20 bytes */
#define HCL_IGVM_SIZE 20
#define HCL_OFF_VAR_DATA 0x4D4      /* runtime data JSON */
#define HCL_REPORT_SNP 2
#define HCL_REPORT_TDX 4
#define TDREPORT_SIZE 1024
#define TDREPORT_OFF_REPORT_DATA 128
#define TDREPORT_OFF_ATTRIBUTES 512
#define TDREPORT_OFF_MRTD 528
#define TDREPORT_OFF_RTMR0 720
#define TPM_QUOTE_MAX 1024          /* a TPMS_ATTEST over one bank is ~150 bytes */

/* A parsed HCL report; pointers into the caller's bytes. */
struct vtpm_hcl {
	uint32_t version, report_size, request_type, status;
	uint32_t report_type;             /* HCL_REPORT_SNP or HCL_REPORT_TDX */
	uint32_t hash_type;               /* 1 SHA-256, 2 SHA-384, 3 SHA-512 */
	const uint8_t *hw_report;         /* HCL_HW_REPORT_SLOT bytes */
	const uint8_t *runtime;           /* the runtime data JSON */
	size_t runtime_size;
	uint8_t runtime_hash[64];         /* hash of runtime, zero padded */
	size_t runtime_hash_size;         /* 32, 48 or 64 */
};

/* What the runtime data JSON says. */
struct vtpm_runtime {
	EVP_PKEY *ak;                     /* the HCLAkPub RSA key; owned */
	bool has_user_data;
	uint8_t user_data[DCR_REPORT_DATA_SIZE];
};

/* A parsed TPMS_ATTEST of a TPM2_Quote; pointers into the caller's bytes. */
struct vtpm_quote {
	uint64_t clock, firmware_version;
	uint32_t reset_count, restart_count;
	const uint8_t *extra_data;
	size_t extra_data_size;
	uint16_t pcr_hash;                /* the one selected bank's algorithm */
	uint8_t pcr_select[4];            /* its bitmap (sizeofSelect <= 4) */
	size_t pcr_select_size;
	const uint8_t *pcr_digest;
	size_t pcr_digest_size;
};

bool attest_vtpm_probe(const uint8_t *evidence, size_t size);
enum dcr_err attest_vtpm_verify(const uint8_t *evidence, size_t size,
                                const struct dcr_attest_verify_opts *opts,
                                struct dcr_attest_claims *out, struct dcr_msg *msg) DCR_WUR;
/* attest_vtpm_verify with the SNP trust anchors of products (NULL: the
 * built-in ones; tests pass a chain of their own). */
enum dcr_err attest_vtpm_verify_with(const uint8_t *evidence, size_t size,
                                     const struct dcr_attest_verify_opts *opts,
                                     const struct snp_product *products,
                                     struct dcr_attest_claims *out, struct dcr_msg *msg) DCR_WUR;
/* Steps 2-3: the HCL header, IgvmRequestData and that the hardware report's
 * report data is the hash of the runtime data. */
enum dcr_err attest_vtpm_hcl_parse(const uint8_t *hcl, size_t size, struct vtpm_hcl *out,
                                   struct dcr_msg *msg) DCR_WUR;
/* Step 4: HCLAkPub and user-data from the runtime data JSON; out->ak is set
 * on success (free it with attest_vtpm_runtime_free). */
enum dcr_err attest_vtpm_runtime_parse(const uint8_t *json, size_t size,
                                       struct vtpm_runtime *out, struct dcr_msg *msg) DCR_WUR;
void attest_vtpm_runtime_free(struct vtpm_runtime *rt);
/* Steps 5-8: parses the TPMS_ATTEST, checks the AK's RSASSA-PKCS1-v1_5
 * SHA-256 signature over it, extraData = expected_extra, the selection =
 * SHA-256 PCRs 0..23 and the digest of pcrs (VTPM_PCRS_SIZE bytes). */
enum dcr_err attest_vtpm_quote_verify(const uint8_t *attest, size_t attest_size,
                                      const uint8_t *sig, size_t sig_size, EVP_PKEY *ak,
                                      const uint8_t *expected_extra, size_t expected_extra_size,
                                      const uint8_t *pcrs, size_t pcrs_size,
                                      struct vtpm_quote *out, struct dcr_msg *msg) DCR_WUR;

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
