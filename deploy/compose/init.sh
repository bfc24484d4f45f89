#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The demo's setup (docker-compose.yml's "init" service, or by hand): two
# parties' keys, a contract both sign that accepts the SIMULATED TEE, and
# their CSV files, in DIR. Real parties do each step on their own machines.
#   deploy/compose/init.sh DIR        (DCR: the dcr binary, default: dcr)
set -eu
dir=${1:?usage: init.sh DIR}
dcr=${DCR:-dcr}
mkdir -p "$dir"
cd "$dir"
if [ -f contract.json ]; then
	echo "init: $dir/contract.json exists; keeping it"
	exit 0
fi
"$dcr" keygen --out news >/dev/null
"$dcr" keygen --out acme >/dev/null
cat >contract.json <<JSON
{
  "dcr_contract": 1,
  "id": "compose-demo",
  "expires": "2099-01-01T00:00:00Z",
  "parties": [
    {"name": "news", "public_key": "$(cat news.pub)", "roles": ["contributor"]},
    {"name": "acme", "public_key": "$(cat acme.pub)", "roles": ["contributor", "analyst"]}
  ],
  "datasets": [
    {"name": "impressions", "owner": "news", "columns": [
      {"name": "email", "type": "id", "normalize": "email"},
      {"name": "region", "type": "string", "role": "dimension"}
    ]},
    {"name": "purchases", "owner": "acme", "columns": [
      {"name": "email", "type": "id", "normalize": "email"},
      {"name": "amount", "type": "float", "role": "metric", "bounds": [0, 1000]}
    ]}
  ],
  "rules": {
    "min_distinct_ids": 10,
    "joins": [["impressions.email", "purchases.email"]],
    "aggregates": ["count", "count_distinct", "sum"]
  },
  "tee": {"accept": ["sim"]}
}
JSON
"$dcr" contract sign contract.json --key news.key >/dev/null
"$dcr" contract sign contract.json --key acme.key >/dev/null
echo "email,region" >impressions.csv
echo "email,amount" >purchases.csv
i=0
while [ $i -lt 200 ]; do
	r=north; [ $((i % 2)) = 1 ] && r=south
	echo " Person$i@Example.com,$r" >>impressions.csv
	[ $((i % 3)) = 0 ] && echo "person$i@example.com,$((i % 50)).5" >>purchases.csv
	i=$((i + 1))
done
chmod 0644 contract.json
echo "init: keys, contract and data for news and acme in $dir"
