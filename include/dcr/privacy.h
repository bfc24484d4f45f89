/* SPDX-License-Identifier: Apache-2.0 */
/* privacy: the only place that decides what may leave the clean room. It
 * walks a bound query (engine) against the contract's rules, refuses what
 * breaks one, and rewrites what may run so that small groups are dropped.
 * Rules: docs/PRIVACY.md. */
#ifndef DCR_PRIVACY_H
#define DCR_PRIVACY_H

#include "dcr/contract.h"
#include "dcr/engine.h"

/* Checks q, prepared by analyst against tables named as c's datasets, and
 * rewrites it in place to enforce min_distinct_ids: every output row must
 * cover at least k distinct ids of the query's first table, else it is
 * dropped as by HAVING (before ORDER BY and LIMIT). named is the contract's
 * named query being run, or NULL for free SQL (refused when the contract
 * has rules.queries). DCR_ERR_REFUSED with msg naming the rule broken; q
 * must then not be run. */
enum dcr_err dcr_privacy_check(const struct dcr_contract *c, const struct dcr_party *analyst,
                               const char *named, struct dcr_query *q,
                               struct dcr_msg *msg) DCR_WUR;

/* ---- differential privacy (contracts with rules.dp) --------------------- */

enum dcr_dp_kind {
	DCR_DP_KEY,    /* a GROUP BY key: released as it is (for released groups) */
	DCR_DP_COUNT,  /* COUNT(*), COUNT(x), COUNT(DISTINCT x) */
	DCR_DP_SUM,    /* SUM of a metric clamped to its bounds */
	DCR_DP_AVG,    /* noisy SUM / noisy COUNT of a clamped metric */
};

/* One output column of a DP answer. Sensitivities are L1 over the whole
 * answer, with each id contributing at most cap rows (docs/PRIVACY.md). */
struct dcr_dp_column {
	const char *name;
	enum dcr_dp_kind kind;
	size_t column;            /* its column in the result the query gives */
	size_t count_column;      /* AVG: the hidden COUNT's column */
	bool is_float;            /* SUM/AVG over a float metric */
	double lo, hi;            /* SUM/AVG: the metric's bounds */
	double sensitivity;       /* COUNT, SUM; AVG: of its sum */
	double l2;                /* COUNT: L2 sensitivity (for Gaussian noise) */
	double count_sensitivity; /* AVG: of its count */
	/* set by dcr_privacy_add_noise: */
	double scale;             /* noise scale (Laplace b) of the value; AVG: of the sum */
	double count_scale;       /* AVG: of the count */
	double grid;              /* float sums: values were snapped to multiples of this */
	double ci95;              /* half-width of a 95 % interval of the noise (COUNT, SUM) */
};

/* What a DP query needs beyond running: the row cap to run it with, and
 * the noise for each column (dcr_privacy_add_noise). */
struct dcr_dp_plan {
	double epsilon;           /* this query spends */
	double delta;
	bool gaussian;            /* discrete Gaussian noise (rules.dp.mechanism) */
	uint64_t cap;             /* rows per id of the first table */
	size_t cap_rel, cap_column;
	int64_t min_ids;          /* k: also required of a released group's noisy count */
	bool grouped;             /* GROUP BY: groups are selected by a noisy count */
	size_t select_column;     /* grouped: the hidden COUNT(DISTINCT id) column */
	double select_sensitivity;
	double select_l2;
	double select_scale;      /* set by dcr_privacy_add_noise */
	int64_t threshold;        /* set by dcr_privacy_add_noise: a group needs this */
	size_t measurements;      /* noisy values per group: epsilon is split in these */
	struct dcr_dp_column *cols; /* the output columns the analyst sees */
	size_t col_count;
};

/* For a contract with rules.dp: the checks of dcr_privacy_check, then the
 * restrictions DP adds (no HAVING or LIMIT, ORDER BY only on keys, outputs
 * are keys or single aggregates, SUM/AVG over one metric column, no MIN or
 * MAX), then rewrites q (metrics clamped, AVG as SUM and COUNT, a hidden
 * distinct-id count when grouped) and plans the noise for spending
 * epsilon. DCR_ERR_REFUSED with msg naming the rule. *out is freed with
 * dcr_dp_plan_free. */
enum dcr_err dcr_privacy_check_dp(const struct dcr_contract *c, const struct dcr_party *analyst,
                                  const char *named, double epsilon, struct dcr_query *q,
                                  struct dcr_dp_plan **out, struct dcr_msg *msg) DCR_WUR;
void dcr_dp_plan_free(struct dcr_dp_plan *plan);

#endif
