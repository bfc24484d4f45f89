// SPDX-License-Identifier: Apache-2.0
// DuckDB side of the benchmark: runs one workload in this (fresh) node process, writes the
// answer as CSV and prints {"seconds", "rss_before_kib", "max_rss_kib", "version"} as JSON.
// usage: node duck.mjs version | node duck.mjs a|b A.csv B.csv OUT.csv
import { writeFileSync } from 'node:fs';
import duckdb, { DuckDBInstance } from '@duckdb/node-api';

const lit = (s) => "'" + s.replaceAll("'", "''") + "'";

function csvField(v) {
	if (v === null || v === undefined)
		return '';
	const s = typeof v === 'string' ? v : String(v);
	return /[",\r\n]/.test(s) ? '"' + s.replaceAll('"', '""') + '"' : s;
}

const [mode, aPath, bPath, outPath] = process.argv.slice(2);
if (mode === 'version') {
	console.log(duckdb.version());
	process.exit(0);
}
if ((mode !== 'a' && mode !== 'b') || !outPath) {
	console.error('usage: node duck.mjs version | node duck.mjs a|b A.csv B.csv OUT.csv');
	process.exit(2);
}

// As a user would: an in-memory database, default settings (threads = cores), types detected.
const instance = await DuckDBInstance.create(':memory:');
const conn = await instance.connect();

const steps = mode === 'a'
	? [`CREATE TABLE a AS SELECT * FROM read_csv(${lit(aPath)})`,
	   `CREATE TABLE b AS SELECT * FROM read_csv(${lit(bPath)})`,
	   'SELECT COUNT(*) FROM a']
	: ['SELECT a.dim1, b.dim2, COUNT(*), COUNT(DISTINCT a.id), SUM(b.amount) ' +
	   `FROM read_csv(${lit(aPath)}) a JOIN read_csv(${lit(bPath)}) b ON a.id = b.id ` +
	   'GROUP BY 1, 2'];

// The baseline is taken after node, the library and the instance are up, so that only what the
// query itself costs is counted against DuckDB (conservative for dcr, whose whole process is
// measured).
const rssBefore = Math.round(process.memoryUsage().rss / 1024);
const t0 = process.hrtime.bigint();
let reader;
for (const sql of steps)
	reader = await conn.runAndReadAll(sql);
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
const maxRss = process.resourceUsage().maxRSS;

const lines = [reader.columnNames().map(csvField).join(',')];
for (const row of reader.getRows())
	lines.push(row.map(csvField).join(','));
writeFileSync(outPath, lines.join('\n') + '\n');

conn.closeSync();
console.log(JSON.stringify({ seconds, rss_before_kib: rssBefore, max_rss_kib: maxRss,
			     version: duckdb.version() }));
