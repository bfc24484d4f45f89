/* SPDX-License-Identifier: Apache-2.0 */
/* dcr_privacy_check: who may ask, which contracts can be answered, which
 * queries may run, then every rule on the bound query in a fixed order, and
 * last the k rewrite. Nothing is rewritten unless every rule holds. */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "privacy_int.h"

enum dcr_err privacy_refuse(struct dcr_msg *msg, const char *rule, const char *fmt, ...)
{
	char text[DCR_MSG_SIZE];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	return dcr_fail(msg, DCR_ERR_REFUSED, "rule '%s': %s", rule, text);
}

/* The contract's own record of the party: the very element, or the one with
 * its name and keys (a copy of it). */
static const struct dcr_party *contract_party(const struct dcr_contract *c,
                                              const struct dcr_party *who)
{
	const struct dcr_party *p;

	for (size_t i = 0; i < c->party_count; i++)
		if (&c->parties[i] == who)
			return who;
	p = who->name ? dcr_contract_party(c, who->name) : NULL;
	/* public keys: no need for constant time */
	if (p && !memcmp(p->key.sign, who->key.sign, sizeof(p->key.sign)) &&
	    !memcmp(p->key.box, who->key.box, sizeof(p->key.box)))
		return p;
	return NULL;
}

static enum dcr_err check_analyst(const struct dcr_contract *c, const struct dcr_party *who,
                                  struct dcr_msg *msg)
{
	const struct dcr_party *p = who ? contract_party(c, who) : NULL;

	if (!p)
		return privacy_refuse(msg, "analysts only",
		                      "the query does not come from a party of this contract");
	if (!(p->roles & DCR_PARTY_ANALYST))
		return privacy_refuse(msg, "analysts only",
		                      "party %s is not an analyst", p->name);
	return DCR_OK;
}

/* "a, b, c": the named queries, cut short to fit a message. */
static void query_names(const struct dcr_contract *c, char *out, size_t size)
{
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; i < c->query_count; i++) {
		const char *sep = i ? ", " : "";

		if (len + strlen(sep) + strlen(c->queries[i].name) + 5 > size) {
			snprintf(out + len, size - len, "%s...", sep);
			return;
		}
		len += (size_t)snprintf(out + len, size - len, "%s%s", sep, c->queries[i].name);
	}
}

static enum dcr_err check_named(const struct dcr_contract *c, const char *named,
                                struct dcr_msg *msg)
{
	char names[320];

	if (c->query_count == 0) {
		if (named)
			return privacy_refuse(msg, "named queries only",
			                      "this contract has no named queries; send the query "
			                      "as SQL");
		return DCR_OK;
	}
	for (size_t i = 0; named && i < c->query_count; i++)
		if (!strcasecmp(c->queries[i].name, named))
			return DCR_OK;
	query_names(c, names, sizeof(names));
	if (!named)
		return privacy_refuse(msg, "named queries only",
		                      "this contract runs only its named queries (%s)", names);
	return privacy_refuse(msg, "named queries only",
	                      "this contract has no query named %.64s (it runs only %s)", named,
	                      names);
}

/* The rules every query obeys, in order (docs/PRIVACY.md). */
static enum dcr_err check_rules(struct privacy *p, const struct dcr_party *analyst,
                                const char *named)
{
	enum dcr_err err;

	if ((err = check_analyst(p->c, analyst, p->msg)) ||
	    (err = check_named(p->c, named, p->msg)))
		return err;
	p->bq = dcr_query_bound(p->q);
	if ((err = privacy_check_datasets(p)) || (err = privacy_check_joins(p)) ||
	    (err = privacy_check_hidden(p)) || (err = privacy_check_ids(p)) ||
	    (err = privacy_check_metrics(p)) || (err = privacy_check_aggregation(p)) ||
	    (err = privacy_check_aggregates(p)))
		return err;
	return DCR_OK;
}

enum dcr_err dcr_privacy_check(const struct dcr_contract *c, const struct dcr_party *analyst,
                               const char *named, struct dcr_query *q, struct dcr_msg *msg)
{
	struct privacy p = {.c = c, .q = q, .msg = msg};
	enum dcr_err err;

	assert(c && q);
	if ((err = check_analyst(c, analyst, msg)))
		return err;
	/* answering exactly would break a contract that promises noise */
	if (c->has_dp)
		return privacy_refuse(msg, "differential privacy",
		                      "this contract asks for differential privacy: its answers "
		                      "must be noisy (dcr_privacy_check_dp)");
	if ((err = check_rules(&p, analyst, named)))
		return err;
	return privacy_threshold(&p);
}

enum dcr_err dcr_privacy_check_dp(const struct dcr_contract *c, const struct dcr_party *analyst,
                                  const char *named, double epsilon, struct dcr_query *q,
                                  struct dcr_dp_plan **out, struct dcr_msg *msg)
{
	struct privacy p = {.c = c, .q = q, .msg = msg};
	enum dcr_err err;

	assert(c && q && out);
	*out = NULL;
	if (!c->has_dp)
		return privacy_refuse(msg, "differential privacy",
		                      "this contract has no rules.dp: its answers are exact");
	if ((err = check_rules(&p, analyst, named)))
		return err;
	return privacy_dp_plan(&p, epsilon, out);
}
