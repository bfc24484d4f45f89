/* SPDX-License-Identifier: Apache-2.0 */
/* The sim producer: evidence signed by a simulated platform key kept in the
 * data directory, and a sealing key bound to the running executable. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "../attest_int.h"

bool attest_sim_detect(void)
{
	/* A simulated TEE is never chosen by accident: only by name. */
	return false;
}

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Loads <data_dir>/sim-platform.key, making it (and .pub) on first use. */
static enum dcr_err platform_key(const struct dcr_attest_env *env, struct dcr_seckey **out,
                                 struct dcr_msg *msg)
{
	enum dcr_err err;
	struct stat st;
	char *prefix = NULL, *path = NULL;
	size_t n;

	*out = NULL;
	if (!env || !env->data_dir || !*env->data_dir)
		return dcr_fail(msg, DCR_ERR_INVALID,
		                "sim: no data directory: the simulated platform key is kept there "
		                "(give the clean room a --data-dir)");
	if (stat(env->data_dir, &st) != 0)
		return dcr_fail(msg, errno == ENOENT ? DCR_ERR_NOT_FOUND : DCR_ERR_IO,
		                "sim: data directory %s: %s", env->data_dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return dcr_fail(msg, DCR_ERR_INVALID, "sim: data directory %s: not a directory",
		                env->data_dir);

	n = strlen(env->data_dir) + sizeof("/" SIM_PLATFORM_KEY_NAME ".key");
	prefix = malloc(n);
	path = malloc(n);
	if (!prefix || !path) {
		err = dcr_fail(msg, DCR_ERR_NOMEM, "out of memory");
		goto out;
	}
	snprintf(prefix, n, "%s/" SIM_PLATFORM_KEY_NAME, env->data_dir);
	snprintf(path, n, "%s.key", prefix);

	err = dcr_seckey_load(path, out, msg);
	if (err != DCR_ERR_NOT_FOUND)
		goto out;
	err = dcr_seckey_generate(out);
	if (err) {
		dcr_msg_set(msg, "cannot make one: %s", dcr_strerror(err));
		goto out;
	}
	err = dcr_seckey_save(*out, prefix, msg);
	if (err == DCR_ERR_EXISTS) {
		/* Another process made it first (or a stray .pub is in the way):
		 * take whatever is there now, which says clearly what is wrong. */
		dcr_seckey_free(*out);
		*out = NULL;
		err = dcr_seckey_load(path, out, msg);
		if (err == DCR_ERR_NOT_FOUND)
			err = dcr_fail(msg, DCR_ERR_EXISTS,
			               "%s.pub exists but %s does not; remove the .pub to make a "
			               "new platform key",
			               prefix, path);
	}
	if (!err)
		dcr_log_info("sim: made the simulated platform key %s", path);
out:
	if (err) {
		dcr_seckey_free(*out);
		*out = NULL;
		dcr_msg_prefix(msg, "sim: platform key: ");
	}
	free(prefix);
	free(path);
	return err;
}

enum dcr_err attest_sim_evidence(const struct dcr_attest_env *env,
                                 const uint8_t report_data[static DCR_REPORT_DATA_SIZE],
                                 struct dcr_buf *out, struct dcr_msg *msg)
{
	uint8_t ev[SIM_EVIDENCE_SIZE];
	uint8_t tbs[SIM_SIGN_LABEL_SIZE + SIM_OFF_SIGNATURE];
	struct dcr_seckey *key = NULL;
	struct dcr_pubkey pub;
	time_t now = time(NULL);
	enum dcr_err err;

	_Static_assert(sizeof(SIM_SIGN_LABEL) - 1 == SIM_SIGN_LABEL_SIZE, "label size");
	_Static_assert(SIM_OFF_SIGNATURE + DCR_SIGNATURE_SIZE == SIM_EVIDENCE_SIZE, "layout");
	memset(ev, 0, sizeof(ev));
	err = platform_key(env, &key, msg);
	if (err)
		return err;
	err = dcr_attest_self_measurement(ev + SIM_OFF_MEASUREMENT, msg);
	if (err) {
		dcr_msg_prefix(msg, "sim: measuring the running executable: ");
		goto out;
	}
	memcpy(ev, SIM_MAGIC, SIM_MAGIC_SIZE);
	put_le16(ev + SIM_OFF_VERSION, SIM_VERSION);
	put_le64(ev + SIM_OFF_TIMESTAMP, now > 0 ? (uint64_t)now : 0);
	memcpy(ev + SIM_OFF_REPORT_DATA, report_data, DCR_REPORT_DATA_SIZE);
	dcr_seckey_public(key, &pub);
	memcpy(ev + SIM_OFF_PLATFORM_KEY, pub.sign, DCR_SIGN_PK_SIZE);

	memcpy(tbs, SIM_SIGN_LABEL, SIM_SIGN_LABEL_SIZE);
	memcpy(tbs + SIM_SIGN_LABEL_SIZE, ev, SIM_OFF_SIGNATURE);
	dcr_sign(key, tbs, sizeof(tbs), ev + SIM_OFF_SIGNATURE);

	err = dcr_buf_append(out, ev, sizeof(ev));
	if (err)
		dcr_msg_set(msg, "sim: evidence: %s", dcr_strerror(err));
out:
	dcr_seckey_free(key);
	return err;
}

enum dcr_err attest_sim_sealing_key(const struct dcr_attest_env *env,
                                    uint8_t out[static DCR_SEALING_KEY_SIZE],
                                    struct dcr_msg *msg)
{
	uint8_t measurement[ATTEST_SHA384_SIZE];
	struct dcr_seckey *key = NULL;
	enum dcr_err err;

	memset(out, 0, DCR_SEALING_KEY_SIZE);
	err = platform_key(env, &key, msg);
	if (err)
		return err;
	/* Bound to this binary as well as this platform (SGX's MRENCLAVE
	 * policy): another build of dcr cannot unseal what this one sealed. */
	err = dcr_attest_self_measurement(measurement, msg);
	if (err) {
		dcr_msg_prefix(msg, "sim: measuring the running executable: ");
		goto out;
	}
	dcr_seckey_derive(key, SIM_SEALING_LABEL, measurement, sizeof(measurement), out);
out:
	dcr_seckey_free(key);
	return err;
}
