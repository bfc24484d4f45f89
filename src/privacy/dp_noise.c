/* SPDX-License-Identifier: Apache-2.0 */
/* Differential privacy, the noise half: after a planned query ran with its
 * row cap, each noisy value gets its noise, groups are selected by their
 * noisy distinct-id count, hidden columns go, and the receipt lines say
 * what was done. docs/PRIVACY.md, "Differential privacy". */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dcr/noise.h"
#include "privacy_int.h"

/* A noise scale as the samplers take it: Laplace b, or Gaussian sigma^2,
 * as an exact rational rounded toward more noise. */
struct scale {
	uint64_t num, den;
	double value;      /* num/den: b, or sigma */
};

static int64_t sat_add(int64_t a, int64_t b)
{
	int64_t r;

	if (__builtin_add_overflow(a, b, &r))
		return b > 0 ? INT64_MAX : INT64_MIN;
	return r;
}

/* How the plan's noise is drawn. Laplace: every noisy value gets eps / m
 * (m values). Gaussian: the group selection keeps Laplace noise with its
 * eps / m and half of delta; the other values share the rest of epsilon and
 * delta through zCDP (rho adds up: each gets rho / (values)). */
struct mech {
	const struct dcr_rng *rng;
	bool gaussian;
	double eps;        /* Laplace: each value's epsilon */
	double rho;        /* Gaussian: each value's rho */
};

static enum dcr_err scale_of(const struct mech *m, double l1, double l2, struct scale *out)
{
	enum dcr_err err;

	if (m->gaussian) {
		err = dcr_noise_gauss_sigma2_rho(l2, m->rho, &out->num, &out->den);
		out->value = sqrt((double)out->num / (double)out->den);
	} else {
		err = dcr_noise_scale(l1, m->eps, &out->num, &out->den);
		out->value = (double)out->num / (double)out->den;
	}
	return err;
}

static enum dcr_err draw(const struct mech *m, const struct scale *sc, int64_t *out)
{
	return m->gaussian ? dcr_noise_gauss(m->rng, sc->num, sc->den, out)
	                   : dcr_noise_laplace(m->rng, sc->num, sc->den, out);
}

static double ci_of(const struct mech *m, const struct scale *sc)
{
	int64_t w = 0;
	enum dcr_err err = m->gaussian ? dcr_noise_gauss_ci(sc->num, sc->den, 0.95, &w)
	                               : dcr_noise_laplace_ci(sc->num, sc->den, 0.95, &w);

	return err ? 0 : (double)w;
}

static const char *mech_name(const struct mech *m)
{
	return m->gaussian ? "discrete-gaussian" : "discrete-laplace";
}

/* Noisy integer column values in place; NULL (no rows) counts as 0. */
static enum dcr_err noise_ints(const struct mech *m, struct dcr_column *c,
                               const struct scale *sc, bool non_negative)
{
	for (size_t r = 0; r < c->count; r++) {
		int64_t x, v = c->nulls && c->nulls[r] ? 0 : c->v.i64[r];
		enum dcr_err err = draw(m, sc, &x);

		if (err)
			return err;
		v = sat_add(v, x);
		c->v.i64[r] = non_negative && v < 0 ? 0 : v;
	}
	free(c->nulls);
	c->nulls = NULL;
	return DCR_OK;
}

/* Float values snapped to multiples of a power-of-two grid and noised on
 * it: the noise never meets floating point (Mironov 2012). Rounding a total
 * moves it by at most one step more than the total moved, so the
 * sensitivity in steps is l1 / grid + 1. */
static enum dcr_err noise_floats(const struct mech *m, struct dcr_column *c, double l1,
                                 struct scale *out, double *out_grid)
{
	struct scale unit, steps;
	double grid;
	int e;
	enum dcr_err err;

	/* about 2^20 steps per unit of noise: fine enough to be invisible,
	 * coarse enough for 64-bit steps */
	if ((err = scale_of(m, l1, l1, &unit)))
		return err;
	frexp(unit.value / 1048576.0, &e);
	if (e < -60)
		e = -60;
	if (e > 60)
		e = 60;
	grid = ldexp(1.0, e);
	if ((err = scale_of(m, l1 / grid + 1, l1 / grid + 1, &steps)))
		return err;
	for (size_t r = 0; r < c->count; r++) {
		double v = c->nulls && c->nulls[r] ? 0 : c->v.f64[r];
		int64_t k, x;

		if ((err = dcr_noise_snap(v, e, &k)) == DCR_ERR_TOO_BIG)
			k = v > 0 ? INT64_C(1) << 62 : -(INT64_C(1) << 62);
		else if (err)
			return err;
		if ((err = draw(m, &steps, &x)))
			return err;
		c->v.f64[r] = (double)sat_add(k, x) * grid;
	}
	free(c->nulls);
	c->nulls = NULL;
	*out = steps;
	*out_grid = grid;
	return DCR_OK;
}

/* A column's values as doubles, whatever their type (INT or FLOAT). */
static double value_at(const struct dcr_column *c, size_t r)
{
	return c->type == DCR_TYPE_INT ? (double)c->v.i64[r] : c->v.f64[r];
}

/* The noise of one value: drawn and described. */
static enum dcr_err noise_value(const struct mech *m, struct dcr_column *c, double l1, double l2,
                                bool non_negative, double *out_scale, double *out_ci,
                                double *out_grid)
{
	struct scale sc;
	enum dcr_err err;

	if (c->type == DCR_TYPE_FLOAT) {
		err = noise_floats(m, c, l1, &sc, out_grid);
		if (err)
			return err;
		*out_scale = sc.value * *out_grid;
		if (out_ci)
			*out_ci = ci_of(m, &sc) * *out_grid;
		return DCR_OK;
	}
	if ((err = scale_of(m, l1, l2, &sc)))
		return err;
	*out_scale = sc.value;
	if (out_ci)
		*out_ci = ci_of(m, &sc);
	return noise_ints(m, c, &sc, non_negative);
}

/* Which result rows to release: the noisy distinct-id count of each group
 * (discrete Laplace, also under the Gaussian mechanism) must reach the
 * threshold tau and k. */
static enum dcr_err select_groups(struct dcr_dp_plan *plan, const struct dcr_rng *rng,
                                  double eps, double delta, const struct dcr_column *ids,
                                  uint8_t *keep)
{
	struct scale sc;
	int64_t tau;
	enum dcr_err err;

	if ((err = dcr_noise_scale(plan->select_sensitivity, eps, &sc.num, &sc.den)) ||
	    (err = dcr_noise_threshold(sc.num, sc.den, delta / (double)plan->cap, &tau)))
		return err;
	plan->select_scale = (double)sc.num / (double)sc.den;
	plan->threshold = tau > plan->min_ids ? tau : plan->min_ids;
	for (size_t r = 0; r < ids->count; r++) {
		int64_t x;

		if ((err = dcr_noise_laplace(rng, sc.num, sc.den, &x)))
			return err;
		keep[r] = sat_add(ids->v.i64[r], x) >= plan->threshold;
	}
	return DCR_OK;
}

static int cmp_desc(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

static enum dcr_err describe(const struct dcr_dp_plan *plan, const struct mech *m,
                             struct dcr_buf *lines)
{
	enum dcr_err err = DCR_OK;

	for (size_t i = 0; i < plan->col_count && !err; i++) {
		const struct dcr_dp_column *col = &plan->cols[i];

		if (col->kind == DCR_DP_KEY)
			continue;
		if (col->kind == DCR_DP_AVG)
			err = dcr_buf_printf(lines, "noise: column=%zu mechanism=%s sum_scale=%.17g "
			                     "count_scale=%.17g",
			                     i, mech_name(m), col->scale, col->count_scale);
		else
			err = dcr_buf_printf(lines, "noise: column=%zu mechanism=%s scale=%.17g "
			                     "ci95=%.17g",
			                     i, mech_name(m), col->scale, col->ci95);
		if (!err && col->grid > 0)
			err = dcr_buf_printf(lines, " grid=%.17g", col->grid);
		if (!err)
			err = dcr_buf_append(lines, "\n", 1);
	}
	if (!err && plan->grouped)
		err = dcr_buf_printf(lines, "selection: mechanism=discrete-laplace scale=%.17g "
		                     "threshold=%lld\n",
		                     plan->select_scale, (long long)plan->threshold);
	return err;
}

enum dcr_err dcr_privacy_add_noise(struct dcr_dp_plan *plan, struct dcr_table *t,
                                   const struct dcr_rng *rng, struct dcr_buf *lines,
                                   struct dcr_msg *msg)
{
	struct mech m = {.rng = rng, .gaussian = plan->gaussian};
	size_t values = plan->measurements - (plan->grouped ? 1 : 0), *drop, ndrop = 0;
	double sel_eps = plan->epsilon / (double)plan->measurements, sel_delta = plan->delta;
	uint8_t *keep = NULL;
	enum dcr_err err = DCR_OK;

	assert(plan->measurements > 0 && t->column_count >= plan->col_count);
	m.eps = plan->epsilon / (double)plan->measurements;
	if (m.gaussian && values) {
		double rho;

		/* selection keeps its Laplace share of epsilon and half of delta */
		double eps_g = plan->grouped ? plan->epsilon - sel_eps : plan->epsilon;
		double delta_g = plan->grouped ? plan->delta / 2 : plan->delta;

		sel_delta = plan->delta / 2;
		err = dcr_noise_gauss_rho(eps_g, delta_g, &rho);
		m.rho = rho / (double)values;
	}
	drop = calloc(plan->col_count + 2, sizeof(*drop));
	if (!drop)
		err = DCR_ERR_NOMEM;
	for (size_t i = 0; i < plan->col_count && !err; i++) {
		struct dcr_dp_column *col = &plan->cols[i];
		struct dcr_column *c = &t->columns[col->column];

		switch (col->kind) {
		case DCR_DP_KEY:
			break;
		case DCR_DP_COUNT:
			err = noise_value(&m, c, col->sensitivity, col->l2, true, &col->scale,
			                  &col->ci95, &col->grid);
			break;
		case DCR_DP_SUM:
			err = noise_value(&m, c, col->sensitivity, col->sensitivity, false,
			                  &col->scale, &col->ci95, &col->grid);
			break;
		case DCR_DP_AVG: {
			struct dcr_column *n = &t->columns[col->count_column];
			double unused;

			err = noise_value(&m, n, col->count_sensitivity, col->count_sensitivity, true,
			                  &col->count_scale, NULL, &unused);
			if (!err)
				err = noise_value(&m, c, col->sensitivity, col->sensitivity, false,
				                  &col->scale, NULL, &col->grid);
			if (err)
				break;
			/* post-processing: the noisy sum over the noisy count */
			if (!c->nulls && !(c->nulls = calloc(c->count ? c->count : 1, 1))) {
				err = DCR_ERR_NOMEM;
				break;
			}
			for (size_t r = 0; r < c->count; r++) {
				double s = value_at(c, r);
				int64_t cnt = n->v.i64[r];

				c->nulls[r] = cnt < 1;
				c->v.f64[r] = cnt < 1 ? 0 : s / (double)cnt;
			}
			c->type = DCR_TYPE_FLOAT;
			drop[ndrop++] = col->count_column;
			break;
		}
		}
	}
	if (!err && plan->grouped) {
		keep = calloc(t->row_count ? t->row_count : 1, 1);
		err = keep ? select_groups(plan, rng, sel_eps, sel_delta,
		                           &t->columns[plan->select_column], keep)
		           : DCR_ERR_NOMEM;
		drop[ndrop++] = plan->select_column;
	}
	if (!err) {
		if (keep)
			dcr_table_keep_rows(t, keep);
		qsort(drop, ndrop, sizeof(*drop), cmp_desc);
		for (size_t i = 0; i < ndrop; i++)
			dcr_table_drop_column(t, drop[i]);
		err = describe(plan, &m, lines);
	}
	free(keep);
	free(drop);
	if (err)
		return dcr_fail(msg, err, "differential privacy: cannot add the noise: %s",
		                dcr_strerror(err));
	return DCR_OK;
}
