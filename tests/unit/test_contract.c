/* SPDX-License-Identifier: Apache-2.0 */
/* Contracts: the DESIGN.md example parses; each validation rule refuses with
 * a message naming the field; signing, verifying, tampering, and what does
 * and does not change the hash. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"

#include <jansson.h>

#include "contract/contract_int.h"
#include "dcr/contract.h"

#define NOW 1767225600 /* 2026-01-01T00:00:00Z */
#define X8(s) s s s s s s s s
#define HEX48 X8("abababababab") /* 96 hex digits */
#define HEX32 X8("cdcdcdcd")     /* 64 hex digits */
#define SIG_ZERO X8("AAAAAAAAAA") "AAAAAA==" /* 64 zero bytes in base64, 88 chars */

/* The example contract of DESIGN.md; %s: news's and acme's public keys. */
static const char example[] =
	"{\n"
	"  \"dcr_contract\": 1,\n"
	"  \"id\": \"news-x-acme\",\n"
	"  \"expires\": \"2027-12-31T00:00:00Z\",\n"
	"  \"parties\": [\n"
	"    {\"name\": \"news\", \"public_key\": \"%s\", \"roles\": [\"contributor\"]},\n"
	"    {\"name\": \"acme\", \"public_key\": \"%s\", \"roles\": [\"contributor\", "
	"\"analyst\"]}\n"
	"  ],\n"
	"  \"datasets\": [\n"
	"    {\"name\": \"impressions\", \"owner\": \"news\", \"columns\": [\n"
	"      {\"name\": \"email\",    \"type\": \"id\",     \"normalize\": \"email\"},\n"
	"      {\"name\": \"region\",   \"type\": \"string\", \"role\": \"dimension\"},\n"
	"      {\"name\": \"views\",    \"type\": \"int\",    \"role\": \"metric\", "
	"\"bounds\": [0, 100]}\n"
	"    ]},\n"
	"    {\"name\": \"purchases\", \"owner\": \"acme\", \"columns\": [\n"
	"      {\"name\": \"email\",    \"type\": \"id\",     \"normalize\": \"email\"},\n"
	"      {\"name\": \"category\", \"type\": \"string\", \"role\": \"dimension\"},\n"
	"      {\"name\": \"day\",      \"type\": \"date\",   \"role\": \"dimension\"},\n"
	"      {\"name\": \"amount\",   \"type\": \"float\",  \"role\": \"metric\", "
	"\"bounds\": [0, 1000]},\n"
	"      {\"name\": \"note\",     \"type\": \"string\", \"role\": \"hidden\"}\n"
	"    ]}\n"
	"  ],\n"
	"  \"rules\": {\n"
	"    \"min_distinct_ids\": 25,\n"
	"    \"joins\": [[\"impressions.email\", \"purchases.email\"]],\n"
	"    \"aggregates\": [\"count\", \"count_distinct\", \"sum\", \"avg\"],\n"
	"    \"dp\": {\"epsilon_per_analyst\": 3.0, \"epsilon_per_query\": 0.5,\n"
	"           \"delta\": 1e-7, \"max_rows_per_id\": 10},\n"
	"    \"queries\": [{\"name\": \"reach_by_region\", \"sql\": \"SELECT i.region, "
	"COUNT(DISTINCT i.email) FROM impressions i JOIN purchases p ON i.email = p.email "
	"GROUP BY 1\"}]\n"
	"  },\n"
	"  \"tee\": {\"accept\": [\"sgx\", \"tdx\", \"snp\", \"azure-vtpm\"],\n"
	"          \"measurements\": {\"tdx\": {\"mrtd\": \"" HEX48 "\"},\n"
	"                           \"sgx\": {\"mrenclave\": \"" HEX32 "\"},\n"
	"                           \"snp\": {\"measurement\": \"" HEX48 "\"}}}\n"
	"}\n";

static struct dcr_seckey *news_key, *acme_key, *stranger_key;
static char news_pub[DCR_PUBKEY_LINE_SIZE], acme_pub[DCR_PUBKEY_LINE_SIZE];
static char *valid_text; /* example with the keys filled in */

static struct dcr_seckey *make_key(uint8_t n, char pub_line[DCR_PUBKEY_LINE_SIZE])
{
	uint8_t sign_seed[32], box_seed[32];
	struct dcr_seckey *key = NULL;
	struct dcr_pubkey pub;

	memset(sign_seed, n, sizeof(sign_seed));
	memset(box_seed, n + 100, sizeof(box_seed));
	assert_int_equal(dcr_seckey_from_seeds(sign_seed, box_seed, &key), DCR_OK);
	if (pub_line) {
		dcr_seckey_public(key, &pub);
		dcr_pubkey_format(&pub, pub_line);
	}
	return key;
}

static int group_setup(void **state)
{
	size_t size = sizeof(example) + 2 * DCR_PUBKEY_LINE_SIZE;

	(void)state;
	if (dcr_crypto_init() != DCR_OK)
		return -1;
	news_key = make_key(1, news_pub);
	acme_key = make_key(2, acme_pub);
	stranger_key = make_key(3, NULL);
	valid_text = malloc(size);
	snprintf(valid_text, size, example, news_pub, acme_pub);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	dcr_seckey_free(news_key);
	dcr_seckey_free(acme_key);
	dcr_seckey_free(stranger_key);
	free(valid_text);
	return 0;
}

/* ---- JSON editing, for making variants ---------------------------------- */

static json_t *load_json(const char *text)
{
	json_error_t jerr;
	json_t *v = json_loads(text, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);

	if (!v)
		fail_msg("bad test JSON (%s): %s", jerr.text, text);
	return v;
}

/* Sets (value JSON text) or removes (value NULL) what a JSON pointer names;
 * a last token "-" appends to an array. */
static void set_at(json_t *root, const char *pointer, const char *value)
{
	char path[256], *tok, *next, *save = NULL;
	json_t *parent = root, *v = value ? load_json(value) : NULL;

	snprintf(path, sizeof(path), "%s", pointer + 1);
	tok = strtok_r(path, "/", &save);
	while ((next = strtok_r(NULL, "/", &save))) {
		parent = json_is_array(parent) ? json_array_get(parent, strtoul(tok, NULL, 10))
		                               : json_object_get(parent, tok);
		if (!parent)
			fail_msg("no %s in the test document", pointer);
		tok = next;
	}
	if (json_is_array(parent)) {
		if (!strcmp(tok, "-"))
			assert_int_equal(json_array_append_new(parent, v), 0);
		else if (v)
			assert_int_equal(json_array_set_new(parent, strtoul(tok, NULL, 10), v), 0);
		else
			assert_int_equal(json_array_remove(parent, strtoul(tok, NULL, 10)), 0);
	} else if (v) {
		assert_int_equal(json_object_set_new(parent, tok, v), 0);
	} else {
		assert_int_equal(json_object_del(parent, tok), 0);
	}
}

static char *dump(const json_t *v, size_t flags)
{
	char *s = json_dumps(v, flags | JSON_PRESERVE_ORDER);

	assert_non_null(s);
	return s;
}

static enum dcr_err parse(const char *text, struct dcr_contract **c, struct dcr_msg *msg)
{
	memset(msg, 0, sizeof(*msg));
	return dcr_contract_parse(text, strlen(text), NOW, 0, c, msg);
}

static struct dcr_contract *parse_ok(const char *text)
{
	struct dcr_contract *c = NULL;
	struct dcr_msg msg;

	if (parse(text, &c, &msg) != DCR_OK)
		fail_msg("expected a valid contract, got: %s", msg.text);
	return c;
}

struct edit {
	const char *pointer;
	const char *value; /* JSON text; NULL removes */
};

/* valid_text with up to two edits, as compact JSON (caller frees). */
static char *variant(const struct edit *e1, const struct edit *e2)
{
	json_t *root = load_json(valid_text);
	char *s;

	if (e1 && e1->pointer)
		set_at(root, e1->pointer, e1->value);
	if (e2 && e2->pointer)
		set_at(root, e2->pointer, e2->value);
	s = dump(root, JSON_COMPACT);
	json_decref(root);
	return s;
}

/* ---- the valid contract ------------------------------------------------- */

static void test_example_parses(void **state)
{
	struct dcr_contract *c = parse_ok(valid_text);
	const struct dcr_dataset *ds;

	(void)state;
	assert_string_equal(c->id, "news-x-acme");
	assert_int_equal(c->expires, 1830211200); /* 2027-12-31T00:00:00Z */
	assert_int_equal(c->party_count, 2);
	assert_string_equal(c->parties[0].name, "news");
	assert_int_equal(c->parties[0].roles, DCR_PARTY_CONTRIBUTOR);
	assert_int_equal(c->parties[1].roles, DCR_PARTY_CONTRIBUTOR | DCR_PARTY_ANALYST);
	assert_false(c->parties[0].has_signature);
	assert_int_equal(c->dataset_count, 2);
	ds = dcr_contract_dataset(c, "PURCHASES");
	assert_ptr_equal(ds, &c->datasets[1]);
	assert_int_equal(ds->owner, 1);
	assert_int_equal(ds->column_count, 5);
	assert_int_equal(ds->id_column, 0);
	assert_int_equal(ds->columns[0].type, DCR_COL_ID);
	assert_int_equal(ds->columns[0].role, DCR_ROLE_ID);
	assert_int_equal(ds->columns[0].normalize, DCR_NORM_EMAIL);
	assert_int_equal(ds->columns[2].type, DCR_COL_DATE);
	assert_int_equal(ds->columns[2].role, DCR_ROLE_DIMENSION);
	assert_int_equal(ds->columns[3].role, DCR_ROLE_METRIC);
	assert_true(ds->columns[3].has_bounds);
	assert_true(ds->columns[3].lo == 0 && ds->columns[3].hi == 1000);
	assert_int_equal(ds->columns[4].role, DCR_ROLE_HIDDEN);
	assert_false(ds->columns[4].has_bounds);
	assert_int_equal(c->min_distinct_ids, 25);
	assert_int_equal(c->join_count, 1);
	assert_int_equal(c->joins[0].left_dataset, 0);
	assert_int_equal(c->joins[0].left_column, 0);
	assert_int_equal(c->joins[0].right_dataset, 1);
	assert_int_equal(c->joins[0].right_column, 0);
	assert_int_equal(c->aggregates,
	                 DCR_AGG_COUNT | DCR_AGG_COUNT_DISTINCT | DCR_AGG_SUM | DCR_AGG_AVG);
	assert_true(c->has_dp);
	assert_true(c->dp.epsilon_per_analyst == 3.0 && c->dp.epsilon_per_query == 0.5);
	assert_true(c->dp.delta == 1e-7);
	assert_int_equal(c->dp.max_rows_per_id, 10);
	assert_int_equal(c->query_count, 1);
	assert_string_equal(c->queries[0].name, "reach_by_region");
	assert_non_null(strstr(c->queries[0].sql, "GROUP BY 1"));
	assert_int_equal(c->tee_accept, DCR_TEE_BIT(DCR_TEE_SGX) | DCR_TEE_BIT(DCR_TEE_TDX) |
	                                    DCR_TEE_BIT(DCR_TEE_SNP) |
	                                    DCR_TEE_BIT(DCR_TEE_AZURE_VTPM));
	assert_int_equal(c->pin_count, 3);
	assert_int_equal(c->pins[0].tee, DCR_TEE_TDX);
	assert_string_equal(c->pins[0].name, "mrtd");
	assert_int_equal(c->pins[0].size, 48);
	assert_int_equal(c->pins[0].value[0], 0xab);
	assert_int_equal(c->pins[1].tee, DCR_TEE_SGX);
	assert_int_equal(c->pins[1].size, 32);
	assert_int_equal(c->pins[1].value[31], 0xcd);
	assert_ptr_equal(dcr_contract_party(c, "ACME"), &c->parties[1]);
	assert_null(dcr_contract_party(c, "bob"));
	assert_null(dcr_contract_dataset(c, "orders"));
	dcr_contract_free(c);
	dcr_contract_free(NULL);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(dcr_col_type_name(DCR_COL_FLOAT), "float");
	assert_string_equal(dcr_col_role_name(DCR_ROLE_METRIC), "metric");
	assert_string_equal(dcr_normalize_name(DCR_NORM_HASHED), "hashed");
	assert_string_equal(dcr_normalize_name((enum dcr_normalize)99), "unknown");
}

/* ---- one refusal per rule ------------------------------------------------- */

struct bad_case {
	struct edit e1, e2;
	enum dcr_err err;   /* DCR_OK: the variant is valid */
	const char *needle; /* in the message */
};

static const struct bad_case bad_cases[] = {
	/* top level */
	{{"/colour", "\"red\""}, {0}, DCR_ERR_INVALID, "unknown field \"colour\" at the top level"},
	{{"/dcr_contract", "2"}, {0}, DCR_ERR_UNSUPPORTED,
	 "dcr_contract: format version 2 is not supported"},
	{{"/dcr_contract", "1.0"}, {0}, DCR_ERR_INVALID, "dcr_contract: must be the integer 1"},
	{{"/dcr_contract", NULL}, {0}, DCR_ERR_INVALID, "dcr_contract: required field missing"},
	{{"/id", "\"bad id!\""}, {0}, DCR_ERR_INVALID,
	 "id: \"bad id!\" is not a valid contract id"},
	{{"/id", NULL}, {0}, DCR_ERR_INVALID, "id: required field missing"},
	{{"/id", "\"\""}, {0}, DCR_ERR_INVALID, "id: must not be empty"},
	{{"/expires", "\"2027-02-30T00:00:00Z\""}, {0}, DCR_ERR_INVALID,
	 "expires: \"2027-02-30T00:00:00Z\" is not a UTC time"},
	{{"/expires", "20271231"}, {0}, DCR_ERR_INVALID, "expires: must be a string"},
	/* parties */
	{{"/parties", "[]"}, {0}, DCR_ERR_INVALID, "parties: must not be empty"},
	{{"/parties", "{}"}, {0}, DCR_ERR_INVALID, "parties: must be an array"},
	{{"/parties/0", "\"news\""}, {0}, DCR_ERR_INVALID, "parties[0]: must be an object"},
	{{"/parties/1/name", "\"NEWS\""}, {0}, DCR_ERR_INVALID,
	 "parties[1].name: duplicate party name \"NEWS\""},
	{{"/parties/1/name", "\".acme\""}, {0}, DCR_ERR_INVALID,
	 "parties[1].name: \".acme\" is not a valid party name"},
	{{"/parties/1/name", "\"a\\u001bme\""}, {0}, DCR_ERR_INVALID,
	 "parties[1].name: \"a\\x1bme\" is not a valid party name"},
	{{"/parties/0/public_key", "\"dcr-pub-1:abc\""}, {0}, DCR_ERR_INVALID,
	 "parties[0].public_key: malformed dcr public key"},
	{{"/parties/0/public_key", "\"ssh-ed25519 AAAA\""}, {0}, DCR_ERR_INVALID,
	 "parties[0].public_key: not a dcr public key"},
	{{"/parties/0/roles/0", "\"admin\""}, {0}, DCR_ERR_INVALID,
	 "parties[0].roles[0]: unknown role \"admin\" (known: contributor, analyst, "
	 "result-recipient)"},
	{{"/parties/1/roles/-", "\"analyst\""}, {0}, DCR_ERR_INVALID,
	 "parties[1].roles[2]: duplicate role \"analyst\""},
	{{"/parties/0/roles", "[]"}, {0}, DCR_ERR_INVALID, "parties[0].roles: must not be empty"},
	{{"/parties/0/roles", NULL}, {0}, DCR_ERR_INVALID,
	 "parties[0].roles: required field missing"},
	{{"/parties/0/email", "\"x@y\""}, {0}, DCR_ERR_INVALID,
	 "unknown field \"email\" in parties[0]"},
	{{"/parties/1/roles/-", "\"result-recipient\""}, {0}, DCR_OK, NULL},
	/* datasets */
	{{"/datasets", "[]"}, {0}, DCR_ERR_INVALID, "datasets: must not be empty"},
	{{"/datasets/1/name", "\"Impressions\""}, {0}, DCR_ERR_INVALID,
	 "datasets[1].name: duplicate dataset name \"Impressions\""},
	{{"/datasets/0/name", "\"1st\""}, {0}, DCR_ERR_INVALID,
	 "datasets[0].name: \"1st\" is not a valid dataset name"},
	{{"/datasets/0/name", "\"imp-ressions\""}, {0}, DCR_ERR_INVALID,
	 "datasets[0].name: \"imp-ressions\" is not a valid dataset name"},
	{{"/datasets/0/owner", "\"nobody\""}, {0}, DCR_ERR_INVALID,
	 "datasets[0].owner: no party named \"nobody\""},
	{{"/datasets/0/owner", "\"NEWS\""}, {0}, DCR_ERR_INVALID,
	 "datasets[0].owner: no party named \"NEWS\" (names must match exactly here: did you "
	 "mean \"news\"?)"},
	{{"/parties/1/roles", "[\"analyst\"]"}, {0}, DCR_ERR_INVALID,
	 "datasets[1].owner: party \"acme\" is not a contributor"},
	{{"/datasets/0/colour", "1"}, {0}, DCR_ERR_INVALID,
	 "unknown field \"colour\" in datasets[0]"},
	{{"/datasets/0/columns", "[]"}, {0}, DCR_ERR_INVALID,
	 "datasets[0].columns: must not be empty"},
	/* columns */
	{{"/datasets/0/columns/1/name", "\"EMAIL\""}, {0}, DCR_ERR_INVALID,
	 "datasets[0].columns[1].name: duplicate column name \"EMAIL\" in dataset impressions"},
	{{"/datasets/0/columns/1/name", "\"select me\""}, {0}, DCR_ERR_INVALID,
	 "datasets[0].columns[1].name: \"select me\" is not a valid column name"},
	{{"/datasets/0/columns/1/type", "\"text\""}, {0}, DCR_ERR_INVALID,
	 "datasets[0].columns[1].type: unknown type \"text\" (known: id, string, int, float, "
	 "date)"},
	{{"/datasets/0/columns/1/type", NULL}, {0}, DCR_ERR_INVALID,
	 "datasets[0].columns[1].type: required field missing"},
	{{"/datasets/0/columns/1/role", "\"secret\""}, {0}, DCR_ERR_INVALID,
	 "datasets[0].columns[1].role: unknown role \"secret\" (known: id, dimension, metric, "
	 "hidden)"},
	{{"/datasets/0/columns/1/role", NULL}, {0}, DCR_ERR_INVALID,
	 "datasets[0].columns[1].role: required for a column of type string"},
	{{"/datasets/0/columns/1/role", "\"id\""}, {0}, DCR_ERR_INVALID,
	 "datasets[0].columns[1].role: only a column of type \"id\" can have role \"id\""},
	{{"/datasets/0/columns/0/role", "\"dimension\""}, {0}, DCR_ERR_INVALID,
	 "datasets[0].columns[0].role: a column of type \"id\" has role \"id\""},
	{{"/datasets/0/columns/0/role", "\"id\""}, {0}, DCR_OK, NULL},
	{{"/datasets/0/columns/0/normalize", NULL}, {0}, DCR_ERR_INVALID,
	 "datasets[0].columns[0].normalize: required for an id column"},
	{{"/datasets/0/columns/0/normalize", "\"lowercase\""}, {0}, DCR_ERR_INVALID,
	 "datasets[0].columns[0].normalize: unknown normalization \"lowercase\" (known: none, "
	 "email, phone, hashed)"},
	{{"/datasets/0/columns/0/normalize", "\"hashed\""}, {0}, DCR_OK, NULL},
	{{"/datasets/0/columns/1/normalize", "\"email\""}, {0}, DCR_ERR_INVALID,
	 "datasets[0].columns[1].normalize: only id columns are normalized"},
	{{"/datasets/0/columns/0/bounds", "[0, 1]"}, {0}, DCR_ERR_INVALID,
	 "datasets[0].columns[0].bounds: only metric columns have bounds"},
	{{"/datasets/0/columns/1/bounds", "[0, 1]"}, {0}, DCR_ERR_INVALID,
	 "datasets[0].columns[1].bounds: only metric columns have bounds"},
	{{"/datasets/0/columns/1/role", "\"metric\""}, {0}, DCR_ERR_INVALID,
	 "datasets[0].columns[1].role: a metric column must be of type int or float, not "
	 "string"},
	{{"/datasets/0/columns/2/bounds", NULL}, {0}, DCR_ERR_INVALID,
	 "datasets[0].columns[2].bounds: required for a metric column"},
	{{"/datasets/1/columns/3/bounds", "[10, 5]"}, {0}, DCR_ERR_INVALID,
	 "datasets[1].columns[3].bounds: lo (10) is greater than hi (5)"},
	{{"/datasets/1/columns/3/bounds", "[0]"}, {0}, DCR_ERR_INVALID,
	 "datasets[1].columns[3].bounds: must be [lo, hi], two numbers"},
	{{"/datasets/1/columns/3/bounds", "[0, \"9\"]"}, {0}, DCR_ERR_INVALID,
	 "datasets[1].columns[3].bounds: must be a number"},
	{{"/datasets/1/columns/3/bounds", "[0, 1e300]"}, {0}, DCR_ERR_INVALID,
	 "datasets[1].columns[3].bounds: 1e+300 is beyond 2^53"},
	{{"/datasets/1/columns/3/bounds", "[0, 9007199254740993]"}, {0}, DCR_ERR_INVALID,
	 "datasets[1].columns[3].bounds: 9007199254740993 is beyond 2^53"},
	{{"/datasets/1/columns/3/bounds", "[-0.5, 99.75]"}, {0}, DCR_OK, NULL},
	{{"/datasets/0/columns/2/bounds", "[0, 100.5]"}, {0}, DCR_ERR_INVALID,
	 "datasets[0].columns[2].bounds: the bounds of an int column must be whole numbers, "
	 "not 100.5"},
	{{"/datasets/0/columns/2/bounds", "[-1e2, 1e2]"}, {0}, DCR_OK, NULL},
	{{"/datasets/0/columns/1/colour", "\"red\""}, {0}, DCR_ERR_INVALID,
	 "unknown field \"colour\" in datasets[0].columns[1]"},
	{{"/datasets/0/columns/0", "{\"name\": \"email\", \"type\": \"string\", \"role\": "
	                           "\"hidden\"}"},
	 {0}, DCR_ERR_INVALID,
	 "datasets[0].columns: dataset impressions has no id column"},
	{{"/datasets/0/columns/-", "{\"name\": \"phone\", \"type\": \"id\", \"normalize\": "
	                           "\"phone\"}"},
	 {0}, DCR_ERR_INVALID,
	 "datasets[0].columns[3]: a second id column in dataset impressions (the first is "
	 "\"email\")"},
	/* rules */
	{{"/rules", NULL}, {0}, DCR_ERR_INVALID, "rules: required field missing"},
	{{"/rules/colour", "1"}, {0}, DCR_ERR_INVALID, "unknown field \"colour\" in rules"},
	{{"/rules/min_distinct_ids", "0"}, {0}, DCR_ERR_INVALID,
	 "rules.min_distinct_ids: must be at least 1, not 0"},
	{{"/rules/min_distinct_ids", "25.0"}, {0}, DCR_ERR_INVALID,
	 "rules.min_distinct_ids: must be an integer"},
	{{"/rules/min_distinct_ids", NULL}, {0}, DCR_ERR_INVALID,
	 "rules.min_distinct_ids: required field missing"},
	{{"/rules/min_distinct_ids", "9007199254740993"}, {0}, DCR_ERR_INVALID,
	 "rules.min_distinct_ids: must be at most 2^53"},
	{{"/rules/joins/0/1", "\"purchases.day\""}, {0}, DCR_ERR_INVALID,
	 "rules.joins[0]: purchases.day is not an id column"},
	{{"/rules/joins/0/1", "\"impressions.email\""}, {0}, DCR_ERR_INVALID,
	 "rules.joins[0]: both sides are in dataset impressions"},
	{{"/rules/joins/0/1", "\"orders.email\""}, {0}, DCR_ERR_INVALID,
	 "rules.joins[0]: no dataset named \"orders\""},
	{{"/rules/joins/0/1", "\"purchases.phone\""}, {0}, DCR_ERR_INVALID,
	 "rules.joins[0]: dataset purchases has no column \"phone\""},
	{{"/rules/joins/0/1", "\"purchases\""}, {0}, DCR_ERR_INVALID,
	 "rules.joins[0]: \"purchases\" is not of the form dataset.column"},
	{{"/rules/joins/0", "[\"impressions.email\"]"}, {0}, DCR_ERR_INVALID,
	 "rules.joins[0]: must be a pair"},
	{{"/rules/joins/-", "[\"Purchases.EMAIL\", \"impressions.email\"]"}, {0}, DCR_ERR_INVALID,
	 "rules.joins[1]: the same pair as rules.joins[0]"},
	{{"/rules/joins/0/1", "\"PURCHASES.Email\""}, {0}, DCR_OK, NULL},
	{{"/rules/joins", "[]"}, {0}, DCR_OK, NULL},
	{{"/rules/joins", NULL}, {0}, DCR_OK, NULL},
	{{"/rules/aggregates/1", "\"median\""}, {0}, DCR_ERR_INVALID,
	 "rules.aggregates[1]: unknown aggregate \"median\" (known: count, count_distinct, sum, "
	 "avg, min, max)"},
	{{"/rules/aggregates/-", "\"sum\""}, {0}, DCR_ERR_INVALID,
	 "rules.aggregates[4]: duplicate aggregate \"sum\""},
	{{"/rules/aggregates", "[]"}, {0}, DCR_ERR_INVALID, "rules.aggregates: must not be empty"},
	{{"/rules/aggregates", NULL}, {0}, DCR_ERR_INVALID,
	 "rules.aggregates: required field missing"},
	{{"/rules/dp/epsilon_per_analyst", "0"}, {0}, DCR_ERR_INVALID,
	 "rules.dp.epsilon_per_analyst: must be greater than 0, not 0"},
	{{"/rules/dp/epsilon_per_query", "4"}, {0}, DCR_ERR_INVALID,
	 "rules.dp.epsilon_per_query: 4 is greater than epsilon_per_analyst (3)"},
	{{"/rules/dp/epsilon_per_query", "-0.5"}, {0}, DCR_ERR_INVALID,
	 "rules.dp.epsilon_per_query: must be greater than 0, not -0.5"},
	{{"/rules/dp/epsilon_per_query", "3"}, {0}, DCR_OK, NULL},
	{{"/rules/dp/delta", "1"}, {0}, DCR_ERR_INVALID,
	 "rules.dp.delta: must be at least 0 and less than 1, not 1"},
	{{"/rules/dp/delta", "0"}, {0}, DCR_OK, NULL},
	{{"/rules/dp/delta", NULL}, {0}, DCR_ERR_INVALID, "rules.dp.delta: required field missing"},
	{{"/rules/dp/max_rows_per_id", "0"}, {0}, DCR_ERR_INVALID,
	 "rules.dp.max_rows_per_id: must be at least 1"},
	{{"/rules/dp/max_rows_per_id", "2.5"}, {0}, DCR_ERR_INVALID,
	 "rules.dp.max_rows_per_id: must be an integer"},
	{{"/rules/dp/sensitivity", "1"}, {0}, DCR_ERR_INVALID,
	 "unknown field \"sensitivity\" in rules.dp"},
	{{"/rules/dp", "[]"}, {0}, DCR_ERR_INVALID, "rules.dp: must be an object"},
	{{"/rules/dp", NULL}, {0}, DCR_OK, NULL},
	{{"/rules/queries", NULL}, {0}, DCR_OK, NULL},
	{{"/rules/queries", "[]"}, {0}, DCR_ERR_INVALID, "rules.queries: must not be empty"},
	{{"/rules/queries/-", "{\"name\": \"REACH_by_region\", \"sql\": \"SELECT 1\"}"}, {0},
	 DCR_ERR_INVALID, "rules.queries[1].name: duplicate query name \"REACH_by_region\""},
	{{"/rules/queries/0/sql", "\" \\n \""}, {0}, DCR_ERR_INVALID,
	 "rules.queries[0].sql: must not be empty"},
	{{"/rules/queries/0/sql", NULL}, {0}, DCR_ERR_INVALID,
	 "rules.queries[0].sql: required field missing"},
	{{"/rules/queries/0/name", "\"reach by region\""}, {0}, DCR_ERR_INVALID,
	 "rules.queries[0].name: \"reach by region\" is not a valid query name"},
	{{"/rules/queries/0/owner", "\"x\""}, {0}, DCR_ERR_INVALID,
	 "unknown field \"owner\" in rules.queries[0]"},
	/* tee */
	{{"/tee", NULL}, {0}, DCR_ERR_INVALID, "tee: required field missing"},
	{{"/tee/colour", "1"}, {0}, DCR_ERR_INVALID, "unknown field \"colour\" in tee"},
	{{"/tee/accept/1", "\"sgx2\""}, {0}, DCR_ERR_INVALID,
	 "tee.accept[1]: unknown TEE kind \"sgx2\" (known: sim, sgx, tdx, snp, azure-vtpm)"},
	{{"/tee/accept/-", "\"tdx\""}, {0}, DCR_ERR_INVALID,
	 "tee.accept[4]: duplicate TEE kind \"tdx\""},
	{{"/tee/accept", "[]"}, {0}, DCR_ERR_INVALID, "tee.accept: must not be empty"},
	{{"/tee/accept", NULL}, {0}, DCR_ERR_INVALID, "tee.accept: required field missing"},
	{{"/tee/accept", "[\"sgx\", \"snp\"]"}, {0}, DCR_ERR_INVALID,
	 "tee.measurements.tdx: tdx is not in tee.accept"},
	{{"/tee/measurements/tdx/mrenclave", "\"00\""}, {0}, DCR_ERR_INVALID,
	 "tee.measurements.tdx.mrenclave: unknown measurement for tdx (known: mrtd, rtmr0, "
	 "rtmr1, rtmr2, rtmr3, mrconfigid)"},
	{{"/tee/measurements/tdx/mrtd", "\"abcd\""}, {0}, DCR_ERR_INVALID,
	 "tee.measurements.tdx.mrtd: must be 96 hex digits (48 bytes), not 4 characters"},
	{{"/tee/measurements/sgx/mrenclave", "\"" X8("zzzzzzzz") "\""}, {0}, DCR_ERR_INVALID,
	 "tee.measurements.sgx.mrenclave: must be hex digits"},
	{{"/tee/measurements/sgx/mrenclave", "\"" X8("CDCDCDCD") "\""}, {0}, DCR_OK, NULL},
	{{"/tee/measurements/sev", "{}"}, {0}, DCR_ERR_INVALID,
	 "tee.measurements.sev: unknown TEE kind \"sev\""},
	{{"/tee/measurements/snp", "{}"}, {0}, DCR_ERR_INVALID,
	 "tee.measurements.snp: pins nothing"},
	{{"/tee/measurements/snp", "\"ab\""}, {0}, DCR_ERR_INVALID,
	 "tee.measurements.snp: must be an object"},
	{{"/tee/measurements/azure-vtpm", "{\"pcr7\": \"" HEX32 "\"}"}, {0}, DCR_OK, NULL},
	{{"/tee/measurements/azure-vtpm", "{\"pcr24\": \"" HEX32 "\"}"}, {0}, DCR_ERR_INVALID,
	 "tee.measurements.azure-vtpm.pcr24: unknown measurement for azure-vtpm (known: "
	 "measurement, pcr0 to pcr23)"},
	{{"/tee/measurements", "[]"}, {0}, DCR_ERR_INVALID, "tee.measurements: must be an object"},
	{{"/tee/measurements", NULL}, {0}, DCR_OK, NULL},
	/* signatures */
	{{"/signatures", "{}"}, {0}, DCR_OK, NULL},
	{{"/signatures", "{\"acme\": \"" SIG_ZERO "\"}"}, {0}, DCR_OK, NULL},
	{{"/signatures", "[]"}, {0}, DCR_ERR_INVALID, "signatures: must be an object"},
	{{"/signatures", "{\"bob\": \"" SIG_ZERO "\"}"}, {0}, DCR_ERR_INVALID,
	 "signatures.bob: no party named \"bob\""},
	{{"/signatures", "{\"ACME\": \"" SIG_ZERO "\"}"}, {0}, DCR_ERR_INVALID,
	 "signatures.ACME: no party named \"ACME\" (names must match exactly here: did you mean "
	 "\"acme\"?)"},
	{{"/signatures", "{\"acme\": \"AAAA\"}"}, {0}, DCR_ERR_INVALID,
	 "signatures.acme: not an Ed25519 signature"},
	{{"/signatures", "{\"acme\": \"" SIG_ZERO " \"}"}, {0}, DCR_ERR_INVALID,
	 "signatures.acme: not an Ed25519 signature"},
	{{"/signatures", "{\"acme\": 5}"}, {0}, DCR_ERR_INVALID,
	 "signatures.acme: must be a string"},
};

static void test_each_rule(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *bc = &bad_cases[i];
		char *text = variant(&bc->e1, &bc->e2);
		struct dcr_contract *c = NULL;
		struct dcr_msg msg;
		enum dcr_err err = parse(text, &c, &msg);

		if (err != bc->err)
			fail_msg("%s = %s: got %s (%s), want %s", bc->e1.pointer,
			         bc->e1.value ? bc->e1.value : "(removed)", dcr_strerror(err),
			         msg.text, dcr_strerror(bc->err));
		if (bc->err == DCR_OK)
			assert_non_null(c);
		else
			assert_null(c);
		if (bc->needle && !strstr(msg.text, bc->needle))
			fail_msg("%s: message \"%s\" lacks \"%s\"", bc->e1.pointer, msg.text,
			         bc->needle);
		dcr_contract_free(c);
		free(text);
	}
}

static void expect_invalid(const char *text, size_t size, enum dcr_err want, const char *needle)
{
	struct dcr_contract *c = NULL;
	struct dcr_msg msg = {{0}};

	assert_int_equal(dcr_contract_parse(text, size, NOW, 0, &c, &msg), want);
	assert_null(c);
	tu_assert_msg(&msg, needle);
}

static void test_json_errors(void **state)
{
	static const char nul[] = "{\"dcr_contract\": 1, \"id\": \"a\\u0000b\"}";
	static const char raw_nul[] = "{\"dcr_contract\": 1, \"id\": \"a\0b\"}";

	(void)state;
	expect_invalid("{\"dcr_contract\": 1,\n  \"id\": }", 27, DCR_ERR_INVALID,
	               "not valid JSON: line 2, column");
	expect_invalid("{\"dcr_contract\": 1, \"dcr_contract\": 1}", 38, DCR_ERR_INVALID,
	               "duplicate");
	expect_invalid(nul, sizeof(nul) - 1, DCR_ERR_INVALID, "not valid JSON");
	expect_invalid(raw_nul, sizeof(raw_nul) - 1, DCR_ERR_INVALID, "not valid JSON");
	expect_invalid("[1]", 3, DCR_ERR_INVALID, "a contract is a JSON object, not an array");
	expect_invalid("", 0, DCR_ERR_INVALID, "not valid JSON");
	expect_invalid("{} x", 4, DCR_ERR_INVALID, "not valid JSON");
	expect_invalid("{\"id\": \"\xff\"}", 10, DCR_ERR_INVALID, "not valid JSON");
	expect_invalid("{}", DCR_CONTRACT_MAX_SIZE + 1, DCR_ERR_TOO_BIG, "limit");
}

static void test_same_public_key(void **state)
{
	char value[DCR_PUBKEY_LINE_SIZE + 2];
	struct edit e = {"/parties/1/public_key", value};
	char *text;

	(void)state;
	snprintf(value, sizeof(value), "\"%s\"", news_pub);
	text = variant(&e, NULL);
	expect_invalid(text, strlen(text), DCR_ERR_INVALID,
	               "parties[1].public_key: the same key as party \"news\"");
	free(text);
}

static void test_limits(void **state)
{
	json_t *root = load_json(valid_text), *parties = json_object_get(root, "parties");
	char *big = malloc(DCR_CONTRACT_MAX_SQL + 2), *text;

	(void)state;
	/* more parties than allowed */
	for (int i = 0; i < DCR_CONTRACT_MAX_PARTIES; i++)
		json_array_append(parties, json_array_get(parties, 0));
	text = dump(root, JSON_COMPACT);
	expect_invalid(text, strlen(text), DCR_ERR_INVALID,
	               "parties: more than the limit of 64 elements");
	free(text);
	json_decref(root);

	/* a query longer than the SQL limit; a key longer than the string limit */
	memset(big, 'x', DCR_CONTRACT_MAX_SQL + 1);
	big[DCR_CONTRACT_MAX_SQL + 1] = '\0';
	root = load_json(valid_text);
	json_object_set_new(json_array_get(json_object_get(json_object_get(root, "rules"),
	                                                   "queries"),
	                                   0),
	                    "sql", json_string(big));
	text = dump(root, JSON_COMPACT);
	expect_invalid(text, strlen(text), DCR_ERR_INVALID,
	               "rules.queries[0].sql: longer than the limit of 65536 bytes");
	free(text);
	json_decref(root);

	big[DCR_CONTRACT_MAX_STRING + 1] = '\0';
	root = load_json(valid_text);
	json_object_set_new(json_array_get(json_object_get(root, "parties"), 0), "public_key",
	                    json_string(big));
	text = dump(root, JSON_COMPACT);
	expect_invalid(text, strlen(text), DCR_ERR_INVALID,
	               "parties[0].public_key: longer than the limit of 4096 bytes");
	free(text);
	json_decref(root);
	free(big);
}

static void test_expiry(void **state)
{
	struct dcr_contract *c = NULL;
	struct dcr_msg msg = {{0}};
	const int64_t expires = 1830211200;

	(void)state;
	assert_int_equal(dcr_contract_parse(valid_text, strlen(valid_text), expires - 1, 0, &c,
	                                    &msg),
	                 DCR_OK);
	dcr_contract_free(c);
	assert_int_equal(dcr_contract_parse(valid_text, strlen(valid_text), expires, 0, &c, &msg),
	                 DCR_ERR_EXPIRED);
	assert_null(c);
	tu_assert_msg(&msg, "expires: the contract expired on 2027-12-31T00:00:00Z");
	assert_int_equal(dcr_contract_parse(valid_text, strlen(valid_text), expires + 86400,
	                                    DCR_CONTRACT_ALLOW_EXPIRED, &c, &msg),
	                 DCR_OK);
	dcr_contract_free(c);
}

/* ---- signatures ------------------------------------------------------------ */

/* valid_text signed by both parties, serialized (caller frees). */
static char *signed_text(void)
{
	struct dcr_contract *c = parse_ok(valid_text);
	const struct dcr_party *p = NULL;
	struct dcr_msg msg = {{0}};
	struct dcr_buf out;
	char *s;

	assert_int_equal(dcr_contract_sign(c, news_key, &p, &msg), DCR_OK);
	assert_int_equal(dcr_contract_sign(c, acme_key, NULL, &msg), DCR_OK);
	assert_int_equal(dcr_contract_serialize(c, &out), DCR_OK);
	s = strdup((const char *)out.data);
	dcr_buf_free(&out);
	dcr_contract_free(c);
	return s;
}

static void test_sign_then_verify(void **state)
{
	struct dcr_contract *c = parse_ok(valid_text), *c2;
	const struct dcr_party *p = NULL;
	struct dcr_msg msg = {{0}};
	struct dcr_buf out;
	uint8_t hash[DCR_CONTRACT_HASH_SIZE];

	(void)state;
	assert_int_equal(dcr_contract_verify(c, &msg), DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "party news has not signed the contract (0 of 2 parties have signed)");

	assert_int_equal(dcr_contract_sign(c, news_key, &p, &msg), DCR_OK);
	assert_ptr_equal(p, &c->parties[0]);
	assert_true(c->parties[0].has_signature);
	assert_int_equal(dcr_contract_verify_party(c, &c->parties[0], &msg), DCR_OK);
	assert_int_equal(dcr_contract_verify(c, &msg), DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "party acme has not signed the contract (1 of 2 parties have signed)");

	assert_int_equal(dcr_contract_sign(c, acme_key, &p, &msg), DCR_OK);
	assert_ptr_equal(p, &c->parties[1]);
	assert_int_equal(dcr_contract_verify(c, &msg), DCR_OK);

	/* signing again replaces, and still verifies */
	assert_int_equal(dcr_contract_sign(c, acme_key, &p, &msg), DCR_OK);
	assert_int_equal(dcr_contract_verify(c, &msg), DCR_OK);

	/* written out and read back: same hash, signatures still good */
	memcpy(hash, c->hash, sizeof(hash));
	assert_int_equal(dcr_contract_serialize(c, &out), DCR_OK);
	assert_int_equal(out.data[out.size - 1], '\n');
	/* the author's order is kept */
	assert_memory_equal(out.data, "{\n  \"dcr_contract\": 1,\n  \"id\": \"news-x-acme\",", 44);
	assert_non_null(strstr((const char *)out.data, "\"delta\": 1e-7"));
	assert_non_null(strstr((const char *)out.data, "\"epsilon_per_analyst\": 3.0"));
	c2 = parse_ok((const char *)out.data);
	assert_memory_equal(c2->hash, hash, sizeof(hash));
	assert_true(c2->parties[0].has_signature && c2->parties[1].has_signature);
	assert_int_equal(dcr_contract_verify(c2, &msg), DCR_OK);
	dcr_buf_free(&out);
	dcr_contract_free(c2);
	dcr_contract_free(c);
}

static void test_stranger_key_refused(void **state)
{
	struct dcr_contract *c = parse_ok(valid_text);
	const struct dcr_party *p = (const struct dcr_party *)1;
	struct dcr_msg msg = {{0}};
	struct dcr_buf out;

	(void)state;
	assert_int_equal(dcr_contract_sign(c, stranger_key, &p, &msg), DCR_ERR_VERIFY);
	assert_null(p);
	tu_assert_msg(&msg, "this key belongs to no party of the contract");
	/* and nothing was added */
	assert_int_equal(dcr_contract_serialize(c, &out), DCR_OK);
	assert_null(strstr((const char *)out.data, "signatures"));
	dcr_buf_free(&out);
	dcr_contract_free(c);
}

/* Changing any one thing but the signatures breaks every signature. */
static void test_any_change_breaks_signatures(void **state)
{
	static const struct edit changes[][2] = {
		{{"/id", "\"news-x-acme-2\""}, {0}},
		{{"/expires", "\"2028-01-01T00:00:00Z\""}, {0}},
		{{"/parties/0/roles/-", "\"analyst\""}, {0}},
		{{"/datasets/0/columns/1/name", "\"area\""}, {0}},
		{{"/datasets/0/columns/0/normalize", "\"hashed\""}, {0}},
		{{"/datasets/1/columns/3/bounds/1", "1001"}, {0}},
		{{"/datasets/1/columns/3/bounds/1", "1000.0000000000001"}, {0}},
		{{"/datasets/1/columns/4/role", "\"dimension\""}, {0}},
		{{"/datasets/0/columns/1", NULL},
		 {"/datasets/0/columns/-",
		  "{\"name\": \"region\", \"type\": \"string\", \"role\": \"dimension\"}"}},
		{{"/rules/min_distinct_ids", "26"}, {0}},
		{{"/rules/aggregates/-", "\"max\""}, {0}},
		{{"/rules/joins", "[]"}, {0}},
		{{"/rules/dp/delta", "0"}, {0}},
		{{"/rules/dp", NULL}, {0}},
		{{"/rules/queries/0/sql", "\"SELECT 2\""}, {0}},
		{{"/tee/accept/-", "\"sim\""}, {0}},
		{{"/tee/measurements/tdx/mrtd", "\"" X8("abababababac") "\""}, {0}},
		{{"/tee/measurements", NULL}, {0}},
	};
	char *base = signed_text();
	json_t *signed_root = load_json(base);

	(void)state;
	for (size_t i = 0; i < sizeof(changes) / sizeof(changes[0]); i++) {
		json_t *root = json_deep_copy(signed_root);
		struct dcr_contract *c;
		struct dcr_msg msg = {{0}};
		char *text;

		set_at(root, changes[i][0].pointer, changes[i][0].value);
		if (changes[i][1].pointer)
			set_at(root, changes[i][1].pointer, changes[i][1].value);
		text = dump(root, JSON_INDENT(2));
		c = parse_ok(text);
		assert_true(c->parties[0].has_signature && c->parties[1].has_signature);
		if (dcr_contract_verify(c, &msg) != DCR_ERR_VERIFY)
			fail_msg("changing %s did not break the signatures", changes[i][0].pointer);
		tu_assert_msg(&msg, "the signature of news does not verify");
		dcr_contract_free(c);
		free(text);
		json_decref(root);
	}
	json_decref(signed_root);
	free(base);
}

static void test_moved_signature(void **state)
{
	char *base = signed_text();
	json_t *root = load_json(base);
	json_t *sigs = json_object_get(root, "signatures");
	struct dcr_contract *c;
	struct dcr_msg msg = {{0}};
	char *text;

	(void)state;
	json_object_set(sigs, "acme", json_object_get(sigs, "news"));
	text = dump(root, 0);
	c = parse_ok(text);
	assert_int_equal(dcr_contract_verify(c, &msg), DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "the signature of acme does not verify");
	dcr_contract_free(c);
	free(text);
	json_decref(root);
	free(base);
}

/* A signature over the bare hash (no "dcr contract v1\n" in front) is not a
 * contract signature. */
static void test_domain_separation(void **state)
{
	struct dcr_contract *c = parse_ok(valid_text);
	uint8_t sig[DCR_SIGNATURE_SIZE], m[CONTRACT_SIG_MSG_SIZE];
	struct dcr_msg msg = {{0}};

	(void)state;
	assert_int_equal(dcr_contract_sign(c, news_key, NULL, &msg), DCR_OK);
	contract_sig_message(c->hash, m);
	assert_memory_equal(m, "dcr contract v1\n", 16);
	assert_memory_equal(m + 16, c->hash, 32);
	assert_int_equal(dcr_verify(c->parties[0].key.sign, m, sizeof(m), c->parties[0].signature),
	                 DCR_OK);
	dcr_sign(news_key, c->hash, sizeof(c->hash), sig);
	memcpy(c->parties[0].signature, sig, sizeof(sig));
	assert_int_equal(dcr_contract_verify_party(c, &c->parties[0], &msg), DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "the signature of news does not verify");
	dcr_contract_free(c);
}

static void replace(char **text, const char *from, const char *to)
{
	char *at = strstr(*text, from), *out;
	size_t n = strlen(*text) - strlen(from) + strlen(to) + 1;

	if (!at)
		fail_msg("\"%s\" not in the test document", from);
	out = malloc(n);
	snprintf(out, n, "%.*s%s%s", (int)(at - *text), *text, to, at + strlen(from));
	free(*text);
	*text = out;
}

static void expect_same_hash(const char *text, const uint8_t hash[static 32], const char *what)
{
	struct dcr_contract *c = parse_ok(text);

	if (memcmp(c->hash, hash, 32))
		fail_msg("%s changed the hash", what);
	assert_int_equal(dcr_contract_verify(c, NULL), DCR_OK);
	dcr_contract_free(c);
}

static void test_hash_ignores_form(void **state)
{
	char *base = signed_text(), *text;
	struct dcr_contract *c = parse_ok(base);
	json_t *root = load_json(base);
	uint8_t hash[32];

	(void)state;
	memcpy(hash, c->hash, sizeof(hash));
	dcr_contract_free(c);

	text = dump(root, JSON_SORT_KEYS | JSON_COMPACT);
	expect_same_hash(text, hash, "sorting the members");
	free(text);
	text = dump(root, JSON_INDENT(7));
	expect_same_hash(text, hash, "re-indenting");
	free(text);

	text = strdup(base);
	replace(&text, "\"bounds\": [0, 100]", "\"bounds\" :[ 0.0,1E2 ]");
	replace(&text, "\"delta\": 1e-7", "\"delta\": 0.0000001");
	replace(&text, "\"epsilon_per_analyst\": 3.0", "\"epsilon_per_analyst\": 3");
	replace(&text, "\"epsilon_per_query\": 0.5", "\"epsilon_per_query\": 5e-1");
	replace(&text, "\"owner\": \"news\"", "\"owner\": \"\\u006eews\"");
	replace(&text, "\"region\"", "\"\\u0072egion\"");
	expect_same_hash(text, hash, "spelling numbers and strings differently");
	free(text);

	/* the signatures are not hashed: dropping one changes nothing */
	json_object_del(json_object_get(root, "signatures"), "acme");
	text = dump(root, 0);
	c = parse_ok(text);
	assert_memory_equal(c->hash, hash, sizeof(hash));
	dcr_contract_free(c);
	free(text);
	json_decref(root);
	free(base);
}

static void test_hash_hex_and_load(void **state)
{
	char *dir = tu_tmpdir(), hex[65], want[65];
	struct dcr_contract *c = NULL;
	struct dcr_msg msg = {{0}};

	(void)state;
	tu_write(tu_path(dir, "contract.json"), valid_text, strlen(valid_text));
	assert_int_equal(dcr_contract_load(tu_path(dir, "contract.json"), NOW, 0, &c, &msg),
	                 DCR_OK);
	dcr_contract_hash_hex(c, hex);
	dcr_hex_encode(want, c->hash, sizeof(c->hash));
	assert_string_equal(hex, want);
	assert_int_equal(strlen(hex), 64);
	dcr_contract_free(c);

	assert_int_equal(dcr_contract_load(tu_path(dir, "none.json"), NOW, 0, &c, &msg),
	                 DCR_ERR_NOT_FOUND);
	assert_null(c);
	tu_assert_msg(&msg, "none.json");

	tu_write(tu_path(dir, "bad.json"), "{\"dcr_contract\": 1}", 19);
	assert_int_equal(dcr_contract_load(tu_path(dir, "bad.json"), NOW, 0, &c, &msg),
	                 DCR_ERR_INVALID);
	tu_assert_msg(&msg, "bad.json: id: required field missing");
	tu_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example_parses),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_each_rule),
		cmocka_unit_test(test_json_errors),
		cmocka_unit_test(test_same_public_key),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_sign_then_verify),
		cmocka_unit_test(test_stranger_key_refused),
		cmocka_unit_test(test_any_change_breaks_signatures),
		cmocka_unit_test(test_moved_signature),
		cmocka_unit_test(test_domain_separation),
		cmocka_unit_test(test_hash_ignores_form),
		cmocka_unit_test(test_hash_hex_and_load),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
