/* SPDX-License-Identifier: Apache-2.0 */
/* attest module internals: each backend's ops table (the registry in
 * attest.c points at them), helpers backends share, and the sim format. */
#ifndef DCR_ATTEST_INT_H
#define DCR_ATTEST_INT_H

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

/* ---- snp (configfs-tsm, /dev/sev-guest), snp/snp_evidence.c ------------ */

#define SNP_GUEST_DEVICE "/dev/sev-guest"
#define SNP_REPORT_SIZE 1184
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

/* ---- azure-vtpm (tpm2-tss ESAPI), vtpm/vtpm_evidence.c ------------------ */

#define VTPM_MAGIC "DCRVTPM1"
#define VTPM_MAGIC_SIZE 8
#define VTPM_SECTION_COUNT 5
#define VTPM_NV_HCL_REPORT 0x01400001u
#define VTPM_NV_REPORT_DATA 0x01400002u
#define VTPM_AK_HANDLE 0x81000003u
#define VTPM_PCR_COUNT 24
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

#endif
