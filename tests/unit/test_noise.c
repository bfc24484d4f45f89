/* SPDX-License-Identifier: Apache-2.0 */
/* noise: the exact samplers against their exact pmfs (chi-square over 10^6
 * seeded draws, mean, variance), the Bernoulli and uniform samplers, the
 * rational parameters (rounded up, exactly), the threshold, the 95 %
 * half-widths and float snapping. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"
#include "dcr/crypto.h"
#include "dcr/noise.h"

__extension__ typedef unsigned __int128 u128;

#define N_BIG 1000000
#define Z_TAIL 5.0 /* tolerance of mean/variance/frequency checks, in standard errors */

/* ---- exact pmfs ----------------------------------------------------------- */

enum kind { LAPLACE, GAUSS };

/* An exact pmf over [-m, m] (the mass outside is below 1e-30 of the whole). */
struct pmf {
	int64_t m;
	double *p; /* p[x + m] */
};

static struct pmf make_pmf(enum kind kind, double param)
{
	struct pmf f;
	long double z = 0;

	if (kind == LAPLACE)
		f.m = (int64_t)(param * 72) + 20;
	else
		f.m = (int64_t)(sqrt(param) * 12) + 20;
	f.p = calloc((size_t)(2 * f.m + 1), sizeof(double));
	assert_non_null(f.p);
	for (int64_t x = -f.m; x <= f.m; x++) {
		long double ax = (long double)llabs(x);
		long double v = kind == LAPLACE ? expl(-ax / (long double)param)
		                                : expl(-ax * ax / (2.0L * (long double)param));

		f.p[x + f.m] = (double)v;
		z += v;
	}
	for (int64_t x = -f.m; x <= f.m; x++)
		f.p[x + f.m] = (double)((long double)f.p[x + f.m] / z);
	return f;
}

static double pmf_at(const struct pmf *f, int64_t x)
{
	return x < -f->m || x > f->m ? 0 : f->p[x + f->m];
}

/* ---- draws ------------------------------------------------------------------ */

/* A histogram of n draws over [-m, m]; draws outside count in out_lo/out_hi. */
struct hist {
	int64_t m;
	uint64_t *c;
	uint64_t below, above;
	uint64_t n;
	double sum, sum2; /* of the draws */
};

static struct hist draw(enum kind kind, uint64_t num, uint64_t den, uint64_t n, uint64_t seed,
                        int64_t m)
{
	struct dcr_rng_seeded state;
	struct dcr_rng rng;
	struct hist h = {.m = m, .n = n};

	h.c = calloc((size_t)(2 * m + 1), sizeof(uint64_t));
	assert_non_null(h.c);
	dcr_rng_seeded_init(&state, seed, &rng);
	for (uint64_t i = 0; i < n; i++) {
		int64_t x;

		if (kind == LAPLACE)
			assert_int_equal(dcr_noise_laplace(&rng, num, den, &x), DCR_OK);
		else
			assert_int_equal(dcr_noise_gauss(&rng, num, den, &x), DCR_OK);
		h.sum += (double)x;
		h.sum2 += (double)x * (double)x;
		if (x < -m)
			h.below++;
		else if (x > m)
			h.above++;
		else
			h.c[x + m]++;
	}
	return h;
}

/* Upper 0.001 quantile of chi-square with k degrees of freedom
 * (Wilson-Hilferty; within 1 % for k >= 5). */
static double chi2_crit(int k)
{
	double a = 2.0 / (9.0 * k), z = 3.090232306167813;

	return k * pow(1 - a + z * sqrt(a), 3);
}

/* Pearson's statistic of h against f: one bin per integer whose expected
 * count is >= 5, the rest pooled into the two tails. */
static double chi2(const struct hist *h, const struct pmf *f, int *out_df)
{
	int64_t lo = 0, hi = 0;
	double stat = 0, elo = 0, ehi = 0;
	uint64_t olo = h->below, ohi = h->above;
	int bins = 0;

	/* the central run of bins with expected count >= 5 */
	while (pmf_at(f, lo - 1) * (double)h->n >= 5 && lo - 1 >= -h->m)
		lo--;
	while (pmf_at(f, hi + 1) * (double)h->n >= 5 && hi + 1 <= h->m)
		hi++;
	for (int64_t x = -f->m; x < lo; x++)
		elo += pmf_at(f, x) * (double)h->n;
	for (int64_t x = hi + 1; x <= f->m; x++)
		ehi += pmf_at(f, x) * (double)h->n;
	for (int64_t x = -h->m; x < lo; x++)
		olo += h->c[x + h->m];
	for (int64_t x = hi + 1; x <= h->m; x++)
		ohi += h->c[x + h->m];
	for (int64_t x = lo; x <= hi; x++) {
		double e = pmf_at(f, x) * (double)h->n, o = (double)h->c[x + h->m];

		/* fold a small tail into its neighbouring bin */
		if (x == lo && elo < 5) {
			e += elo;
			o += (double)olo;
			elo = -1;
		}
		if (x == hi && ehi < 5) {
			e += ehi;
			o += (double)ohi;
			ehi = -1;
		}
		stat += (o - e) * (o - e) / e;
		bins++;
	}
	if (elo >= 5) {
		stat += ((double)olo - elo) * ((double)olo - elo) / elo;
		bins++;
	}
	if (ehi >= 5) {
		stat += ((double)ohi - ehi) * ((double)ohi - ehi) / ehi;
		bins++;
	}
	*out_df = bins - 1;
	return stat;
}

static double pmf_moment(const struct pmf *f, int power)
{
	long double s = 0;

	for (int64_t x = -f->m; x <= f->m; x++)
		s += (long double)f->p[x + f->m] * powl((long double)x, power);
	return (double)s;
}

/* The empirical distribution of h fits f (chi-square, p = 0.001), does not
 * fit the pmf of a scale 10 % larger (so the check can fail), and its mean
 * and variance are f's within Z_TAIL standard errors.
 * Checked by hand that this fails on a broken sampler: with the Laplace's
 * negative-zero rejection removed, t = 0.5 gave chi2 58138.6 (critical
 * 33.1) and sigma^2 = 1 gave 123317.6 (26.3); with the Gaussian's acceptance
 * exponent offset by one (|Y| - q - 1), sigma^2 = 1 gave 955234.0. The 10 %
 * wider pmf gives 3000 to 16000 against critical values of 19 to 900. */
static void check_fit(const struct hist *h, enum kind kind, double param)
{
	struct pmf f = make_pmf(kind, param);
	/* Laplace: scale x 1.1; Gaussian: sigma x 1.1 */
	struct pmf wrong = make_pmf(kind, kind == LAPLACE ? param * 1.1 : param * 1.21);
	int df, wdf;
	double stat = chi2(h, &f, &df), wstat = chi2(h, &wrong, &wdf);
	double var = pmf_moment(&f, 2), mu4 = pmf_moment(&f, 4);
	double n = (double)h->n, mean = h->sum / n, svar = h->sum2 / n - mean * mean;

	print_message("%s %g: chi2 %.1f (df %d, crit %.1f); scale x1.1: %.1f; mean %.4f, "
	              "var %.4f (exact %.4f)\n",
	              kind == LAPLACE ? "laplace t" : "gauss sigma^2", param, stat, df,
	              chi2_crit(df), wstat, mean, svar, var);
	assert_true(df >= 4);
	assert_true(stat < chi2_crit(df));
	/* the same statistic rejects a pmf 10 % wider: the test can fail */
	assert_true(wstat > chi2_crit(wdf));
	assert_true(fabs(mean) < Z_TAIL * sqrt(var / n));
	assert_true(fabs(svar - var) < Z_TAIL * sqrt((mu4 - var * var) / n));
	free(f.p);
	free(wrong.p);
}

/* The 95 % half-width w covers >= 95 % of the exact mass, w - 1 does not,
 * and the draws agree. */
static void check_ci(const struct hist *h, enum kind kind, double param, int64_t w)
{
	struct pmf f = make_pmf(kind, param);
	double in = 0, in_less = 0, seen = 0;

	for (int64_t x = -w; x <= w; x++) {
		in += pmf_at(&f, x);
		if (llabs(x) < w)
			in_less += pmf_at(&f, x);
		if (x >= -h->m && x <= h->m)
			seen += (double)h->c[x + h->m];
	}
	print_message("  ci95 %lld: exact %.5f (w-1: %.5f), drawn %.5f\n", (long long)w, in,
	              in_less, seen / (double)h->n);
	assert_true(in >= 0.95);
	assert_true(w == 0 || in_less < 0.95);
	assert_true(seen / (double)h->n >= 0.95 - Z_TAIL * sqrt(0.95 * 0.05 / (double)h->n));
	free(f.p);
}

static void laplace_case(uint64_t num, uint64_t den, uint64_t n, uint64_t seed)
{
	double t = (double)num / (double)den;
	struct hist h = draw(LAPLACE, num, den, n, seed, (int64_t)(t * 72) + 20);
	int64_t w;

	check_fit(&h, LAPLACE, t);
	assert_int_equal(dcr_noise_laplace_ci(num, den, 0.95, &w), DCR_OK);
	check_ci(&h, LAPLACE, t, w);
	/* group selection: a one-id group (count 1) passes tau rarely enough */
	for (double dg = 1e-2; dg > 1e-12; dg /= 1000) {
		int64_t tau;
		double p = exp(-1 / t), pass = 0, pass_less;
		uint64_t seen = h.above;

		assert_int_equal(dcr_noise_threshold(num, den, dg, &tau), DCR_OK);
		/* exactly: P[X >= tau - 1] <= dg < P[X >= tau - 2] (minimal) */
		assert_true(tau >= 2);
		pass = pow(p, (double)(tau - 1)) / (1 + p);
		pass_less = tau - 2 >= 1 ? pow(p, (double)(tau - 2)) / (1 + p) : 0.5;
		assert_true(pass <= dg);
		assert_true(pass_less > dg);
		for (int64_t x = tau - 1; x <= h.m; x++)
			seen += x >= -h.m ? h.c[x + h.m] : 0;
		print_message("  delta_group %g: tau %lld, P %.3g, drawn %.3g\n", dg, (long long)tau,
		              pass, (double)seen / (double)n);
		assert_true((double)seen <= dg * (double)n + Z_TAIL * sqrt(dg * (double)n) + 1);
	}
	free(h.c);
}

static void gauss_case(uint64_t num, uint64_t den, uint64_t n, uint64_t seed)
{
	double s2 = (double)num / (double)den;
	struct hist h = draw(GAUSS, num, den, n, seed, (int64_t)(sqrt(s2) * 12) + 20);
	int64_t w;

	check_fit(&h, GAUSS, s2);
	assert_int_equal(dcr_noise_gauss_ci(num, den, 0.95, &w), DCR_OK);
	check_ci(&h, GAUSS, s2, w);
	free(h.c);
}

static void test_laplace_fit(void **state)
{
	(void)state;
	laplace_case(1, 2, N_BIG, 1);   /* t = 0.5 */
	laplace_case(1, 1, N_BIG, 2);   /* t = 1 */
	laplace_case(37, 10, N_BIG, 3); /* t = 3.7 */
	laplace_case(50, 1, N_BIG, 4);  /* t = 50 */
}

static void test_gauss_fit(void **state)
{
	(void)state;
	gauss_case(1, 1, N_BIG, 5);      /* sigma^2 = 1 */
	gauss_case(10, 1, N_BIG, 6);     /* sigma^2 = 10 */
	gauss_case(1000, 1, N_BIG, 7);   /* sigma^2 = 1000 */
	gauss_case(5, 2, 200000, 8);     /* sigma^2 = 2.5: q = 1, Laplace scale 5/2 */
	gauss_case(1, 4, 200000, 9);     /* sigma^2 = 0.25: the sigma < 1 branch */
}

/* ---- the small samplers --------------------------------------------------- */

static void test_bernoulli_exp(void **state)
{
	struct dcr_rng_seeded st;
	struct dcr_rng rng;
	const uint64_t g[][2] = {{0, 1}, {1, 3}, {1, 1}, {5, 2}, {7, 1}, {1, 1000000}};
	const uint64_t n = 200000;
	bool b;

	(void)state;
	dcr_rng_seeded_init(&st, 10, &rng);
	for (size_t i = 0; i < sizeof(g) / sizeof(g[0]); i++) {
		double p = exp(-(double)g[i][0] / (double)g[i][1]);
		uint64_t ones = 0;

		for (uint64_t k = 0; k < n; k++) {
			assert_int_equal(dcr_noise_bernoulli_exp(&rng, g[i][0], g[i][1], &b), DCR_OK);
			ones += b;
		}
		print_message("bernoulli(exp(-%llu/%llu)): %.5f, exact %.5f\n",
		              (unsigned long long)g[i][0], (unsigned long long)g[i][1],
		              (double)ones / (double)n, p);
		assert_true(fabs((double)ones / (double)n - p) <=
		            Z_TAIL * sqrt(p * (1 - p) / (double)n));
	}
	/* a huge gamma neither hangs nor passes */
	for (int k = 0; k < 1000; k++) {
		assert_int_equal(dcr_noise_bernoulli_exp(&rng, UINT64_MAX, 1, &b), DCR_OK);
		assert_false(b);
	}
	assert_int_equal(dcr_noise_bernoulli_exp(&rng, 1, 0, &b), DCR_ERR_INVALID);
}

static void test_uniform_bernoulli(void **state)
{
	struct dcr_rng_seeded st;
	struct dcr_rng rng;
	uint64_t c[6] = {0}, v, high = 0;
	const uint64_t n = 600000;
	double stat = 0;
	bool b;
	uint64_t ones = 0;

	(void)state;
	dcr_rng_seeded_init(&st, 11, &rng);
	for (uint64_t k = 0; k < n; k++) {
		assert_int_equal(dcr_noise_uniform(&rng, 6, &v), DCR_OK);
		assert_true(v < 6);
		c[v]++;
	}
	for (int i = 0; i < 6; i++)
		stat += ((double)c[i] - n / 6.0) * ((double)c[i] - n / 6.0) / (n / 6.0);
	print_message("uniform(6): chi2 %.2f (df 5, crit 20.52)\n", stat);
	assert_true(stat < 20.52); /* chi-square 5 df, p = 0.001 */
	/* the top of the range is reached: n = 2^63 + 1 has half its values >= 2^62 */
	for (int k = 0; k < 10000; k++) {
		assert_int_equal(dcr_noise_uniform(&rng, (UINT64_C(1) << 63) + 1, &v), DCR_OK);
		assert_true(v <= UINT64_C(1) << 63);
		high += v >= UINT64_C(1) << 62;
	}
	assert_true(high > 4700 && high < 5300);
	assert_int_equal(dcr_noise_uniform(&rng, 1, &v), DCR_OK);
	assert_int_equal(v, 0);
	assert_int_equal(dcr_noise_uniform(&rng, 0, &v), DCR_ERR_INVALID);
	for (uint64_t k = 0; k < 300000; k++) {
		assert_int_equal(dcr_noise_bernoulli(&rng, 1, 3, &b), DCR_OK);
		ones += b;
	}
	assert_true(fabs((double)ones / 300000 - 1.0 / 3) <= Z_TAIL * sqrt(2.0 / 9 / 300000));
	assert_int_equal(dcr_noise_bernoulli(&rng, 0, 1, &b), DCR_OK);
	assert_false(b);
	assert_int_equal(dcr_noise_bernoulli(&rng, 5, 5, &b), DCR_OK);
	assert_true(b);
	assert_int_equal(dcr_noise_bernoulli(&rng, 2, 1, &b), DCR_ERR_INVALID);
	assert_int_equal(dcr_noise_bernoulli(&rng, 0, 0, &b), DCR_ERR_INVALID);
}

static void test_refused(void **state)
{
	struct dcr_rng_seeded st;
	struct dcr_rng rng;
	int64_t x;
	uint64_t num, den;
	const uint64_t big = DCR_NOISE_MAX_NUM + 1, bigden = DCR_NOISE_MAX_DEN + 1;

	(void)state;
	dcr_rng_seeded_init(&st, 12, &rng);
	assert_int_equal(dcr_noise_laplace(&rng, 0, 1, &x), DCR_ERR_INVALID);
	assert_int_equal(dcr_noise_laplace(&rng, 1, 0, &x), DCR_ERR_INVALID);
	assert_int_equal(dcr_noise_laplace(&rng, big, DCR_NOISE_MAX_DEN, &x), DCR_ERR_TOO_BIG);
	assert_int_equal(dcr_noise_laplace(&rng, 1, bigden, &x), DCR_ERR_TOO_BIG);
	/* a scale past 2^40 would give noise past int64 */
	assert_int_equal(dcr_noise_laplace(&rng, (UINT64_C(1) << 40) + 1, 1, &x), DCR_ERR_TOO_BIG);
	assert_int_equal(dcr_noise_laplace(&rng, UINT64_C(1) << 40, 1, &x), DCR_OK);
	assert_int_equal(dcr_noise_gauss(&rng, 0, 1, &x), DCR_ERR_INVALID);
	assert_int_equal(dcr_noise_gauss(&rng, big, 1, &x), DCR_ERR_TOO_BIG);
	assert_int_equal(dcr_noise_gauss(&rng, 1, bigden, &x), DCR_ERR_TOO_BIG);
	/* the extremes that are allowed work */
	for (int k = 0; k < 200; k++) {
		assert_int_equal(dcr_noise_gauss(&rng, DCR_NOISE_MAX_NUM, 1, &x), DCR_OK);
		assert_true(llabs(x) < INT64_C(1) << 40);
		assert_int_equal(dcr_noise_gauss(&rng, 1, DCR_NOISE_MAX_DEN, &x), DCR_OK);
		assert_int_equal(dcr_noise_gauss(&rng, DCR_NOISE_MAX_NUM, DCR_NOISE_MAX_DEN, &x), DCR_OK);
		assert_int_equal(dcr_noise_laplace(&rng, DCR_NOISE_MAX_NUM, DCR_NOISE_MAX_DEN, &x),
		                 DCR_OK);
		assert_int_equal(dcr_noise_laplace(&rng, 1, DCR_NOISE_MAX_DEN, &x), DCR_OK);
	}
	assert_int_equal(dcr_noise_scale(1, 0, &num, &den), DCR_ERR_INVALID);
	assert_int_equal(dcr_noise_scale(-1, 1, &num, &den), DCR_ERR_INVALID);
	assert_int_equal(dcr_noise_scale(NAN, 1, &num, &den), DCR_ERR_INVALID);
	assert_int_equal(dcr_noise_scale(1, INFINITY, &num, &den), DCR_ERR_INVALID);
	assert_int_equal(dcr_noise_scale(1e13, 1, &num, &den), DCR_ERR_TOO_BIG);
	assert_int_equal(dcr_noise_scale(1e300, 1e-300, &num, &den), DCR_ERR_TOO_BIG);
	assert_int_equal(dcr_noise_gauss_sigma2(1e300, 1, 1e-6, &num, &den), DCR_ERR_TOO_BIG);
	assert_int_equal(dcr_noise_gauss_sigma2(1, 1, 0, &num, &den), DCR_ERR_INVALID);
	assert_int_equal(dcr_noise_gauss_sigma2(1, 1, 1, &num, &den), DCR_ERR_INVALID);
	assert_int_equal(dcr_noise_threshold(1, 1, 0.5, &x), DCR_ERR_INVALID);
	assert_int_equal(dcr_noise_threshold(1, 1, 0, &x), DCR_ERR_INVALID);
	assert_int_equal(dcr_noise_laplace_ci(1, 1, 1, &x), DCR_ERR_INVALID);
	assert_int_equal(dcr_noise_gauss_ci(0, 1, 0.95, &x), DCR_ERR_INVALID);
}

/* ---- parameters ------------------------------------------------------------- */

/* a/b <= num/den exactly, by integer arithmetic independent of the code's. */
static int cmp_exact(uint64_t num, uint64_t den, double a, double b)
{
	/* compare num * b with den * a: each double as m 2^e */
	int ea, eb;
	double fa = frexp(a, &ea), fb = frexp(b, &eb);
	u128 ma = (u128)(uint64_t)ldexp(fa, 53), mb = (u128)(uint64_t)ldexp(fb, 53);
	u128 l = (u128)num * mb, r = (u128)den * ma; /* l 2^eb vs r 2^ea */
	int s = eb - ea;

	while (s > 0 && l < ((u128)1 << 126)) {
		l <<= 1;
		s--;
	}
	while (s < 0 && r < ((u128)1 << 126)) {
		r <<= 1;
		s++;
	}
	if (s > 0)
		return 1; /* l 2^s with l >= 2^126 beats r < 2^117 */
	if (s < 0)
		return -1;
	return l > r ? 1 : l < r ? -1 : 0;
}

static void test_scale(void **state)
{
	const double cases[][2] = {
		{1, 1},     {1, 3},       {1, 0.1},   {3, 0.7},     {1, 1e-7},  {1e9, 0.3},
		{0.001, 7}, {2.5, 0.013}, {1e-6, 50}, {123456.789, 0.33}, {1, 1.0 / 3},
	};
	uint64_t num, den;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		double a = cases[i][0], b = cases[i][1], x = a / b;

		assert_int_equal(dcr_noise_scale(a, b, &num, &den), DCR_OK);
		/* at least the real ratio, and the smallest such numerator */
		assert_true(cmp_exact(num, den, a, b) >= 0);
		assert_true(cmp_exact(num - 1, den, a, b) < 0);
		assert_true((den & (den - 1)) == 0 && den <= DCR_NOISE_MAX_DEN);
		/* within 2^-20 relative, or 2^-32 absolute for scales below 2^-12 */
		if (x >= ldexp(1, -12))
			assert_true(((double)num / (double)den - x) / x < 1e-6);
		else
			assert_true((double)num / (double)den - x <= ldexp(1, -32));
	}
	/* known answer: 1/3 = 1398101.33.../2^22 is rounded up to 1398102/2^22 */
	assert_int_equal(dcr_noise_scale(1, 3, &num, &den), DCR_OK);
	assert_int_equal(num, 1398102);
	assert_int_equal(den, UINT64_C(1) << 22);
	/* a ratio that is exact stays exact: 50 = 1638400/2^15 (num >= 2^20) */
	assert_int_equal(dcr_noise_scale(100, 2, &num, &den), DCR_OK);
	assert_int_equal(num, 1638400);
	assert_int_equal(den, 1 << 15);
	/* past 2^20 no fraction is needed: the ceiling of the integer */
	assert_int_equal(dcr_noise_scale(3e6, 0.7, &num, &den), DCR_OK);
	assert_int_equal(num, 4285715);
	assert_int_equal(den, 1);
}

/* ln delta of CKS20's conversion at order a, in long double. */
static long double cdp_ld(long double rho, long double eps, long double a)
{
	return (a - 1) * (a * rho - eps) + a * log1pl(-1 / a) - logl(a - 1);
}

/* The smallest delta that rho-zCDP gives for eps by CKS20's conversion, in
 * long double: a scan of the order a, then a ternary search around the best
 * point (independent of the code's bisection on the derivative). */
static long double cdp_delta_scan(long double rho, long double eps)
{
	long double best_a = 1.001L, best = cdp_ld(rho, eps, best_a), lo, hi;

	for (long double a = 1.001L; a < 1e7L; a *= 1.001L) {
		long double ld = cdp_ld(rho, eps, a);

		if (ld < best) {
			best = ld;
			best_a = a;
		}
	}
	lo = best_a / 1.001L;
	hi = best_a * 1.001L;
	for (int i = 0; i < 200; i++) {
		long double m1 = lo + (hi - lo) / 3, m2 = hi - (hi - lo) / 3;

		if (cdp_ld(rho, eps, m1) < cdp_ld(rho, eps, m2))
			hi = m2;
		else
			lo = m1;
	}
	best = fminl(best, cdp_ld(rho, eps, lo));
	return expl(best);
}

static void test_gauss_sigma2(void **state)
{
	const double cases[][3] = {{1, 1, 1e-6}, {1, 0.1, 1e-9}, {1000, 0.5, 1e-5}, {3, 8, 0.01}};
	uint64_t num, den;
	double rho;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		double d = cases[i][0], eps = cases[i][1], delta = cases[i][2], l = -log(delta);
		double s2, standard = pow(sqrt(l + eps) - sqrt(l), 2);
		long double got;

		assert_int_equal(dcr_noise_gauss_rho(eps, delta, &rho), DCR_OK);
		/* the guarantee: some order gives delta or less */
		got = cdp_delta_scan(rho, eps);
		assert_true(got <= delta);
		/* and no room is wasted: 1 % more rho breaks it */
		assert_true(cdp_delta_scan(rho * 1.01, eps) > delta);
		/* never below the Bun-Steinke value */
		assert_true(rho >= standard * (1 - 1e-9));
		assert_int_equal(dcr_noise_gauss_sigma2(d, eps, delta, &num, &den), DCR_OK);
		s2 = (double)num / (double)den;
		/* sigma^2 >= d^2 / (2 rho), and no more than 1e-6 above */
		assert_true(cmp_exact(num, den, d * d, 2 * rho) >= 0);
		assert_true((s2 - d * d / (2 * rho)) / s2 < 1e-6);
		print_message("gauss: sens %g eps %g delta %g: rho %.6g (Bun-Steinke %.6g, delta "
		              "reached %.4Lg) sigma %.4f\n",
		              d, eps, delta, rho, standard, got, sqrt(s2));
	}
	/* known answer: eps 1, delta 1e-6: rho 0.0243560 (Bun-Steinke alone:
	 * (sqrt(L + 1) - sqrt(L))^2 = 0.0174689), sigma 4.531 for sensitivity 1 */
	assert_int_equal(dcr_noise_gauss_rho(1, 1e-6, &rho), DCR_OK);
	assert_true(fabs(rho - 0.024356) < 2e-6);
	assert_int_equal(dcr_noise_gauss_sigma2(1, 1, 1e-6, &num, &den), DCR_OK);
	assert_true(fabs(sqrt((double)num / (double)den) - 4.531) < 1e-3);
}

static void test_threshold_known(void **state)
{
	int64_t tau;

	(void)state;
	/* t = 1: P[X >= k] = e^-k / (1 + e^-1) <= 1e-3 first at k = 7 */
	assert_int_equal(dcr_noise_threshold(1, 1, 1e-3, &tau), DCR_OK);
	assert_int_equal(tau, 8);
	/* t = 50, delta_group = 1e-9: k = ceil(50 (ln 1e9 - ln(1 + e^-0.02))) =
	 * ceil(1002.0034) = 1003 */
	assert_int_equal(dcr_noise_threshold(50, 1, 1e-9, &tau), DCR_OK);
	assert_int_equal(tau, 1004);
	/* a large scale stays in range */
	assert_int_equal(dcr_noise_threshold(UINT64_C(1) << 40, 1, 1e-12, &tau), DCR_OK);
	assert_true(tau > 0);
}

static void test_ci_large(void **state)
{
	int64_t w;

	(void)state;
	/* large sigma: the midpoint rule gives 1.959964 sigma - 1/2 */
	assert_int_equal(dcr_noise_gauss_ci(UINT64_C(1) << 60, 1, 0.95, &w), DCR_OK);
	assert_true(llabs(w - (int64_t)ceil(1.959963984540054 * ldexp(1, 30) - 0.5)) <= 1);
	/* the term-by-term and midpoint computations meet at sigma = 10^4 */
	{
		int64_t a, b;

		assert_int_equal(dcr_noise_gauss_ci(100000000, 1, 0.95, &a), DCR_OK);
		assert_int_equal(dcr_noise_gauss_ci(100000001, 1, 0.95, &b), DCR_OK);
		assert_true(llabs(a - b) <= 1);
	}
	/* Laplace: P(|X| > w) = 2 p^(w+1) / (1 + p) with p = e^-1/t */
	assert_int_equal(dcr_noise_laplace_ci(UINT64_C(1) << 40, 1, 0.95, &w), DCR_OK);
	assert_true(llabs(w - (int64_t)(ldexp(1, 40) * log(2 / 0.05 / 2))) < 3);
	/* tiny scale: noise is 0 with probability > 95 % */
	assert_int_equal(dcr_noise_laplace_ci(1, 1000, 0.95, &w), DCR_OK);
	assert_int_equal(w, 0);
}

static void test_snap(void **state)
{
	int64_t s;

	(void)state;
	assert_int_equal(dcr_noise_snap(0.3, -4, &s), DCR_OK); /* 4.8 */
	assert_int_equal(s, 5);
	assert_int_equal(dcr_noise_snap(-2.5, 0, &s), DCR_OK); /* ties away from zero */
	assert_int_equal(s, -3);
	assert_int_equal(dcr_noise_snap(3.0, 1, &s), DCR_OK); /* 1.5 */
	assert_int_equal(s, 2);
	/* exact: the double 0.1 is 3602879701896397 / 2^55 */
	assert_int_equal(dcr_noise_snap(0.1, -60, &s), DCR_OK);
	assert_int_equal(s, INT64_C(115292150460684704));
	assert_int_equal(dcr_noise_snap(1e300, 0, &s), DCR_ERR_TOO_BIG);
	assert_int_equal(dcr_noise_snap(NAN, 0, &s), DCR_ERR_INVALID);
	assert_int_equal(dcr_noise_snap(1, 61, &s), DCR_ERR_INVALID);
}

static void test_rng(void **state)
{
	struct dcr_rng_seeded a, b;
	struct dcr_rng ra, rb;
	uint8_t x[100], y[100], in[40] = {0}, block[32];
	int64_t v;

	(void)state;
	dcr_rng_seeded_init(&a, 42, &ra);
	dcr_rng_seeded_init(&b, 42, &rb);
	ra.fill(ra.ctx, x, 1);
	ra.fill(ra.ctx, x + 1, 99);
	rb.fill(rb.ctx, y, 100);
	assert_memory_equal(x, y, 100); /* same stream however it is cut */
	/* block 0 = SHA-256(seed LE 8 || 24 zero bytes || counter LE 8) */
	in[0] = 42;
	dcr_sha256(in, sizeof(in), block);
	assert_memory_equal(x, block, 32);
	dcr_rng_seeded_init(&b, 43, &rb);
	rb.fill(rb.ctx, y, 100);
	assert_memory_not_equal(x, y, 100);
	/* the OS generator works with every sampler */
	assert_int_equal(dcr_crypto_init(), DCR_OK);
	assert_int_equal(dcr_noise_laplace(&dcr_rng_os, 37, 10, &v), DCR_OK);
	assert_int_equal(dcr_noise_gauss(&dcr_rng_os, 1000, 1, &v), DCR_OK);
	{
		/* the pooled OS generator: fresh bytes, erased once served and on wipe */
		struct dcr_rng_pool pool;
		struct dcr_rng rp;
		uint8_t zero[DCR_RNG_POOL_SIZE] = {0};
		size_t nonzero = 0;

		dcr_rng_pool_init(&pool, &rp);
		rp.fill(rp.ctx, x, 100);
		rp.fill(rp.ctx, y, 100);
		assert_memory_not_equal(x, y, 100);
		assert_memory_equal(pool.buf, zero, 200);
		for (size_t i = 200; i < DCR_RNG_POOL_SIZE; i++)
			nonzero += pool.buf[i] != 0;
		assert_true(nonzero > 0);
		for (int k = 0; k < 1000; k++) /* crosses refills */
			assert_int_equal(dcr_noise_gauss(&rp, 1000, 1, &v), DCR_OK);
		dcr_rng_pool_wipe(&pool);
		assert_memory_equal(pool.buf, zero, DCR_RNG_POOL_SIZE);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rng),
		cmocka_unit_test(test_uniform_bernoulli),
		cmocka_unit_test(test_bernoulli_exp),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_scale),
		cmocka_unit_test(test_gauss_sigma2),
		cmocka_unit_test(test_threshold_known),
		cmocka_unit_test(test_ci_large),
		cmocka_unit_test(test_snap),
		cmocka_unit_test(test_laplace_fit),
		cmocka_unit_test(test_gauss_fit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
