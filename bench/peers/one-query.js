#!/usr/bin/env node
// Repeats one of basalt.js's bench queries over one keep-alive connection and prints the latency
// percentiles (client side), for profiling per-query overhead.
// usage: node bench/peers/one-query.js NAME [reps=300] [base=http://127.0.0.1:16041] [expected.json]
'use strict';
const http = require('node:http');
const fs = require('node:fs');
const [name, repsArg, baseArg, expArg] = process.argv.slice(2);
const reps = Number(repsArg || 300);
const base = new URL(baseArg || 'http://127.0.0.1:16041');
const exp = JSON.parse(
  fs.readFileSync(expArg || '/tmp/basalt-bench-peers/data/1000x10000-b5000-table/expected.json', 'utf8'),
);
const q = require('./basalt.js')
  .queries(exp)
  .find((x) => x.name === name);
if (!q) {
  console.error(`no query ${name}`);
  process.exit(2);
}
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
function once() {
  return new Promise((resolve, reject) => {
    const body = Buffer.from(q.request.body);
    const t0 = process.hrtime.bigint();
    const r = http.request(
      {
        host: base.hostname,
        port: base.port,
        path: q.request.path,
        method: 'POST',
        agent,
        headers: { ...q.request.headers, 'Content-Length': body.length },
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () =>
          resolve({ ms: Number(process.hrtime.bigint() - t0) / 1e6, text: Buffer.concat(chunks).toString() }),
        );
      },
    );
    r.on('error', reject);
    r.end(body);
  });
}
(async () => {
  const ms = [];
  for (let i = 0; i < reps; i++) {
    const r = await once();
    if (i === 0) q.parse(r.text);
    ms.push(r.ms);
  }
  const first = ms.slice(0, 8);
  ms.sort((a, b) => a - b);
  const p = (f) => ms[Math.min(ms.length - 1, Math.floor(f * ms.length))].toFixed(2);
  console.log(
    `${name}: ${reps} reps, p10 ${p(0.1)} p50 ${p(0.5)} p90 ${p(0.9)} ms; first: ${first.map((x) => x.toFixed(2)).join(' ')}`,
  );
  agent.destroy();
})();
