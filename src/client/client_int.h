/* SPDX-License-Identifier: Apache-2.0 */
/* client: what stays inside the module — the HTTP layer under the public
 * calls, and the parsers of the clean room's answers (apart for tests). */
#ifndef DCR_CLIENT_INT_H
#define DCR_CLIENT_INT_H

#include "dcr/client.h"

/* Bytes the rewriter's buffers hold now (for the flat-memory test). */
size_t client_rewriter_memory(const struct dcr_id_rewriter *r);

#endif
