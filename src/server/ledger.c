/* SPDX-License-Identifier: Apache-2.0 */
/* The ε ledger of contracts with rules.dp: what each analyst has spent. The
 * ledger IS the audit log: every spend is a "debit" entry, sealed, signed
 * and fsync'ed before the query runs, so a crash can lose an answer but
 * never a spend, and a restart sums the debits again. In memory: one
 * counter per party, in units of 1e-9 ε (spends round up, the total
 * down), under one mutex, so concurrent queries cannot overspend. */
#include <math.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include "server_int.h"

#define UNITS_PER_EPSILON 1e9

/* ε in ledger units, rounded toward spending more. */
static uint64_t units_up(double eps)
{
	double u = ceil(eps * UNITS_PER_EPSILON);

	return u <= 0 ? 0 : u >= 1.8e19 ? UINT64_MAX : (uint64_t)u;
}

static uint64_t units_down(double eps)
{
	double u = floor(eps * UNITS_PER_EPSILON);

	return u <= 0 ? 0 : u >= 1.8e19 ? UINT64_MAX : (uint64_t)u;
}

enum dcr_err server_ledger_init(struct dcr_server *s)
{
	s->spent = calloc(s->contract->party_count ? s->contract->party_count : 1,
	                  sizeof(*s->spent));
	if (!s->spent)
		return DCR_ERR_NOMEM;
	pthread_mutex_init(&s->ledger_lock, NULL);
	s->ledger_ready = true;
	/* a test hook: die right after a debit is durable, before the query
	 * runs, as a crash would (tests/integration/dp_cli.sh) */
	s->fault_after_debit = getenv("DCR_FAULT") && !strcmp(getenv("DCR_FAULT"), "after-debit");
	if (s->fault_after_debit)
		dcr_log_warn("DCR_FAULT=after-debit: this clean room stops at its first debit");
	return DCR_OK;
}

void server_ledger_free(struct dcr_server *s)
{
	if (s->ledger_ready)
		pthread_mutex_destroy(&s->ledger_lock);
	free(s->spent);
	s->spent = NULL;
}

void server_ledger_replay(struct dcr_server *s, json_t *entry)
{
	const char *action = json_string_value(json_object_get(entry, "action"));
	const char *party = json_string_value(json_object_get(entry, "party"));
	json_t *eps = json_object_get(entry, "epsilon");
	const struct dcr_party *p;

	if (!action || strcmp(action, "debit") || !party || !json_is_number(eps))
		return;
	p = dcr_contract_party(s->contract, party);
	if (!p)
		return;
	/* the log is verified: these are the clean room's own entries */
	s->spent[p - s->contract->parties] += units_up(json_number_value(eps));
}

void server_ledger_get(struct dcr_server *s, size_t party, double *out_spent,
                       double *out_remaining)
{
	uint64_t total = units_down(s->contract->dp.epsilon_per_analyst), spent;

	pthread_mutex_lock(&s->ledger_lock);
	spent = s->spent[party];
	pthread_mutex_unlock(&s->ledger_lock);
	*out_spent = (double)spent / UNITS_PER_EPSILON;
	*out_remaining = spent >= total ? 0 : (double)(total - spent) / UNITS_PER_EPSILON;
}

int server_ledger_debit(struct dcr_server *s, struct server_request *r, double eps,
                        const char *sql, size_t len, uint64_t *out_seq, struct dcr_msg *msg)
{
	uint64_t total = units_down(s->contract->dp.epsilon_per_analyst);
	uint64_t want = units_up(eps), *spent = &s->spent[r->party_index];
	int status;

	*out_seq = 0;
	pthread_mutex_lock(&s->ledger_lock);
	if (*spent > total || want > total - *spent) {
		double left = *spent >= total ? 0 : (double)(total - *spent) / UNITS_PER_EPSILON;

		pthread_mutex_unlock(&s->ledger_lock);
		dcr_msg_set(msg,
		            "rule 'privacy budget': %s has %.9g of its epsilon budget of %.9g "
		            "left; this query asks for %.9g",
		            r->party->name, left, s->contract->dp.epsilon_per_analyst, eps);
		return MHD_HTTP_UNPROCESSABLE_CONTENT;
	}
	/* durable before the query runs: a crash after this loses the answer,
	 * not the spend */
	status = server_audit_append(s,
	                             json_pack("{s:s, s:s, s:s%, s:f}", "party", r->party->name,
	                                       "action", "debit", "query", sql, len, "epsilon",
	                                       eps),
	                             out_seq, msg);
	if (!status)
		*spent += want;
	pthread_mutex_unlock(&s->ledger_lock);
	if (!status && s->fault_after_debit)
		_exit(70);
	return status;
}
