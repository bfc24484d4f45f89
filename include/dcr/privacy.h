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

#endif
