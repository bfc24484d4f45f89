/* SPDX-License-Identifier: Apache-2.0 */
/* The snp producer: the attestation report and the host's certificate table
 * from configfs-tsm, and a sealing key the SEV-SNP firmware derives from the
 * chip's VCEK and this guest's launch measurement and policy. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/sev-guest.h>

#include "../attest_int.h"

#define CERT_ENTRY_SIZE 24 /* GUID (16), offset u32 LE, length u32 LE */

snp_key_transport_fn attest_snp_key_transport = attest_snp_key_ioctl;

bool attest_snp_detect(void)
{
	return attest_path_exists(SNP_GUEST_DEVICE, false) &&
	       attest_path_exists(TSM_REPORT_DIR, true);
}

/* The certificate table configfs-tsm's auxblob holds: entries up to an
 * all-zero one, each pointing inside the table. Checked here only so that a
 * broken host table is named at start-up; the verifier checks it again. */
bool attest_snp_cert_table_ok(const uint8_t *t, size_t size)
{
	static const uint8_t zero[CERT_ENTRY_SIZE];

	for (size_t off = 0; size - off >= CERT_ENTRY_SIZE; off += CERT_ENTRY_SIZE) {
		uint32_t at = attest_le32(t + off + 16), len = attest_le32(t + off + 20);

		if (!memcmp(t + off, zero, CERT_ENTRY_SIZE))
			return true;
		if (at > size || len > size - at)
			return false;
	}
	return false; /* no terminating entry */
}

enum dcr_err attest_snp_evidence(const struct dcr_attest_env *env,
                                 const uint8_t report_data[static DCR_REPORT_DATA_SIZE],
                                 struct dcr_buf *out, struct dcr_msg *msg)
{
	struct dcr_buf report, aux;
	struct tsm_request req = {
		.provider = "sev_guest", .set_privlevel = true, .outblob = &report, .auxblob = &aux,
	};
	enum dcr_err err;

	(void)env;
	dcr_buf_init(&report, TSM_OUTBLOB_MAX);
	dcr_buf_init(&aux, TSM_AUXBLOB_MAX);
	err = attest_tsm_report("snp", &req, report_data, msg);
	if (err)
		goto out;
	if (report.size != SNP_REPORT_SIZE) {
		err = dcr_fail(msg, DCR_ERR_INVALID,
		               "snp: configfs-tsm returned a %zu-byte report; an SEV-SNP report "
		               "is %d bytes",
		               report.size, SNP_REPORT_SIZE);
		goto out;
	}
	if (aux.size && !attest_snp_cert_table_ok(aux.data, aux.size)) {
		err = dcr_fail(msg, DCR_ERR_INVALID,
		               "snp: the host's certificate table (configfs-tsm auxblob, %zu "
		               "bytes) is malformed",
		               aux.size);
		goto out;
	}
	err = dcr_buf_append(out, report.data, report.size);
	if (!err && aux.size)
		err = dcr_buf_append(out, aux.data, aux.size);
	if (err)
		dcr_msg_set(msg, "snp: evidence: %s", dcr_strerror(err));
out:
	dcr_buf_free(&report);
	dcr_buf_free(&aux);
	return err;
}

/* ---- sealing key -------------------------------------------------------- */

void attest_snp_key_request(struct snp_key_request *out)
{
	memset(out, 0, sizeof(*out));
	/* VCEK: bound to this chip. Policy and measurement: bound to this
	 * guest image launched with this policy, so another image (or the same
	 * one with debugging allowed) derives another key. Not the TCB version
	 * or SVNs, so that a firmware update does not lose the data. VMPL 0:
	 * only the most privileged level of the guest can derive it. */
	out->root_key_select = SNP_KEY_ROOT_VCEK;
	out->guest_field_select = SNP_KEY_FIELD_POLICY | SNP_KEY_FIELD_MEASUREMENT;
	out->vmpl = 0;
	out->guest_svn = 0;
	out->tcb_version = 0;
}

/* Written for an SEV-SNP guest, where /dev/sev-guest exists; it has not run
 * on one in this project's tests (they replace attest_snp_key_transport). */
enum dcr_err attest_snp_key_ioctl(const char *device, const struct snp_key_request *req,
                                  uint8_t resp[static SNP_KEY_RESP_SIZE], uint64_t *fw_error,
                                  struct dcr_msg *msg)
{
	struct snp_derived_key_req kreq;
	struct snp_derived_key_resp kresp;
	struct snp_guest_request_ioctl io;
	enum dcr_err err = DCR_OK;
	int fd;

	_Static_assert(sizeof(kresp.data) == SNP_KEY_RESP_SIZE, "MSG_KEY_RSP size");
	memset(resp, 0, SNP_KEY_RESP_SIZE);
	*fw_error = 0;
	memset(&kreq, 0, sizeof(kreq));
	memset(&kresp, 0, sizeof(kresp));
	memset(&io, 0, sizeof(io));
	kreq.root_key_select = req->root_key_select;
	kreq.guest_field_select = req->guest_field_select;
	kreq.vmpl = req->vmpl;
	kreq.guest_svn = req->guest_svn;
	kreq.tcb_version = req->tcb_version;
	io.msg_version = 1;
	io.req_data = (uint64_t)(uintptr_t)&kreq;
	io.resp_data = (uint64_t)(uintptr_t)&kresp;

	fd = open(device, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return dcr_fail(msg, errno == ENOENT ? DCR_ERR_UNSUPPORTED : DCR_ERR_IO, "%s: %s",
		                device, strerror(errno));
	if (ioctl(fd, SNP_GET_DERIVED_KEY, &io) != 0) {
		*fw_error = io.exitinfo2;
		err = dcr_fail(msg, DCR_ERR_IO, "%s: SNP_GET_DERIVED_KEY: %s (firmware error 0x%llx)",
		               device, strerror(errno), (unsigned long long)io.exitinfo2);
	} else {
		memcpy(resp, kresp.data, SNP_KEY_RESP_SIZE);
	}
	dcr_wipe(&kresp, sizeof(kresp));
	close(fd);
	return err;
}

enum dcr_err attest_snp_sealing_key(const struct dcr_attest_env *env,
                                    uint8_t out[static DCR_SEALING_KEY_SIZE],
                                    struct dcr_msg *msg)
{
	static const uint8_t zero[SNP_KEY_SIZE];
	uint8_t resp[SNP_KEY_RESP_SIZE];
	struct snp_key_request req;
	uint64_t fw_error = 0;
	enum dcr_err err;
	uint32_t status;
	char *device;

	(void)env;
	memset(out, 0, DCR_SEALING_KEY_SIZE);
	memset(resp, 0, sizeof(resp));
	attest_snp_key_request(&req);
	device = attest_path(SNP_GUEST_DEVICE);
	if (!device)
		return dcr_fail(msg, DCR_ERR_NOMEM, "out of memory");
	err = attest_snp_key_transport(device, &req, resp, &fw_error, msg);
	free(device);
	if (err) {
		dcr_msg_prefix(msg, "snp: derived key: ");
		goto out;
	}
	status = attest_le32(resp);
	if (status != 0) {
		err = dcr_fail(msg, DCR_ERR_IO,
		               "snp: derived key: the firmware refused the request (MSG_KEY_RSP "
		               "status 0x%x)",
		               (unsigned)status);
		goto out;
	}
	if (!memcmp(resp + SNP_KEY_RESP_KEY_OFF, zero, SNP_KEY_SIZE)) {
		err = dcr_fail(msg, DCR_ERR_IO, "snp: derived key: the firmware returned a zero key");
		goto out;
	}
	/* The firmware's key is never used as is: a dcr-specific key from it. */
	err = dcr_kdf(resp + SNP_KEY_RESP_KEY_OFF, SNP_KEY_SIZE, SNP_SEALING_LABEL, NULL, 0, out);
	if (err)
		dcr_fail(msg, err, "snp: derived key: cannot derive the sealing key");
out:
	dcr_wipe(resp, sizeof(resp));
	return err;
}
