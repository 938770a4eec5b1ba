#!/usr/bin/env node
// Basalt's ratio to each peer from one bench-peers run: medians over the trials of ingest rows/s,
// bytes per row, peak RSS during ingest and each query's median latency, as one markdown table.
// usage: node bench/peers/ratios.js [results-dir]   (default: the newest under $BENCH_WORK/results)
'use strict';
const fs = require('node:fs');
const path = require('node:path');

function newestRun() {
  const root = path.join(process.env.BENCH_WORK || '/tmp/basalt-bench-peers', 'results');
  const dirs = fs
    .readdirSync(root)
    .map((d) => path.join(root, d))
    .filter((d) => fs.statSync(d).isDirectory());
  if (dirs.length === 0) throw new Error(`no results under ${root}; run the harness first`);
  return dirs.sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs)[0];
}

function median(xs) {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return null;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const dir = process.argv[2] || newestRun();
const trials = {};
for (const f of fs.readdirSync(dir)) {
  const m = /^(.+)-t\d+\.json$/.exec(f);
  if (!m) continue;
  (trials[m[1]] = trials[m[1]] || []).push(JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')));
}
if (!trials.basalt) {
  console.log(`no basalt trial in ${dir}`);
  process.exit(0);
}
const queryNames = (trials.basalt[0].queries || []).map((q) => q.name);
// [label, value of a trial, true when higher is better]
const metrics = [
  ['ingest rows/s', (t) => t.load && t.load.rowsPerS, true],
  ['bytes/row', (t) => t.bytesPerRow, false],
  ['peak RSS ingest MiB', (t) => t.peakRssIngestBytes / 1048576, false],
  ...queryNames.map((n) => [
    `${n} ms`,
    (t) => {
      const q = (t.queries || []).find((x) => x.name === n);
      return q && q.correct ? q.medianMs : NaN;
    },
    false,
  ]),
];
const peers = Object.keys(trials)
  .filter((p) => p !== 'basalt')
  .sort();
const val = (p, get) => median(trials[p].map(get));
const fmt = (x) => (x === null ? 'n/a' : x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(2));
const lines = [
  `Basalt vs peers (${path.basename(dir)}; medians over trials; ratio = how many times better Basalt is, >1 = Basalt better)`,
  '',
  `| metric | basalt | ${peers.map((p) => `${p} | ratio`).join(' | ')} |`,
  `| --- | --- | ${peers.map(() => '--- | ---').join(' | ')} |`,
];
for (const [label, get, higher] of metrics) {
  const b = val('basalt', get);
  const cells = peers.map((p) => {
    const v = val(p, get);
    const r = b === null || v === null || b === 0 || v === 0 ? null : higher ? b / v : v / b;
    return `${fmt(v)} | ${r === null ? 'n/a' : r.toFixed(2) + '×'}`;
  });
  lines.push(`| ${label} | ${fmt(b)} | ${cells.join(' | ')} |`);
}
console.log(lines.join('\n'));
