/* SPDX-License-Identifier: Apache-2.0 */
/* util: errors, messages, size-capped buffers, hex/base64, logging, files,
 * and the names of the TEE kinds. Depends on libc only. */
#ifndef DCR_UTIL_H
#define DCR_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define DCR_WUR __attribute__((warn_unused_result))
#define DCR_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* ---- errors ------------------------------------------------------------ */

/* Every fallible function returns one of these. */
enum dcr_err {
	DCR_OK = 0,
	DCR_ERR_NOMEM = -1,       /* out of memory */
	DCR_ERR_INVALID = -2,     /* malformed input */
	DCR_ERR_TOO_BIG = -3,     /* input over a size limit */
	DCR_ERR_IO = -4,          /* file or network I/O failed */
	DCR_ERR_NOT_FOUND = -5,   /* no such file, party, dataset, ... */
	DCR_ERR_EXISTS = -6,      /* refusing to overwrite */
	DCR_ERR_PERM = -7,        /* unsafe or denied permissions */
	DCR_ERR_VERIFY = -8,      /* signature, MAC, attestation or binding failed */
	DCR_ERR_TRUNCATED = -9,   /* input ended before it was complete */
	DCR_ERR_EXPIRED = -10,    /* past its validity */
	DCR_ERR_REFUSED = -11,    /* refused by the contract's rules */
	DCR_ERR_UNSUPPORTED = -12,/* not available in this build or on this host */
	DCR_ERR_USAGE = -13,      /* bad command line */
	DCR_ERR_INTERNAL = -14,   /* a library call failed unexpectedly */
	DCR_ERR_SQL = -15,        /* unparsable or unsupported SQL, bad names/types */
};

/* A static English description of err; never NULL. */
const char *dcr_strerror(enum dcr_err err);

/* ---- messages: the detail that goes with an error ---------------------- */

#define DCR_MSG_SIZE 512

/* A human-readable explanation filled in by the function that failed, e.g.
 * "parties[1].name: duplicate party name \"acme\"". */
struct dcr_msg {
	char text[DCR_MSG_SIZE];
};

/* Sets msg (which may be NULL) to the formatted text, truncating. */
void dcr_msg_set(struct dcr_msg *msg, const char *fmt, ...) DCR_PRINTF(2, 3);
/* Prepends the formatted text to msg (which may be NULL). */
void dcr_msg_prefix(struct dcr_msg *msg, const char *fmt, ...) DCR_PRINTF(2, 3);
/* Sets msg and returns err: `return dcr_fail(msg, DCR_ERR_INVALID, ...)`. */
enum dcr_err dcr_fail(struct dcr_msg *msg, enum dcr_err err, const char *fmt, ...)
	DCR_PRINTF(3, 4);

/* ---- size-capped growable buffer -------------------------------------- */

/* Bytes filled from outside always go through one of these, so every such
 * buffer has a cap. data is NUL-terminated after each successful append
 * (the NUL is not counted in size), so text can be used as a C string. */
struct dcr_buf {
	uint8_t *data; /* owned; NULL until the first append */
	size_t size;   /* bytes used */
	size_t cap;    /* bytes allocated */
	size_t max;    /* appends that would make size exceed this fail */
	bool secret;   /* wipe memory when it is freed or moved */
};

/* Initialises an empty buffer holding at most max bytes. */
void dcr_buf_init(struct dcr_buf *b, size_t max);
/* Makes room for extra more bytes. DCR_ERR_TOO_BIG past max. */
enum dcr_err dcr_buf_reserve(struct dcr_buf *b, size_t extra) DCR_WUR;
/* Appends size bytes. DCR_ERR_TOO_BIG past max, DCR_ERR_NOMEM. */
enum dcr_err dcr_buf_append(struct dcr_buf *b, const void *data, size_t size) DCR_WUR;
/* Appends formatted text. */
enum dcr_err dcr_buf_printf(struct dcr_buf *b, const char *fmt, ...) DCR_PRINTF(2, 3) DCR_WUR;
/* Forgets the contents (wiping them for a secret buffer), keeps the memory. */
void dcr_buf_reset(struct dcr_buf *b);
/* Frees the memory; the buffer may be appended to again afterwards. */
void dcr_buf_free(struct dcr_buf *b);

/* Overwrites size bytes with zeros in a way the compiler may not elide. */
void dcr_wipe(void *p, size_t size);

/* ---- arena: many small allocations freed in one go -------------------- */

struct dcr_arena_block;

/* A bump allocator (not thread-safe). Allocations are 16-byte aligned and
 * zeroed; they live until dcr_arena_free. */
struct dcr_arena {
	struct dcr_arena_block *head; /* newest block first */
	size_t total;                 /* bytes allocated from the system */
	size_t max;                   /* cap on total; past it allocations fail */
};

void dcr_arena_init(struct dcr_arena *a, size_t max);
/* size zeroed bytes, or NULL when out of memory or past the cap. */
void *dcr_arena_alloc(struct dcr_arena *a, size_t size);
/* Like dcr_arena_alloc, but the memory is not zeroed (for buffers that are
 * written before they are read). */
void *dcr_arena_alloc_raw(struct dcr_arena *a, size_t size);
/* A NUL-terminated copy of n bytes of s, or NULL. */
char *dcr_arena_strndup(struct dcr_arena *a, const char *s, size_t n);
/* Frees every allocation; the arena may be used again. */
void dcr_arena_free(struct dcr_arena *a);
/* Frees every allocation but keeps the newest block's memory for reuse. */
void dcr_arena_reset(struct dcr_arena *a);

/* ---- hex and base64 (constant time in the data; safe for secrets) ------ */

/* Writes 2*in_size lowercase hex digits and a NUL to out, which must hold
 * 2*in_size+1 bytes. */
void dcr_hex_encode(char *out, const uint8_t *in, size_t in_size);
/* Decodes exactly out_size bytes from hex (either case) of length len;
 * DCR_ERR_INVALID when len != 2*out_size or a character is not hex. */
enum dcr_err dcr_hex_decode(uint8_t *out, size_t out_size, const char *hex, size_t len) DCR_WUR;

/* Characters (with padding) that dcr_b64_encode writes for n bytes, plus NUL. */
#define DCR_B64_SIZE(n) ((((n) + 2) / 3) * 4 + 1)
/* Standard base64 (RFC 4648 section 4) with padding and a NUL; out must hold
 * DCR_B64_SIZE(in_size) bytes. */
void dcr_b64_encode(char *out, const uint8_t *in, size_t in_size);
/* Decodes strict, padded, canonical base64 of length len into out (capacity
 * out_cap); *out_size gets the byte count. DCR_ERR_INVALID for anything
 * else (whitespace, missing padding, non-zero trailing bits), DCR_ERR_TOO_BIG
 * when out_cap is too small. */
enum dcr_err dcr_b64_decode(uint8_t *out, size_t out_cap, const char *b64, size_t len,
                            size_t *out_size) DCR_WUR;

/* ---- numbers -------------------------------------------------------------- */

/* The shortest decimal digits that read back (strtod) as v, which must be
 * finite and > 0; among equally short ones the nearest to v (as Python's
 * repr and ECMAScript's Number::toString). Writes n digits (n = 1..17, the
 * first not '0', no trailing '0') and a NUL to digits, and *out_exp such that
 * v is d[0].d[1]d[2]... x 10^(*out_exp). Returns n. */
int dcr_double_digits(double v, char digits[static 18], int *out_exp);

/* ---- UTF-8 --------------------------------------------------------------- */

/* The length of the UTF-8 character at s (at most n > 0 bytes) and, when
 * out_cp is not NULL, its code point; 0 when the bytes are not valid UTF-8
 * (overlong forms, surrogates and code points past U+10FFFF included). */
size_t dcr_utf8_decode(const unsigned char *s, size_t n, uint32_t *out_cp);

/* ---- logging to stderr ------------------------------------------------ */

enum dcr_log_level { DCR_LOG_ERROR, DCR_LOG_WARN, DCR_LOG_INFO, DCR_LOG_DEBUG };

/* Messages above level are dropped. Default: DCR_LOG_WARN, or the value of
 * the environment variable DCR_LOG (error|warn|info|debug) when set. */
void dcr_log_set_level(enum dcr_log_level level);
enum dcr_log_level dcr_log_get_level(void);
/* Writes "dcr: <level>: <text>\n" to stderr in one write (thread-safe). */
void dcr_log(enum dcr_log_level level, const char *fmt, ...) DCR_PRINTF(2, 3);
#define dcr_log_error(...) dcr_log(DCR_LOG_ERROR, __VA_ARGS__)
#define dcr_log_warn(...) dcr_log(DCR_LOG_WARN, __VA_ARGS__)
#define dcr_log_info(...) dcr_log(DCR_LOG_INFO, __VA_ARGS__)
#define dcr_log_debug(...) dcr_log(DCR_LOG_DEBUG, __VA_ARGS__)

/* ---- files -------------------------------------------------------------- */

/* Reads a whole regular file of at most max bytes into out (initialised by
 * this function; the caller frees it). DCR_ERR_NOT_FOUND, DCR_ERR_TOO_BIG,
 * DCR_ERR_IO with msg naming the path. */
enum dcr_err dcr_file_read(const char *path, size_t max, struct dcr_buf *out,
                           struct dcr_msg *msg) DCR_WUR;

enum {
	DCR_WRITE_REPLACE = 1, /* replace an existing file (else DCR_ERR_EXISTS) */
};

/* Writes data to path so that path holds either its old contents or all of
 * the new ones, never a part: a temporary file in the same directory, created
 * with mode (never wider, not even briefly), fsynced, then renamed (or
 * linked, without DCR_WRITE_REPLACE) into place. */
enum dcr_err dcr_file_write_atomic(const char *path, const void *data, size_t size,
                                   mode_t mode, unsigned flags, struct dcr_msg *msg) DCR_WUR;

/* ---- time ---------------------------------------------------------------- */

/* Parses "YYYY-MM-DDTHH:MM:SSZ" (UTC, RFC 3339 without fractions) into Unix
 * seconds. DCR_ERR_INVALID for anything else, including impossible dates. */
enum dcr_err dcr_time_parse(const char *text, int64_t *out) DCR_WUR;
/* Formats Unix seconds as "YYYY-MM-DDTHH:MM:SSZ"; out holds 21 bytes. */
void dcr_time_format(int64_t t, char out[static 21]);
/* Parses exactly "YYYY-MM-DD" (len bytes, years 0000-9999, a real calendar
 * day) into days since 1970-01-01. DCR_ERR_INVALID otherwise. */
enum dcr_err dcr_date_parse(const char *s, size_t len, int32_t *out) DCR_WUR;
/* Formats days since 1970-01-01 as "YYYY-MM-DD" (out holds 11 bytes); days
 * outside years 0000-9999 are clamped to the nearest end. */
void dcr_date_format(int32_t days, char out[static 11]);
/* Days since 1970-01-01 of a proleptic Gregorian date (no range checks). */
int64_t dcr_days_from_civil(int64_t y, unsigned m, unsigned d);

/* ---- TEE kinds: the vocabulary shared by contracts and attestation ------ */

enum dcr_tee {
	DCR_TEE_SIM,        /* simulated; proves nothing */
	DCR_TEE_SGX,        /* Intel SGX enclave (Gramine) */
	DCR_TEE_TDX,        /* Intel TDX confidential VM */
	DCR_TEE_SNP,        /* AMD SEV-SNP confidential VM */
	DCR_TEE_AZURE_VTPM, /* Azure confidential VM, evidence via its vTPM */
	DCR_TEE_COUNT
};

#define DCR_TEE_BIT(t) (1u << (unsigned)(t))
#define DCR_TEE_VALUE_MAX 64 /* largest measurement value, bytes */

/* "sim", "sgx", "tdx", "snp", "azure-vtpm". */
const char *dcr_tee_name(enum dcr_tee tee);
/* DCR_ERR_NOT_FOUND for an unknown name. */
enum dcr_err dcr_tee_from_name(const char *name, enum dcr_tee *out) DCR_WUR;

/* The measurement fields a contract may pin for a TEE kind, and their size:
 * sim: measurement(48); sgx: mrenclave(32) mrsigner(32); tdx: mrtd(48)
 * rtmr0..rtmr3(48) mrconfigid(48); snp: measurement(48) host_data(32);
 * azure-vtpm: measurement(48) pcr0..pcr23(32). Returns the size in bytes,
 * or 0 when name is not a field of tee. *out_name gets the static name. */
size_t dcr_tee_field(enum dcr_tee tee, const char *name, const char **out_name);

/* One expected measurement value. */
struct dcr_tee_pin {
	enum dcr_tee tee;
	const char *name;                /* static, from dcr_tee_field */
	uint8_t value[DCR_TEE_VALUE_MAX];
	size_t size;                     /* bytes used in value */
};

#endif
