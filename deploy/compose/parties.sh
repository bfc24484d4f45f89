#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The demo's two parties against a running clean room (docker-compose.yml's
# "parties" service, or by hand): each verifies it, uploads, and acme asks.
#   DCR_SERVER=http://room:8080 deploy/compose/parties.sh DIR
set -eu
dir=${1:?usage: parties.sh DIR}
dcr=${DCR:-dcr}
: "${DCR_SERVER:?set DCR_SERVER to the clean room's URL}"
export DCR_CONTRACT="$dir/contract.json"
"$dcr" attest
"$dcr" upload --key "$dir/news.key" --dataset impressions "$dir/impressions.csv"
"$dcr" upload --key "$dir/acme.key" --dataset purchases "$dir/purchases.csv"
"$dcr" query --key "$dir/acme.key" --format table \
	"SELECT i.region, COUNT(DISTINCT i.email) AS buyers, SUM(p.amount) AS spent
	 FROM impressions i JOIN purchases p ON i.email = p.email GROUP BY i.region ORDER BY 1"
"$dcr" audit --key "$dir/news.key"
