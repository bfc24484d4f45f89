/* SPDX-License-Identifier: Apache-2.0 */
/* attest: evidence producers (inside the TEE) and verifiers (anywhere) behind
 * one interface, a registry that picks a backend by name, and the appraisal
 * of verified claims against a policy. Docs: docs/ATTESTATION.md. */
#ifndef DCR_ATTEST_H
#define DCR_ATTEST_H

#include "dcr/crypto.h"
#include "dcr/util.h"

#define DCR_REPORT_DATA_SIZE 64
#define DCR_SEALING_KEY_SIZE 32
#define DCR_ATTEST_MAX_MEASUREMENTS 32
#define DCR_EVIDENCE_MAX_SIZE (1u << 20)
#define DCR_ATTEST_TCB_STATUS_SIZE 48    /* "ConfigurationAndSWHardeningNeeded" fits */
#define DCR_ATTEST_MAX_ADVISORIES 32
#define DCR_ATTEST_ADVISORY_SIZE 24      /* "INTEL-SA-00615" fits */

/* One measured value a verifier extracted from evidence. */
struct dcr_attest_measurement {
	const char *name;                 /* static; same names as dcr_tee_field */
	uint8_t value[DCR_TEE_VALUE_MAX];
	size_t size;
};

#define DCR_ATTEST_MAX_INFO 16
#define DCR_ATTEST_INFO_SIZE 160

/* A fact evidence states beside its measurements, shown to people but not
 * appraised: SNP's policy, VMPL, TCB, chip id, product... */
struct dcr_attest_info {
	const char *name;                 /* static, e.g. "policy" */
	char value[DCR_ATTEST_INFO_SIZE]; /* text, NUL-terminated */
};

/* What verified evidence says. Only filled in by a successful verify; all
 * zero after a failed one. */
struct dcr_attest_claims {
	enum dcr_tee tee;
	uint8_t report_data[DCR_REPORT_DATA_SIZE];
	struct dcr_attest_measurement measurements[DCR_ATTEST_MAX_MEASUREMENTS];
	size_t measurement_count;
	bool debug;                       /* the TEE's memory is open to its host */
	int64_t timestamp;                /* when the evidence was made, 0 if unknown */
	struct dcr_attest_info info[DCR_ATTEST_MAX_INFO]; /* other facts, for display */
	size_t info_count;
	/* SGX/TDX (DCAP): the platform's TCB status as the collateral rates it
	 * ("UpToDate", "SWHardeningNeeded", ...; "unknown (no collateral)"
	 * without collateral), the advisory IDs of its TCB level, and the
	 * FMSPC of its PCK certificate in hex. Empty for other kinds. */
	char tcb_status[DCR_ATTEST_TCB_STATUS_SIZE];
	char advisories[DCR_ATTEST_MAX_ADVISORIES][DCR_ATTEST_ADVISORY_SIZE];
	size_t advisory_count;
	bool advisories_truncated;        /* more advisories (or longer IDs) than fit */
	char fmspc[13];
};

/* Where a producer runs. */
struct dcr_attest_env {
	const char *data_dir;             /* the clean room's data directory */
};

/* Inputs a verifier may need beyond the evidence itself. */
struct dcr_attest_verify_opts {
	int64_t at;                       /* time to check validity at; 0 = now */
	const uint8_t *vcek;              /* SNP: VCEK certificate (DER), optional */
	size_t vcek_size;
	const uint8_t *collateral;        /* SGX/TDX: collateral JSON, optional */
	size_t collateral_size;
	/* Optional: the fields parsed from the evidence before any signature
	 * is checked, filled whether or not it verifies (sgx, tdx, snp) — for
	 * showing how far a refused file got. NEVER appraise these. */
	struct dcr_attest_claims *parsed;
};

/* One backend (curl's struct Curl_ssl pattern). Any function may be NULL
 * when the backend lacks that half. */
struct dcr_attest_ops {
	const char *name;                 /* dcr_tee_name(tee) */
	enum dcr_tee tee;
	/* Producer: true when this TEE is present here (never true for sim). */
	bool (*detect)(void);
	/* Producer: evidence binding report_data, appended to out. */
	enum dcr_err (*evidence)(const struct dcr_attest_env *env,
	                         const uint8_t report_data[static DCR_REPORT_DATA_SIZE],
	                         struct dcr_buf *out, struct dcr_msg *msg);
	/* Producer: a key only this code on this TEE can derive. */
	enum dcr_err (*sealing_key)(const struct dcr_attest_env *env,
	                            uint8_t out[static DCR_SEALING_KEY_SIZE], struct dcr_msg *msg);
	/* Verifier: true when evidence looks like this backend's format. */
	bool (*probe)(const uint8_t *evidence, size_t size);
	/* Verifier: checks evidence completely; on DCR_OK fills out, which is
	 * zeroed on entry. On failure (DCR_ERR_INVALID for a malformed format,
	 * DCR_ERR_VERIFY for a failed check) msg names the step that failed
	 * ("sim: step 3 (signature): ..."). opts may be NULL. */
	enum dcr_err (*verify)(const uint8_t *evidence, size_t size,
	                       const struct dcr_attest_verify_opts *opts,
	                       struct dcr_attest_claims *out, struct dcr_msg *msg);
};

/* RA-TLS certificate extensions (dcr_attest_verify_ratls's out_exts). */
#define DCR_RATLS_LEGACY 1u               /* Gramine's legacy extension: raw quote */
#define DCR_RATLS_DICE 2u                 /* TCG DICE 2.23.133.5.4.9: CBOR [quote, claims] */

/* Verifies an RA-TLS certificate (PEM or DER, cert_size bytes): valid at
 * opts->at (0 = now), its quote(s) verified by the sgx/tdx verifier with
 * opts, each bound to the certificate's public key. On DCR_OK out holds the
 * quote's claims and out_exts which extensions were verified; on failure
 * both are zero and msg names the step ("ratls: step 2 (certificate
 * validity): ..."). docs/ATTESTATION.md "RA-TLS certificates". */
enum dcr_err dcr_attest_verify_ratls(const uint8_t *cert, size_t cert_size,
                                     const struct dcr_attest_verify_opts *opts,
                                     struct dcr_attest_claims *out, unsigned *out_exts,
                                     struct dcr_msg *msg) DCR_WUR;

/* The backend for tee, or NULL when this build has none. */
const struct dcr_attest_ops *dcr_attest_find(enum dcr_tee tee);
/* The backend named name ("sim", "sgx", ...), or NULL. */
const struct dcr_attest_ops *dcr_attest_find_name(const char *name);
/* The first hardware TEE present here, or NULL (never sim). */
const struct dcr_attest_ops *dcr_attest_detect(void);
/* The backend whose format evidence has, or NULL. */
const struct dcr_attest_ops *dcr_attest_probe(const uint8_t *evidence, size_t size);

/* Azure: inspects a bare HCL report (the bytes of TPM NV index 0x01400001,
 * starting "HCLA") rather than a DCRVTPM1 container. out gets what the report
 * says (kind azure-vtpm, the hardware report's measurement, the runtime
 * data's user-data as report data when present, and info: the HCL fields and
 * the runtime-data binding) EVEN WHEN IT DOES NOT VERIFY: out is for display
 * only, never for appraisal. Returns DCR_OK only when the SNP report verified
 * with opts->vcek (there are no PCRs: a bare HCL report has no TPM quote);
 * otherwise an error whose msg says why it is not verified (no VCEK, a TDX
 * report, a failed step). */
enum dcr_err dcr_attest_azure_hcl_inspect(const uint8_t *hcl, size_t size,
                                          const struct dcr_attest_verify_opts *opts,
                                          struct dcr_attest_claims *out,
                                          struct dcr_msg *msg) DCR_WUR;

/* The measurement called name ("mrtd", ...) in claims, or NULL. */
const struct dcr_attest_measurement *dcr_attest_claims_find(const struct dcr_attest_claims *claims,
                                                            const char *name);

/* The report data every backend binds: SHA-512 over a domain label, the
 * contract hash and the clean room's two public keys (docs/ATTESTATION.md). */
void dcr_attest_report_data(const uint8_t contract_hash[static 32],
                            const struct dcr_pubkey *room,
                            uint8_t out[static DCR_REPORT_DATA_SIZE]);

/* SHA-384 of the running executable (/proc/self/exe): the sim backend's
 * measurement, and what a contract pins as tee.measurements.sim.measurement. */
enum dcr_err dcr_attest_self_measurement(uint8_t out[static 48], struct dcr_msg *msg) DCR_WUR;

/* What a relying party requires of verified claims. */
struct dcr_attest_policy {
	unsigned accept;                  /* DCR_TEE_BIT(kind) of accepted kinds */
	const struct dcr_tee_pin *pins;   /* measurements that must match */
	size_t pin_count;
	const uint8_t *report_data;       /* expected report data; NULL: unchecked */
	bool allow_debug;                 /* accept debuggable hardware TEEs */
};

/* Checks claims against policy, step by step: TEE kind accepted, not debug
 * (sim is exempt: accepting it is accepting no protection, and a loud
 * warning is logged), every pinned measurement equal, report data equal.
 * DCR_ERR_VERIFY with msg naming the step. */
enum dcr_err dcr_attest_appraise(const struct dcr_attest_claims *claims,
                                 const struct dcr_attest_policy *policy,
                                 struct dcr_msg *msg) DCR_WUR;

#endif
