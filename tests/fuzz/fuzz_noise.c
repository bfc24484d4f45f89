/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer harness: the noise samplers and parameter helpers on parameters
 * taken from the input. Each call must return, within its domain, exactly
 * the error its documented limits give (DCR_OK inside them, INVALID or
 * TOO_BIG outside), and its output must lie where it should. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dcr/noise.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct in {
	const uint8_t *p;
	size_t left;
};

static uint64_t u64(struct in *in)
{
	uint64_t v = 0;

	for (int i = 0; i < 8 && in->left; i++, in->left--)
		v |= (uint64_t)*in->p++ << (8 * i);
	return v;
}

/* A parameter from the input: a small value, a value near a limit, or any. */
static uint64_t param(struct in *in)
{
	uint64_t v = u64(in);

	switch (v & 3) {
	case 0:
		return (v >> 2) & 0xfff;
	case 1:
		return ((uint64_t)1 << ((v >> 2) % 64)) + (uint64_t)((int64_t)(v >> 8) % 3 - 1);
	default:
		return v >> 2 | (v & 2 ? (uint64_t)1 << 63 : 0);
	}
}

static double real(struct in *in)
{
	uint64_t v = u64(in);
	double d;

	memcpy(&d, &v, sizeof(d));
	return d;
}

/* What check_ratio in noise.c answers. */
static enum dcr_err ratio_err(uint64_t num, uint64_t den)
{
	if (num == 0 || den == 0)
		return DCR_ERR_INVALID;
	if (num > DCR_NOISE_MAX_NUM || den > DCR_NOISE_MAX_DEN)
		return DCR_ERR_TOO_BIG;
	return DCR_OK;
}

/* What check_laplace answers. */
static enum dcr_err laplace_err(uint64_t num, uint64_t den)
{
	enum dcr_err err = ratio_err(num, den);

	if (!err && (unsigned __int128)num > (unsigned __int128)DCR_NOISE_MAX_SCALE * den)
		err = DCR_ERR_TOO_BIG;
	return err;
}

static void expect(enum dcr_err got, enum dcr_err want)
{
	if (got != want)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = {data, size};
	struct dcr_rng_seeded state;
	struct dcr_rng rng;
	uint8_t op;
	uint64_t a, b, n, d;
	int64_t x, w;
	bool bit;
	enum dcr_err err;

	if (size < 1)
		return 0;
	op = *in.p++;
	in.left--;
	dcr_rng_seeded_init(&state, u64(&in), &rng);
	a = param(&in);
	b = param(&in);
	switch (op % 10) {
	case 0:
		expect(dcr_noise_uniform(&rng, a, &n), a ? DCR_OK : DCR_ERR_INVALID);
		if (a && n >= a)
			abort();
		break;
	case 1:
		expect(dcr_noise_bernoulli(&rng, a, b, &bit),
		       b && a <= b ? DCR_OK : DCR_ERR_INVALID);
		if (b && a <= b && bit != (a == b) && (a == 0 || a == b))
			abort();
		break;
	case 2:
		expect(dcr_noise_bernoulli_exp(&rng, a, b, &bit), b ? DCR_OK : DCR_ERR_INVALID);
		if (b && a == 0 && !bit)
			abort();
		break;
	case 3:
		err = laplace_err(a, b);
		expect(dcr_noise_laplace(&rng, a, b, &x), err);
		expect(dcr_noise_laplace_ci(a, b, 0.95, &w), err);
		expect(dcr_noise_threshold(a, b, 1e-9, &w), err);
		break;
	case 4:
		expect(dcr_noise_gauss(&rng, a, b, &x), ratio_err(a, b));
		if (!ratio_err(a, b))
			expect(dcr_noise_gauss_ci(a, b, 0.95, &w), DCR_OK);
		break;
	case 5: {
		double s = real(&in), e = real(&in);

		err = dcr_noise_scale(s, e, &n, &d);
		if (!(isfinite(s) && s > 0 && isfinite(e) && e > 0)) {
			expect(err, DCR_ERR_INVALID);
			break;
		}
		if (err == DCR_ERR_TOO_BIG) {
			if (s / e < 1e12) /* 2^40 is 1.0995e12 */
				abort();
			break;
		}
		expect(err, DCR_OK);
		/* a scale it gives is one the sampler takes, and never below s/e */
		if ((double)n / (double)d < s / e * (1 - 1e-15) || (d & (d - 1)))
			abort();
		expect(dcr_noise_laplace(&rng, n, d, &x), DCR_OK);
		break;
	}
	case 6: {
		double s = real(&in), e = real(&in), dl = real(&in);

		err = dcr_noise_gauss_sigma2(s, e, dl, &n, &d);
		if (!err) {
			expect(dcr_noise_gauss(&rng, n, d, &x), DCR_OK);
			expect(dcr_noise_gauss_ci(n, d, 0.95, &w), DCR_OK);
		} else if (err != DCR_ERR_INVALID && err != DCR_ERR_TOO_BIG) {
			abort();
		}
		break;
	}
	case 7: {
		double level = real(&in);

		err = laplace_err(a, b);
		if (!err && !(level > 0 && level < 1))
			err = DCR_ERR_INVALID;
		expect(dcr_noise_laplace_ci(a, b, level, &w), err);
		if (!err && w < 0)
			abort();
		break;
	}
	case 8: {
		double dg = real(&in);

		err = laplace_err(a, b);
		if (!err && !(dg > 0 && dg < 0.5))
			err = DCR_ERR_INVALID;
		expect(dcr_noise_threshold(a, b, dg, &w), err);
		if (!err && w < 2)
			abort();
		break;
	}
	default: {
		double v = real(&in);
		int k = (int)(a % 129) - 64;

		err = dcr_noise_snap(v, k, &x);
		if (!isfinite(v) || k < -60 || k > 60)
			expect(err, DCR_ERR_INVALID);
		else if (!err && fabs(ldexp((double)x, k) - v) > ldexp(1, k - 1))
			abort(); /* not the nearest multiple */
		break;
	}
	}
	return 0;
}
