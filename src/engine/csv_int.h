/* SPDX-License-Identifier: Apache-2.0 */
/* CSV ingest internals shared by the reader (csv.c), the block parser
 * (csv_parse.c) and the scanners (csv_scan.c). */
#ifndef DCR_CSV_INT_H
#define DCR_CSV_INT_H

#include "engine_int.h"

/* Input bytes per parse block. A tunable so that tests and the fuzz harness
 * can exercise multi-block paths on small inputs; read when a reader starts. */
extern size_t csv_block_size;
#define CSV_BLOCK_SIZE_DEFAULT ((size_t)4 << 20)
/* Zero bytes kept readable after a block's data: the parser's fast paths read
 * ahead (a 16-byte load, an id's 65th byte) without bounds checks. */
#define CSV_PAD 128
/* The longest error value shown, in input bytes. */
#define CSV_SHOW_MAX 40

/* What the parser does with a field of the header's column. */
enum csv_kind {
	CSV_SKIP,   /* not loaded: split and checked for structure only */
	CSV_INT,
	CSV_FLOAT,
	CSV_DATE,
	CSV_ID,
	CSV_STRING,
	CSV_INFER,  /* no schema: kept as text, typed at the end */
};

/* Inference: the types every distinct value of a column can be read as. */
enum {
	CSV_FIT_INT = 1,
	CSV_FIT_FLOAT = 2,
	CSV_FIT_DATE = 4,
	CSV_FIT_ALL = 7,
};

/* The shape of the file, fixed once the header is read; read-only while
 * blocks are parsed. */
struct csv_schema {
	size_t ncols;           /* fields per record (the header's) */
	char **names;           /* the header's names, for messages */
	uint8_t *kinds;         /* per header field: enum csv_kind */
	int32_t *slots;         /* per header field: loaded column index, or -1 */
	size_t nload;           /* loaded columns */
	size_t *load_hdr;       /* per loaded column: its header field */
	size_t max_field;       /* bytes */
	dcr_id_fn id_fn;
	void *id_ctx;
	uint64_t seed;          /* for block dictionaries */
	bool hide_values;       /* messages never show a field's value */
};

/* A dictionary local to one block: strings point into the block's data or
 * its scratch arena (both padded, so that 16-byte loads are safe). */
struct csv_bdict {
	uint32_t *slots;        /* code + 1; 0 = empty */
	uint32_t mask;
	struct dcr_str *strs;
	uint64_t *hashes;
	uint32_t count, cap;
	/* strings of up to 8 bytes seen lately, by their bytes as a word: most
	 * dimension values hit here and skip the hashing */
	struct {
		uint64_t word;
		uint32_t len;   /* UINT32_MAX: empty */
		uint32_t code;
	} recent[64];
};

/* One loaded column's values from one block. */
struct csv_chunk {
	void *vals;             /* the block's rows in the table's array (not owned);
	                         * STRING / INFER: block dictionary codes until merged */
	uint8_t *nulls;         /* rows_cap bytes */
	bool has_null;          /* nulls is valid for this block's rows */
	struct csv_bdict dict;  /* STRING and INFER */
	uint32_t *remap;        /* merge: block code -> table code */
	size_t remap_cap;
	unsigned fit;           /* INFER: CSV_FIT_* of every distinct value */
	bool has_value;         /* INFER: a non-empty value was seen */
};

/* The first error of a block (or of the reader). */
struct csv_error {
	enum dcr_err code;      /* DCR_OK: none */
	size_t pos;             /* block offset whose line the message names */
	char text[DCR_MSG_SIZE]; /* the message after "line N" */
};

/* A run of whole records, parsed as one task. */
struct csv_block {
	char *data;             /* size bytes, then CSV_PAD zero bytes */
	size_t size;            /* ends in '\n' (one is added after the last record) */
	size_t real_size;       /* size without that added '\n' */
	size_t cap;             /* data holds cap + CSV_PAD bytes */
	bool last;              /* ends the file */
	uint64_t first_line;    /* merge: the line its first byte is on */
	size_t row_off;         /* merge: its first row in the table */
	size_t counted;         /* records (csv_count_records) */
	/* parse results */
	size_t rows;
	size_t newlines;        /* '\n' bytes in data[0, real_size) */
	struct csv_chunk *chunks; /* schema nload */
	size_t rows_cap;        /* NULL flags each chunk can hold */
	struct dcr_arena strings; /* unescaped string values */
	char *tmp;              /* scratch: NUL-terminated copies */
	size_t tmp_cap;
	struct csv_error err;
};

/* ---- the record walker: a byte-at-a-time reference splitter ---------- */

/* Follows one record's structure (quotes, separators, line ends, field
 * sizes) without looking at values. It decides every structural error, so
 * the block parser, the header reader and the long-record path all agree
 * on which error a record has. Resumable over pieces. */
struct csv_walk {
	int state;
	size_t ncols;           /* expected fields (SIZE_MAX: the header) */
	size_t max_fields;      /* more is an error (the header: max_columns) */
	size_t max_field;       /* bytes per field; checked for fields < ncols */
	uint64_t field;         /* index of the current field */
	uint64_t field_off;     /* offset of the current field's first byte */
	uint64_t field_lines;   /* '\n' seen before it */
	uint64_t field_len;     /* content bytes of the current field so far */
	uint64_t lines;         /* '\n' seen since the record's start */
	bool nonempty;          /* the record is not an empty line */
	/* the outcome */
	uint64_t end;           /* CSV_WALK_END: offset just after the record */
	uint64_t fields;        /* CSV_WALK_END: fields in the record */
	enum dcr_err err;       /* CSV_WALK_ERR */
	uint64_t err_off;       /* offset of the field in error */
	uint64_t err_lines;     /* '\n' from the record's start to it */
	uint64_t err_field;     /* its index */
	const char *err_what;
};

enum csv_walk_res { CSV_WALK_MORE, CSV_WALK_END, CSV_WALK_ERR };

void csv_walk_init(struct csv_walk *w, size_t ncols, size_t max_fields, size_t max_field,
                   uint64_t off);
/* Feeds n bytes at offset off (offsets are the caller's: they only come back
 * in the outcome). Stops at the record's end or its first error. */
enum csv_walk_res csv_walk_feed(struct csv_walk *w, const char *p, size_t n, uint64_t off);
/* The input ended at offset off. Never CSV_WALK_MORE. */
enum csv_walk_res csv_walk_eof(struct csv_walk *w, uint64_t off);

/* ---- scanning --------------------------------------------------------- */

/* Scans d[from, to), carrying whether a quote is open in *inq (quote parity,
 * which matches the record structure up to the first malformed field), and
 * returns the offset just after the last '\n' outside quotes, or 0. Reads
 * up to 64 bytes past to (a block buffer's padding). */
size_t csv_scan_last(const char *d, size_t from, size_t to, bool *inq);
/* Non-empty records in a block's data (which starts outside quotes, ends in
 * '\n' and is padded): exactly the rows the parser finds when the block is
 * well formed, and never fewer than it finds before an error. And the '\n'
 * bytes in d[0, n). */
size_t csv_count_records(const char *d, size_t n, size_t *out_newlines);
/* '\n' bytes in p[0, n). */
size_t csv_count_newlines(const char *p, size_t n);

/* ---- parsing ----------------------------------------------------------- */

/* Parses block b (rows, chunks, err) into its chunks' vals, which hold
 * b->counted values each. Any thread. */
void csv_parse_block(const struct csv_schema *s, struct csv_block *b);
/* Frees what the parser allocated in b (not b->data). */
void csv_block_free_parse(struct csv_block *b, size_t nload);

/* Value parsers over exactly len bytes (typed fields on the slow path, the
 * inference's final conversion). The text must be followed by a byte that
 * cannot continue a number (a delimiter, a quote or a NUL): the float
 * scanner stops only there. */
enum csv_num { CSV_NUM_OK, CSV_NUM_BAD, CSV_NUM_RANGE };
enum csv_num csv_parse_int(const char *p, size_t len, int64_t *out);
/* tmp: a buffer of len + 1 bytes for the rare strtod path. */
enum csv_num csv_parse_float(const char *p, size_t len, double *out, char *tmp);
/* Which of int, float and date s could be read as. */
unsigned csv_fit(const char *p, size_t len, char *tmp);

/* A column name for a message: as is when plain, else like csv_show. */
void csv_show_name(char *out, size_t out_size, const char *name);
/* Writes p[0, n) to out for a message: escaped, quoted, cut to CSV_SHOW_MAX
 * bytes of input. */
void csv_show(char *out, size_t out_size, const char *p, size_t n);

#endif
