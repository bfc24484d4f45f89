/* SPDX-License-Identifier: Apache-2.0 */
/* Exact samplers for discrete Laplace and discrete Gaussian noise (Canonne,
 * Kamath, Steinke 2020, Algorithms 1-3) over integer arithmetic only, their
 * rational parameters rounded toward more noise, and the floating-point
 * helpers that describe noise already drawn. docs/PRIVACY.md, "Noise". */
#include <math.h>
#include <string.h>

#include "dcr/crypto.h"
#include "dcr/noise.h"

__extension__ typedef unsigned __int128 u128;

/* ---- randomness ------------------------------------------------------- */

static void os_fill(void *ctx, void *buf, size_t size)
{
	(void)ctx;
	dcr_random(buf, size);
}

const struct dcr_rng dcr_rng_os = {os_fill, NULL};

static void pool_fill(void *ctx, void *buf, size_t size)
{
	struct dcr_rng_pool *p = ctx;
	uint8_t *out = buf;

	while (size > 0) {
		size_t n;

		if (p->used == sizeof(p->buf)) {
			dcr_random(p->buf, sizeof(p->buf));
			p->used = 0;
		}
		n = sizeof(p->buf) - p->used;
		if (n > size)
			n = size;
		memcpy(out, p->buf + p->used, n);
		/* a byte served is erased, so the pool never holds past noise */
		dcr_wipe(p->buf + p->used, n);
		p->used += n;
		out += n;
		size -= n;
	}
}

void dcr_rng_pool_init(struct dcr_rng_pool *pool, struct dcr_rng *out)
{
	dcr_wipe(pool->buf, sizeof(pool->buf));
	pool->used = sizeof(pool->buf);
	out->fill = pool_fill;
	out->ctx = pool;
}

void dcr_rng_pool_wipe(struct dcr_rng_pool *pool)
{
	dcr_wipe(pool->buf, sizeof(pool->buf));
	pool->used = sizeof(pool->buf);
}

static void seeded_fill(void *ctx, void *buf, size_t size)
{
	struct dcr_rng_seeded *s = ctx;
	uint8_t *out = buf;

	while (size > 0) {
		size_t n;

		if (s->used == sizeof(s->block)) {
			uint8_t in[40];

			memcpy(in, s->key, 32);
			for (int i = 0; i < 8; i++)
				in[32 + i] = (uint8_t)(s->counter >> (8 * i));
			dcr_sha256(in, sizeof(in), s->block);
			s->counter++;
			s->used = 0;
		}
		n = sizeof(s->block) - s->used;
		if (n > size)
			n = size;
		memcpy(out, s->block + s->used, n);
		s->used += n;
		out += n;
		size -= n;
	}
}

void dcr_rng_seeded_init(struct dcr_rng_seeded *state, uint64_t seed, struct dcr_rng *out)
{
	memset(state, 0, sizeof(*state));
	for (int i = 0; i < 8; i++)
		state->key[i] = (uint8_t)(seed >> (8 * i));
	state->used = sizeof(state->block);
	out->fill = seeded_fill;
	out->ctx = state;
}

/* ---- integer samplers (no floating point below this line until the
 * parameter section) ---------------------------------------------------- */

static int bitlen128(u128 x)
{
	uint64_t hi = (uint64_t)(x >> 64), lo = (uint64_t)x;

	if (hi)
		return 128 - __builtin_clzll(hi);
	return lo ? 64 - __builtin_clzll(lo) : 0;
}

/* Uniform in [0, n), n >= 1: draw just enough bytes for n - 1, mask to its
 * bit length, reject values >= n (each try succeeds with probability > 1/2). */
static u128 uniform128(const struct dcr_rng *rng, u128 n)
{
	int bits = bitlen128(n - 1);
	size_t bytes = (size_t)(bits + 7) / 8;
	u128 mask = bits == 128 ? ~(u128)0 : (((u128)1 << bits) - 1);

	if (n <= 1)
		return 0;
	for (;;) {
		uint8_t b[16];
		u128 v = 0;

		rng->fill(rng->ctx, b, bytes);
		for (size_t i = 0; i < bytes; i++)
			v |= (u128)b[i] << (8 * i);
		v &= mask;
		if (v < n)
			return v;
	}
}

/* Bernoulli(num/den), num <= den, den >= 1. */
static bool bern128(const struct dcr_rng *rng, u128 num, u128 den)
{
	return uniform128(rng, den) < num;
}

/* Bernoulli(exp(-num/den)) for num <= den (CKS20 Algorithm 1, gamma in
 * [0, 1]): the parity of the first K with A_K = 0, A_K ~ Bernoulli(gamma/K);
 * Bernoulli(gamma/K) is drawn as Bernoulli(num/den) AND Bernoulli(1/K) so
 * that no product can overflow. Expected iterations <= e. */
static bool bern_exp_unit(const struct dcr_rng *rng, u128 num, u128 den)
{
	uint64_t k = 1;

	for (;;) {
		bool a = bern128(rng, num, den) && (k == 1 || bern128(rng, 1, k));

		if (!a)
			break;
		k++;
	}
	return k % 2 == 1;
}

/* Bernoulli(exp(-num/den)) for any num (Algorithm 1, gamma > 1): one
 * Bernoulli(exp(-1)) per whole unit of gamma, stopping at the first 0 (so
 * the expected number of them is below 1/(1 - 1/e) whatever gamma), then
 * the fractional part. */
static bool bern_exp128(const struct dcr_rng *rng, u128 num, u128 den)
{
	while (num >= den) {
		if (!bern_exp_unit(rng, 1, 1))
			return false;
		num -= den;
	}
	return bern_exp_unit(rng, num, den);
}

/* Discrete Laplace of scale num/den (CKS20 Algorithm 2): U uniform in
 * [0, num) kept with probability exp(-U/num), V ~ Geometric(1 - 1/e), X = U
 * + num V is then geometric with P(X) ~ exp(-X/num), Y = floor(X/den) has
 * P(Y) ~ exp(-Y den/num); a random sign, rejecting -0 so 0 is not counted
 * twice. Each try succeeds with probability >= (1 - 1/e)/2. */
static enum dcr_err laplace(const struct dcr_rng *rng, uint64_t num, uint64_t den, int64_t *out)
{
	for (;;) {
		u128 u = uniform128(rng, num), x, y;
		uint64_t v = 0;
		bool negative;

		if (!bern_exp_unit(rng, u, num))
			continue;
		while (bern_exp_unit(rng, 1, 1))
			v++;
		x = u + (u128)num * v; /* < 2^62 * 2^64 + 2^62 */
		y = x / den;
		negative = bern128(rng, 1, 2);
		if (negative && y == 0)
			continue;
		if (y > INT64_MAX)
			return DCR_ERR_INTERNAL;
		*out = negative ? -(int64_t)y : (int64_t)y;
		return DCR_OK;
	}
}

/* floor(sqrt(x)) exactly. */
static uint64_t isqrt64(uint64_t x)
{
	uint64_t r = (uint64_t)sqrtl((long double)x);

	while ((u128)r * r > x)
		r--;
	while ((u128)(r + 1) * (r + 1) <= x)
		r++;
	return r;
}

/* Largest |noise| the Gaussian's acceptance test computes with. */
#define GAUSS_MAX_U (UINT64_C(1) << 40)
#define GAUSS_SMALL_MAX_Y (UINT64_C(1) << 24)

/* Discrete Gaussian, sigma^2 = num/den (CKS20 Algorithm 3): Y ~ discrete
 * Laplace of scale t, accepted with probability exp(-(|Y| - sigma^2/t)^2 /
 * (2 sigma^2)); this gives P(Y) ~ exp(-Y^2/(2 sigma^2)) for any t > 0.
 * sigma >= 1: t = sigma^2/q with q = floor(sigma), a rational in [sigma,
 * 2 sigma), so that |Y| - sigma^2/t = |Y| - q is an integer and the exponent
 * (|Y| - q)^2 den / (2 num) fits 128 bits. sigma < 1: t = 1 and the
 * exponent is (|Y| den - num)^2 / (2 num den). Either way each try is
 * accepted with probability above 1/4 (docs/PRIVACY.md). */
static enum dcr_err gauss(const struct dcr_rng *rng, uint64_t num, uint64_t den, int64_t *out)
{
	uint64_t q = isqrt64(num / den); /* floor(sigma) = floor(sqrt(floor(sigma^2))) */

	for (;;) {
		enum dcr_err err;
		int64_t y;
		uint64_t ay;
		u128 gnum, gden;

		if (q >= 1) {
			uint64_t u;

			/* scale num/(den q): den q <= 2^32 * 2^31 */
			if ((err = laplace(rng, num, den * q, &y)))
				return err;
			ay = y < 0 ? (uint64_t)0 - (uint64_t)y : (uint64_t)y;
			u = ay > q ? ay - q : q - ay;
			if (u > GAUSS_MAX_U)
				return DCR_ERR_INTERNAL; /* |Y| > 2^40 - 2^31 with t < 2^32 */
			gnum = (u128)u * u * den;  /* <= 2^80 * 2^32 */
			gden = (u128)num * 2;
		} else {
			u128 a, b;

			if ((err = laplace(rng, 1, 1, &y)))
				return err;
			ay = y < 0 ? (uint64_t)0 - (uint64_t)y : (uint64_t)y;
			if (ay > GAUSS_SMALL_MAX_Y)
				return DCR_ERR_INTERNAL; /* probability e^-(2^24) */
			a = (u128)ay * den; /* <= 2^56 */
			b = num;
			a = a > b ? a - b : b - a;
			gnum = a * a;
			gden = (u128)num * den * 2; /* num < den <= 2^32 */
		}
		if (bern_exp128(rng, gnum, gden)) {
			*out = y;
			return DCR_OK;
		}
	}
}

enum dcr_err dcr_noise_uniform(const struct dcr_rng *rng, uint64_t n, uint64_t *out)
{
	*out = 0;
	if (n == 0)
		return DCR_ERR_INVALID;
	*out = (uint64_t)uniform128(rng, n);
	return DCR_OK;
}

enum dcr_err dcr_noise_bernoulli(const struct dcr_rng *rng, uint64_t num, uint64_t den,
                                 bool *out)
{
	*out = false;
	if (den == 0 || num > den)
		return DCR_ERR_INVALID;
	*out = bern128(rng, num, den);
	return DCR_OK;
}

enum dcr_err dcr_noise_bernoulli_exp(const struct dcr_rng *rng, uint64_t num, uint64_t den,
                                     bool *out)
{
	*out = false;
	if (den == 0)
		return DCR_ERR_INVALID;
	*out = bern_exp128(rng, num, den);
	return DCR_OK;
}

static enum dcr_err check_ratio(uint64_t num, uint64_t den)
{
	if (num == 0 || den == 0)
		return DCR_ERR_INVALID;
	if (num > DCR_NOISE_MAX_NUM || den > DCR_NOISE_MAX_DEN)
		return DCR_ERR_TOO_BIG;
	return DCR_OK;
}

/* A Laplace scale the sampler takes: a scale past 2^40 would give noise
 * (and half-widths, thresholds) past the int64 range too often. */
static enum dcr_err check_laplace(uint64_t num, uint64_t den)
{
	enum dcr_err err;

	if ((err = check_ratio(num, den)))
		return err;
	if ((u128)num > (u128)DCR_NOISE_MAX_SCALE * den)
		return DCR_ERR_TOO_BIG;
	return DCR_OK;
}

enum dcr_err dcr_noise_laplace(const struct dcr_rng *rng, uint64_t num, uint64_t den,
                               int64_t *out)
{
	enum dcr_err err;

	*out = 0;
	if ((err = check_laplace(num, den)))
		return err;
	return laplace(rng, num, den, out);
}

enum dcr_err dcr_noise_gauss(const struct dcr_rng *rng, uint64_t num, uint64_t den,
                             int64_t *out)
{
	enum dcr_err err;

	*out = 0;
	if ((err = check_ratio(num, den)))
		return err;
	return gauss(rng, num, den, out);
}

/* ---- parameters ------------------------------------------------------- */

/* x = m 2^e with m an integer below 2^53, for finite x >= 0. */
static void decompose(double x, uint64_t *m, int *e)
{
	int ex;
	double f = frexp(x, &ex);

	*m = (uint64_t)ldexp(f, 53);
	*e = ex - 53;
}

/* Whether l 2^s >= r, exactly (l < 2^127, r < 2^64). */
static bool ge_shifted(u128 l, int s, u128 r)
{
	if (l == 0)
		return r == 0;
	if (s >= 0) {
		if (bitlen128(l) + s > 65)
			return true; /* l 2^s >= 2^64 > r */
		return (l << s) >= r;
	}
	s = -s;
	if (bitlen128(r) + s > 128)
		return false; /* r 2^s >= 2^127 > l */
	return l >= (r << s);
}

/* Whether num / 2^j >= a / b exactly: num mb 2^(eb - j - ea) >= ma. */
static bool ratio_covers(uint64_t num, int j, double a, double b)
{
	uint64_t ma, mb;
	int ea, eb;

	decompose(a, &ma, &ea);
	decompose(b, &mb, &eb);
	return ge_shifted((u128)num * mb, eb - j - ea, ma);
}

/* The smallest num/2^j >= a/b (a, b > 0 finite), j as in dcr_noise_scale;
 * DCR_ERR_TOO_BIG when num would pass max_num. */
static enum dcr_err ratio_up(double a, double b, uint64_t max_num, uint64_t *num, uint64_t *den)
{
	double x = a / b, c;
	int j = 0;
	uint64_t n;

	*num = 0;
	*den = 1;
	while (j < 32 && ldexp(x, j) < 1048576.0)
		j++;
	c = ceil(ldexp(x, j));
	if (!(c <= (double)max_num))
		return DCR_ERR_TOO_BIG;
	n = c < 1 ? 1 : (uint64_t)c;
	/* the division above rounded; settle the exact smallest numerator */
	while (!ratio_covers(n, j, a, b)) {
		if (n >= max_num)
			return DCR_ERR_TOO_BIG;
		n++;
	}
	while (n > 1 && ratio_covers(n - 1, j, a, b))
		n--;
	*num = n;
	*den = UINT64_C(1) << j;
	return DCR_OK;
}

static bool positive(double x)
{
	return isfinite(x) && x > 0;
}

enum dcr_err dcr_noise_scale(double sensitivity, double epsilon, uint64_t *num, uint64_t *den)
{
	enum dcr_err err;

	*num = 0;
	*den = 1;
	if (!positive(sensitivity) || !positive(epsilon))
		return DCR_ERR_INVALID;
	if ((err = ratio_up(sensitivity, epsilon, DCR_NOISE_MAX_NUM, num, den)))
		return err;
	if ((u128)*num > (u128)DCR_NOISE_MAX_SCALE * *den) {
		*num = 0;
		*den = 1;
		return DCR_ERR_TOO_BIG;
	}
	return DCR_OK;
}

/* Relative margin covering the rounding of the few double operations in
 * the Gaussian's parameters (each within 2^-53 relative). */
#define MARGIN 1e-12

/* ln delta of CKS20's conversion of rho-zCDP to (eps, delta)-DP at Renyi
 * order a > 1: delta = exp((a - 1)(a rho - eps)) / (a - 1) * (1 - 1/a)^a. */
static double cdp_log_delta_at(double rho, double eps, double a)
{
	return (a - 1) * (a * rho - eps) + a * log1p(-1 / a) - log(a - 1);
}

/* The same at (about) its best order: every order gives a valid bound, so
 * the search for it needs no care; the order minimising it is where the
 * derivative (2a - 1) rho - eps + ln(1 - 1/a) crosses 0, below
 * (eps + 1)/(2 rho) + 2. */
static double cdp_log_delta(double rho, double eps)
{
	double lo = 1.01, hi = (eps + 1) / (2 * rho) + 2, v;

	if (!isfinite(hi))
		return 0; /* no claim: delta = 1 */
	for (int i = 0; i < 200; i++) {
		double mid = lo + (hi - lo) / 2;

		if (mid == lo || mid == hi)
			break;
		if ((2 * mid - 1) * rho - eps + log1p(-1 / mid) < 0)
			lo = mid;
		else
			hi = mid;
	}
	v = cdp_log_delta_at(rho, eps, hi);
	return isfinite(v) ? v : 0;
}

enum dcr_err dcr_noise_gauss_rho(double epsilon, double delta, double *rho)
{
	double l, s, standard, lo, hi, target;

	*rho = 0;
	if (!positive(epsilon) || !(delta > 0 && delta < 1))
		return DCR_ERR_INVALID;
	/* Bun-Steinke: (sqrt(L + eps) - sqrt(L))^2, as eps^2 / (sqrt(L + eps) +
	 * sqrt(L))^2 to avoid the cancellation */
	l = -log(delta);
	s = sqrt(l + epsilon) + sqrt(l);
	standard = epsilon / s * (epsilon / s);
	/* CKS20's conversion allows more: the largest rho whose bound is at
	 * most delta (less 10^-9 of it, far above the rounding of the few
	 * double operations), by bisection */
	target = log(delta) + log1p(-1e-9);
	lo = standard;
	hi = epsilon + 1;
	if (cdp_log_delta(lo, epsilon) <= target) {
		for (int i = 0; i < 200; i++) {
			double mid = lo + (hi - lo) / 2;

			if (mid == lo || mid == hi)
				break;
			if (cdp_log_delta(mid, epsilon) <= target)
				lo = mid;
			else
				hi = mid;
		}
	}
	*rho = fmax(standard, lo) * (1 - MARGIN);
	return positive(*rho) ? DCR_OK : DCR_ERR_INVALID;
}

enum dcr_err dcr_noise_gauss_sigma2_rho(double sensitivity, double rho, uint64_t *num,
                                        uint64_t *den)
{
	double a;

	*num = 0;
	*den = 1;
	if (!positive(sensitivity) || !positive(rho))
		return DCR_ERR_INVALID;
	a = sensitivity * sensitivity * (1 + MARGIN);
	if (!positive(a) || !positive(2 * rho))
		return DCR_ERR_TOO_BIG;
	return ratio_up(a, 2 * rho, DCR_NOISE_MAX_NUM, num, den);
}

enum dcr_err dcr_noise_gauss_sigma2(double sensitivity, double epsilon, double delta,
                                    uint64_t *num, uint64_t *den)
{
	double rho;
	enum dcr_err err;

	*num = 0;
	*den = 1;
	if ((err = dcr_noise_gauss_rho(epsilon, delta, &rho)))
		return err;
	return dcr_noise_gauss_sigma2_rho(sensitivity, rho, num, den);
}

/* ---- describing noise ------------------------------------------------- */

/* ln P(X >= k) for discrete Laplace, k >= 1: k ln p - ln(1 + p), ln p = -den/num. */
static double laplace_log_tail(uint64_t num, uint64_t den, double k)
{
	double lnp = -(double)den / (double)num;

	return k * lnp - log1p(exp(lnp));
}

enum dcr_err dcr_noise_laplace_ci(uint64_t num, uint64_t den, double level, int64_t *half_width)
{
	double target, t;
	int64_t w;
	enum dcr_err err;

	*half_width = 0;
	if ((err = check_laplace(num, den)))
		return err;
	if (!(level > 0 && level < 1))
		return DCR_ERR_INVALID;
	/* P(|X| > w) = 2 P(X >= w + 1) <= 1 - level */
	target = log((1 - level) / 2);
	t = (double)num / (double)den;
	w = (int64_t)ceil(t * (-target - log1p(exp(-1 / t)))) - 1;
	if (w < 0)
		w = 0;
	while (w > 0 && laplace_log_tail(num, den, (double)w) <= target)
		w--;
	while (laplace_log_tail(num, den, (double)w + 1) > target)
		w++;
	*half_width = w;
	return DCR_OK;
}

enum dcr_err dcr_noise_gauss_ci(uint64_t num, uint64_t den, double level, int64_t *half_width)
{
	double s2, sigma;
	enum dcr_err err;

	*half_width = 0;
	if ((err = check_ratio(num, den)))
		return err;
	if (!(level > 0 && level < 1))
		return DCR_ERR_INVALID;
	s2 = (double)num / (double)den;
	sigma = sqrt(s2);
	if (sigma <= 1e4) {
		/* the pmf term by term: Z over |x| <= 12 sigma + 10 (the rest is
		 * below e^-72 of it), then the central mass up to w */
		int64_t m = (int64_t)(12 * sigma) + 10, w;
		double z = 1, mass = 1;

		for (int64_t x = 1; x <= m; x++)
			z += 2 * exp(-(double)x * (double)x / (2 * s2));
		for (w = 0; mass / z < level && w < m; ) {
			w++;
			mass += 2 * exp(-(double)w * (double)w / (2 * s2));
		}
		*half_width = w;
		return DCR_OK;
	}
	{
		/* midpoint rule: sum over |x| <= w of the pmf = erf((w + 1/2) /
		 * (sigma sqrt 2)) up to terms of order exp(-2 pi^2 sigma^2) and
		 * sigma^-2; search the smallest w */
		int64_t lo = 0, hi = (int64_t)(10 * sigma) + 1;

		while (lo < hi) {
			int64_t mid = lo + (hi - lo) / 2;

			if (erf(((double)mid + 0.5) / (sigma * sqrt(2.0))) >= level)
				hi = mid;
			else
				lo = mid + 1;
		}
		*half_width = lo;
		return DCR_OK;
	}
}

enum dcr_err dcr_noise_threshold(uint64_t num, uint64_t den, double delta_group, int64_t *tau)
{
	double target, t;
	int64_t k;
	enum dcr_err err;

	*tau = 0;
	if ((err = check_laplace(num, den)))
		return err;
	if (!(delta_group > 0 && delta_group < 0.5))
		return DCR_ERR_INVALID;
	/* P[1 + X >= tau] = P[X >= k], k = tau - 1 >= 1 (P[X >= 0] >= 1/2);
	 * the small margin keeps floating-point rounding on the safe side */
	target = log(delta_group) - 1e-9;
	t = (double)num / (double)den;
	k = (int64_t)ceil(t * (-target - log1p(exp(-1 / t))));
	if (k < 1)
		k = 1;
	while (k > 1 && laplace_log_tail(num, den, (double)(k - 1)) <= target)
		k--;
	while (laplace_log_tail(num, den, (double)k) > target)
		k++;
	*tau = k + 1;
	return DCR_OK;
}

enum dcr_err dcr_noise_snap(double x, int grid_exp, int64_t *steps)
{
	double v;

	*steps = 0;
	if (!isfinite(x) || grid_exp < -60 || grid_exp > 60)
		return DCR_ERR_INVALID;
	v = round(ldexp(x, -grid_exp)); /* exact: a power-of-two scaling, then round */
	if (fabs(v) > 4611686018427387904.0) /* 2^62 */
		return DCR_ERR_TOO_BIG;
	*steps = (int64_t)v;
	return DCR_OK;
}
