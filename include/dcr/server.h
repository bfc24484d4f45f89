/* SPDX-License-Identifier: Apache-2.0 */
/* server: the clean room itself (`dcr serve`) — checks the contract, makes or
 * unseals its keys inside the TEE, and answers the HTTP API of docs/API.md. */
#ifndef DCR_SERVER_H
#define DCR_SERVER_H

#include "dcr/contract.h"
#include "dcr/util.h"

/* Limits and places; dcr_server_options_default fills in the defaults. */
struct dcr_server_options {
	const char *contract_path;  /* the signed contract file */
	const char *data_dir;       /* created 0700 when missing */
	const char *listen;         /* "ADDR:PORT" or "[V6ADDR]:PORT"; port 0: any free */
	enum dcr_tee tee;           /* the TEE this runs in (its producer backend) */
	uint64_t max_upload;        /* bytes of an upload's body (8 GiB) */
	size_t max_body;            /* bytes of any other request body (1 MiB) */
	unsigned max_connections;   /* open connections at once (256) */
	unsigned max_per_ip;        /* of those, from one address (64) */
	unsigned threads;           /* HTTP worker threads (0: online CPUs) */
	unsigned timeout;           /* seconds a connection may stay idle (60) */
	uint64_t max_result_rows;   /* rows of a query's answer (1,000,000) */
};

void dcr_server_options_default(struct dcr_server_options *o);

struct dcr_server;

/* Starts the clean room: loads and verifies the contract (DCR_ERR_VERIFY
 * when it is invalid or not signed by every party, DCR_ERR_EXPIRED when it
 * has expired), checks that o->tee is in its tee.accept (DCR_ERR_VERIFY),
 * binds the data directory to the contract (DCR_ERR_VERIFY when it holds
 * another contract's clean room or cannot be unsealed), makes or unseals
 * the room's keys, makes evidence, appends a start entry to the audit log,
 * loads the stored datasets and listens. msg says what failed. On success
 * the server answers requests from its own threads until dcr_server_stop. */
enum dcr_err dcr_server_start(const struct dcr_server_options *o, struct dcr_server **out,
                              struct dcr_msg *msg) DCR_WUR;

/* "http://ADDR:PORT" as it listens (with the port picked for port 0). */
const char *dcr_server_url(const struct dcr_server *s);
/* The contract it serves. */
const struct dcr_contract *dcr_server_contract(const struct dcr_server *s);

/* Stops accepting connections, lets requests in flight finish (for at most
 * the idle timeout), then closes everything and frees s. NULL is fine. */
void dcr_server_stop(struct dcr_server *s);

#endif
