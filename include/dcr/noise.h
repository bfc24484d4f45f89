/* SPDX-License-Identifier: Apache-2.0 */
/* noise: the mathematical core of differential privacy. Exact integer
 * samplers (no floating point inside: Canonne, Kamath, Steinke 2020, "The
 * Discrete Gaussian for Differential Privacy", Algorithms 1-3) for discrete
 * Laplace and discrete Gaussian noise, the exact rational parameters they
 * take (always rounded toward more noise), and what describes noise already
 * drawn: 95 % half-widths, the group-selection threshold, the float grid.
 * Depends on util and crypto only. docs/PRIVACY.md, "Noise". */
#ifndef DCR_NOISE_H
#define DCR_NOISE_H

#include "dcr/util.h"

/* ---- randomness ------------------------------------------------------- */

/* Where the samplers take their random bytes from. fill writes size
 * unpredictable bytes to buf; it cannot fail. */
struct dcr_rng {
	void (*fill)(void *ctx, void *buf, size_t size);
	void *ctx;
};

/* The OS CSPRNG (dcr_random, libsodium): the only source for real noise.
 * Thread-safe; each fill is a call into the OS (about 0.5 us measured; a
 * sample takes 10 to 15 fills). */
extern const struct dcr_rng dcr_rng_os;

/* The OS CSPRNG read DCR_RNG_POOL_SIZE bytes at a time (about 10x fewer
 * system calls than dcr_rng_os for a sample). One pool per thread (e.g. per
 * query); dcr_rng_pool_wipe erases the bytes not yet used. */
#define DCR_RNG_POOL_SIZE 512
struct dcr_rng_pool {
	uint8_t buf[DCR_RNG_POOL_SIZE];
	size_t used; /* bytes of buf already served */
};
/* Sets *pool empty and *out to draw from it (out->ctx = pool). */
void dcr_rng_pool_init(struct dcr_rng_pool *pool, struct dcr_rng *out);
void dcr_rng_pool_wipe(struct dcr_rng_pool *pool);

/* A deterministic generator for TESTS ONLY (reproducible draws): block i
 * is SHA-256(seed as 8 bytes little-endian || 24 zero bytes || i as 8 bytes
 * little-endian), served byte by byte. Never use it for released noise:
 * anyone who knows the seed knows the noise. */
struct dcr_rng_seeded {
	uint8_t key[32];
	uint64_t counter;  /* next block */
	uint8_t block[32];
	size_t used;       /* bytes of block already served */
};
/* Sets *state from seed and *out to draw from it (out->ctx = state). */
void dcr_rng_seeded_init(struct dcr_rng_seeded *state, uint64_t seed, struct dcr_rng *out);

/* ---- exact samplers --------------------------------------------------- */
/* All parameters are exact integers or ratios of integers; no sampler uses
 * floating point. Errors: DCR_ERR_INVALID for a parameter outside its
 * domain (a zero denominator, a probability above 1), DCR_ERR_TOO_BIG for
 * one past the limits below (refused rather than wrapped), DCR_ERR_INTERNAL
 * when a draw falls outside the 64-bit range (probability below 2^-100 for
 * parameters within the limits). Each has an expected running time bounded
 * by a constant independent of its parameters (docs/PRIVACY.md). */

#define DCR_NOISE_MAX_NUM (UINT64_C(1) << 62)  /* largest numerator */
#define DCR_NOISE_MAX_DEN (UINT64_C(1) << 32)  /* largest denominator */
#define DCR_NOISE_MAX_SCALE (UINT64_C(1) << 40) /* largest Laplace scale num/den */

/* Uniform integer in [0, n), n >= 1 (rejection sampling). */
enum dcr_err dcr_noise_uniform(const struct dcr_rng *rng, uint64_t n, uint64_t *out) DCR_WUR;
/* Bernoulli(num/den): *out is true with probability num/den; 0 <= num <= den,
 * den >= 1. */
enum dcr_err dcr_noise_bernoulli(const struct dcr_rng *rng, uint64_t num, uint64_t den,
                                 bool *out) DCR_WUR;
/* Bernoulli(exp(-num/den)), den >= 1 (any num >= 0; CKS20 Algorithm 1). */
enum dcr_err dcr_noise_bernoulli_exp(const struct dcr_rng *rng, uint64_t num, uint64_t den,
                                     bool *out) DCR_WUR;
/* Discrete Laplace with scale t = num/den: P(x) = tanh(1/(2t)) exp(-|x|/t)
 * for every integer x (CKS20 Algorithm 2). 1 <= num <= DCR_NOISE_MAX_NUM,
 * 1 <= den <= DCR_NOISE_MAX_DEN, num/den <= DCR_NOISE_MAX_SCALE. */
enum dcr_err dcr_noise_laplace(const struct dcr_rng *rng, uint64_t num, uint64_t den,
                               int64_t *out) DCR_WUR;
/* Discrete Gaussian with sigma^2 = num/den: P(x) proportional to
 * exp(-x^2 / (2 sigma^2)) (CKS20 Algorithm 3, with the Laplace scale chosen
 * so that every quantity stays an integer or a 128-bit ratio).
 * 1 <= num <= DCR_NOISE_MAX_NUM, 1 <= den <= DCR_NOISE_MAX_DEN. */
enum dcr_err dcr_noise_gauss(const struct dcr_rng *rng, uint64_t num, uint64_t den,
                             int64_t *out) DCR_WUR;

/* ---- parameters (rounded toward more noise) ---------------------------- */

/* The discrete Laplace scale for L1 sensitivity and epsilon (both > 0,
 * finite): the smallest num/den >= sensitivity/epsilon, exactly (compared as
 * integers, not in floating point), with den a power of two, the smallest
 * one <= 2^32 making num >= 2^20 (so num/den exceeds the real ratio by less
 * than 2^-20 relative, or by less than 2^-32 absolute for tiny scales).
 * DCR_ERR_INVALID for a non-positive or non-finite argument, DCR_ERR_TOO_BIG
 * when the scale passes DCR_NOISE_MAX_SCALE. */
enum dcr_err dcr_noise_scale(double sensitivity, double epsilon, uint64_t *num,
                             uint64_t *den) DCR_WUR;
/* The largest zCDP parameter rho for which rho-zCDP implies (epsilon,
 * delta)-DP by either of two conversions, rounded down (relative margin
 * 1e-12): Bun and Steinke 2016, Proposition 1.3 (epsilon = rho + 2 sqrt(rho
 * ln(1/delta)), so rho = (sqrt(ln(1/delta) + epsilon) - sqrt(ln(1/delta)))^2),
 * and CKS20's tighter one (delta = exp((a - 1)(a rho - epsilon)) / (a - 1) *
 * (1 - 1/a)^a for any order a > 1; rho found by bisection with delta less
 * 10^-9 of it as the target). epsilon > 0, 0 < delta < 1. */
enum dcr_err dcr_noise_gauss_rho(double epsilon, double delta, double *rho) DCR_WUR;
/* sigma^2 of a discrete Gaussian that is rho-zCDP for an integer query of
 * sensitivity sensitivity (CKS20, section 2: adding N_Z(0, sigma^2) is
 * (sensitivity^2 / (2 sigma^2))-zCDP, as for the continuous Gaussian), so
 * sigma^2 = sensitivity^2 / (2 rho), as a rational like dcr_noise_scale's,
 * rounded up (relative margin 1e-12 for the floating-point square).
 * DCR_ERR_TOO_BIG past DCR_NOISE_MAX_NUM. */
enum dcr_err dcr_noise_gauss_sigma2_rho(double sensitivity, double rho, uint64_t *num,
                                        uint64_t *den) DCR_WUR;
/* Both of the above: sigma^2 for one (epsilon, delta)-DP release. */
enum dcr_err dcr_noise_gauss_sigma2(double sensitivity, double epsilon, double delta,
                                    uint64_t *num, uint64_t *den) DCR_WUR;

/* ---- describing noise already drawn (floating point is fine here) ------ */

/* The smallest integer w >= 0 with P(|X| <= w) >= level (0 < level < 1),
 * X discrete Laplace with scale num/den (closed form). num, den: as for
 * dcr_noise_laplace (and so for dcr_noise_threshold). */
enum dcr_err dcr_noise_laplace_ci(uint64_t num, uint64_t den, double level,
                                  int64_t *half_width) DCR_WUR;
/* The same for the discrete Gaussian with sigma^2 = num/den: from the pmf
 * summed term by term when sigma <= 10^4, else from the midpoint rule
 * P(|X| <= w) = erf((w + 1/2) / (sigma sqrt 2)) (error below 10^-12). */
enum dcr_err dcr_noise_gauss_ci(uint64_t num, uint64_t den, double level,
                                int64_t *half_width) DCR_WUR;
/* The group-selection threshold: the smallest integer tau such that
 * P[1 + X >= tau] <= delta_group, X discrete Laplace with scale num/den,
 * where P[X >= k] = p^k / (1 + p), p = exp(-den/num), for k >= 1. A group
 * made by one id (distinct-id count 1) is then released with probability at
 * most delta_group. Pass delta_group = delta / (the most groups one id can
 * reach) for delta overall. 0 < delta_group < 1/2. */
enum dcr_err dcr_noise_threshold(uint64_t num, uint64_t den, double delta_group,
                                 int64_t *tau) DCR_WUR;
/* Snaps x to the nearest multiple of 2^grid_exp (ties away from zero),
 * exactly, as a count of steps: x ~ *steps * 2^grid_exp. |grid_exp| <= 60;
 * DCR_ERR_INVALID for a non-finite x, DCR_ERR_TOO_BIG when |steps| would
 * pass 2^62. */
enum dcr_err dcr_noise_snap(double x, int grid_exp, int64_t *steps) DCR_WUR;

#endif
