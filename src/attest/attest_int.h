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

/* Little-endian integers of the evidence formats, and a zero test. */
static inline uint16_t attest_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t attest_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t attest_le64(const uint8_t *p)
{
	return (uint64_t)attest_le32(p) | (uint64_t)attest_le32(p + 4) << 32;
}

static inline bool attest_all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

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

/* The environment variable naming the root of the device tree producers
 * use ("" or unset: the real "/"); tests point it at a fake tree. */
#define ATTEST_ROOT_ENV "DCR_ATTEST_ROOT"

/* $DCR_ATTEST_ROOT followed by abs_path (which starts with '/'), in a new
 * string the caller frees; NULL when out of memory. */
char *attest_path(const char *abs_path);

/* True when $DCR_ATTEST_ROOT + abs_path exists (is_dir: and is a directory). */
bool attest_path_exists(const char *abs_path, bool is_dir);

/* Reads at most max bytes of the file at path (a device file, configfs or
 * /dev/attestation attribute, or a FIFO: read to end of file, never
 * trusting st_size) and appends them to out. DCR_ERR_TOO_BIG when the file
 * holds more than max, DCR_ERR_IO / DCR_ERR_NOT_FOUND with msg naming path. */
enum dcr_err attest_read_file(const char *path, size_t max, struct dcr_buf *out,
                              struct dcr_msg *msg) DCR_WUR;

/* Writes size bytes to the existing file at path in one write(2) (no
 * O_CREAT, no O_TRUNC: a configfs or /dev/attestation attribute takes the
 * whole value in one write). DCR_ERR_IO with msg naming path. */
enum dcr_err attest_write_file(const char *path, const void *data, size_t size,
                               struct dcr_msg *msg) DCR_WUR;

/* The sealing key of a TEE that has no hardware sealing key (tdx,
 * azure-vtpm): 32 random bytes made once and kept in
 * <data_dir>/ATTEST_KEYFILE_NAME (mode 0600), then read back on every start.
 * Only as safe as the disk the data directory lives on, which must be the
 * confidential VM's encrypted disk. who names the backend in messages. */
#define ATTEST_KEYFILE_NAME "tee-sealing.key"
enum dcr_err attest_keyfile_sealing_key(const char *who, const struct dcr_attest_env *env,
                                        uint8_t out[static DCR_SEALING_KEY_SIZE],
                                        struct dcr_msg *msg) DCR_WUR;

/* ---- tsm: Linux configfs-tsm reports (tsm/tsm.c) ---------------------- */

#define TSM_REPORT_DIR "/sys/kernel/config/tsm/report"
#define TSM_OUTBLOB_MAX (256u * 1024) /* a quote or report with certificates */
#define TSM_AUXBLOB_MAX (256u * 1024) /* SNP certificate table */
#define TSM_SHORT_MAX 64              /* generation, provider, privlevel_floor */

struct tsm_request {
	const char *provider;  /* the provider the kernel must name: "tdx_guest", "sev_guest" */
	bool set_privlevel;    /* SNP: write privlevel (= privlevel_floor) when present */
	struct dcr_buf *outblob; /* receives outblob (required) */
	struct dcr_buf *auxblob; /* receives auxblob when not NULL */
};

/* One configfs-tsm report over report_data: makes a fresh entry under
 * $DCR_ATTEST_ROOT/sys/kernel/config/tsm/report, writes inblob (and
 * privlevel), reads outblob (and auxblob), checks the provider and that no
 * other writer raced this one (generation), and removes the entry on every
 * path. who prefixes messages ("tdx"). */
enum dcr_err attest_tsm_report(const char *who, const struct tsm_request *req,
                               const uint8_t report_data[static DCR_REPORT_DATA_SIZE],
                               struct dcr_msg *msg) DCR_WUR;

/* ---- sgx (Gramine /dev/attestation), sgx/sgx_evidence.c --------------- */

#define GRAMINE_DIR "/dev/attestation"
#define SGX_SEALING_LABEL "dcr sgx sealing key v1"
#define SGX_MRENCLAVE_KEY_SIZE 16
#define SGX_QUOTE_MAX (64u * 1024)

bool attest_sgx_detect(void);
enum dcr_err attest_sgx_evidence(const struct dcr_attest_env *env,
                                 const uint8_t report_data[static DCR_REPORT_DATA_SIZE],
                                 struct dcr_buf *out, struct dcr_msg *msg);
enum dcr_err attest_sgx_sealing_key(const struct dcr_attest_env *env,
                                    uint8_t out[static DCR_SEALING_KEY_SIZE],
                                    struct dcr_msg *msg);

/* ---- tdx (configfs-tsm), tdx/tdx_evidence.c ---------------------------- */

#define TDX_GUEST_DEVICE "/dev/tdx_guest"

bool attest_tdx_detect(void);
enum dcr_err attest_tdx_evidence(const struct dcr_attest_env *env,
                                 const uint8_t report_data[static DCR_REPORT_DATA_SIZE],
                                 struct dcr_buf *out, struct dcr_msg *msg);
enum dcr_err attest_tdx_sealing_key(const struct dcr_attest_env *env,
                                    uint8_t out[static DCR_SEALING_KEY_SIZE],
                                    struct dcr_msg *msg);

/* ---- snp producer (configfs-tsm, /dev/sev-guest), snp/snp_evidence.c --- */
/* (SNP_REPORT_SIZE and the report layout: the snp section below) */

#define SNP_GUEST_DEVICE "/dev/sev-guest"
#define SNP_SEALING_LABEL "dcr snp sealing key v1"
/* MSG_KEY_REQ (SEV-SNP firmware ABI): root key 0 = VCEK; guest field
 * select bits mixed into the key: 0 policy, 1 image id, 2 family id,
 * 3 measurement, 4 guest svn, 5 TCB version. */
#define SNP_KEY_ROOT_VCEK 0u
#define SNP_KEY_FIELD_POLICY (1u << 0)
#define SNP_KEY_FIELD_MEASUREMENT (1u << 3)
#define SNP_KEY_RESP_SIZE 64    /* MSG_KEY_RSP: status u32, reserved, key @0x20 */
#define SNP_KEY_RESP_KEY_OFF 0x20
#define SNP_KEY_SIZE 32

/* What dcr asks the firmware for (the fields of the kernel's struct
 * snp_derived_key_req, in host order). */
struct snp_key_request {
	uint32_t root_key_select;
	uint64_t guest_field_select;
	uint32_t vmpl;
	uint32_t guest_svn;
	uint64_t tcb_version;
};

/* The request the SNP sealing key uses: VCEK root, policy and measurement. */
void attest_snp_key_request(struct snp_key_request *out);

/* The seam in front of the SNP_GET_DERIVED_KEY ioctl on device: fills resp
 * (MSG_KEY_RSP) and *fw_error. Tests replace it; the real one only runs in
 * an SEV-SNP guest. */
typedef enum dcr_err (*snp_key_transport_fn)(const char *device,
                                              const struct snp_key_request *req,
                                              uint8_t resp[static SNP_KEY_RESP_SIZE],
                                              uint64_t *fw_error, struct dcr_msg *msg);
extern snp_key_transport_fn attest_snp_key_transport;
enum dcr_err attest_snp_key_ioctl(const char *device, const struct snp_key_request *req,
                                  uint8_t resp[static SNP_KEY_RESP_SIZE], uint64_t *fw_error,
                                  struct dcr_msg *msg);

/* True when the size bytes at t are a certificate table as configfs-tsm's
 * auxblob holds it: 24-byte entries (GUID, offset u32 LE, length u32 LE)
 * up to an all-zero one, each pointing inside the table. */
bool attest_snp_cert_table_ok(const uint8_t *t, size_t size);

bool attest_snp_detect(void);
enum dcr_err attest_snp_evidence(const struct dcr_attest_env *env,
                                 const uint8_t report_data[static DCR_REPORT_DATA_SIZE],
                                 struct dcr_buf *out, struct dcr_msg *msg);
enum dcr_err attest_snp_sealing_key(const struct dcr_attest_env *env,
                                    uint8_t out[static DCR_SEALING_KEY_SIZE],
                                    struct dcr_msg *msg);

/* ---- azure-vtpm producer (tpm2-tss ESAPI), vtpm/vtpm_evidence.c -------- */
/* (VTPM_MAGIC, VTPM_SECTION_COUNT, VTPM_PCR_COUNT: the azure-vtpm section below) */

#define VTPM_NV_HCL_REPORT 0x01400001u
#define VTPM_NV_REPORT_DATA 0x01400002u
#define VTPM_AK_HANDLE 0x81000003u
#define VTPM_HCL_REPORT_MAX (64u * 1024)
#define VTPM_TPM_DEVICE "/dev/tpmrm0"

bool attest_vtpm_detect(void);
enum dcr_err attest_vtpm_evidence(const struct dcr_attest_env *env,
                                  const uint8_t report_data[static DCR_REPORT_DATA_SIZE],
                                  struct dcr_buf *out, struct dcr_msg *msg);
enum dcr_err attest_vtpm_sealing_key(const struct dcr_attest_env *env,
                                     uint8_t out[static DCR_SEALING_KEY_SIZE],
                                     struct dcr_msg *msg);

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
