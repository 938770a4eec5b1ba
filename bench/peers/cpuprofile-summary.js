#!/usr/bin/env node
// Self and inclusive time per function (and self time per file) of a V8 .cpuprofile, as written
// by `node --cpu-prof`. usage: node bench/peers/cpuprofile-summary.js FILE.cpuprofile [--top 30]
//   [--focus NAME]   inclusive time only below frames whose function name contains NAME
'use strict';
const fs = require('node:fs');
const args = process.argv.slice(2);
let top = 30;
let focus = null;
const files = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--top') top = Number(args[++i]);
  else if (args[i] === '--focus') focus = args[++i];
  else files.push(args[i]);
}
for (const file of files) {
  const p = JSON.parse(fs.readFileSync(file, 'utf8'));
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of p.nodes) for (const c of n.children || []) parent.set(c, n.id);
  // sample counts per node, weighted by timeDeltas (µs)
  const selfUs = new Map();
  for (let i = 0; i < p.samples.length; i++) {
    const id = p.samples[i];
    const dt = p.timeDeltas[i] || 0;
    selfUs.set(id, (selfUs.get(id) || 0) + dt);
  }
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const short = (u) => u.replace(/^file:\/\/.*?\/(dist|node_modules)\//, '$1/').replace(/^node:/, 'node:');
  const key = (n) => `${n.callFrame.functionName || '(anon)'} ${short(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
  const self = new Map();
  const incl = new Map();
  const perFile = new Map();
  for (const [id, us] of selfUs) {
    const n = byId.get(id);
    const k = key(n);
    self.set(k, (self.get(k) || 0) + us);
    const f = n.callFrame.url ? short(n.callFrame.url) : `(${n.callFrame.functionName})`;
    perFile.set(f, (perFile.get(f) || 0) + us);
    // inclusive: each distinct function on the stack once
    const seen = new Set();
    let cur = id;
    let inFocus = focus === null;
    const stack = [];
    while (cur !== undefined) {
      const m = byId.get(cur);
      stack.push(m);
      cur = parent.get(cur);
    }
    if (focus !== null) inFocus = stack.some((m) => (m.callFrame.functionName || '').includes(focus));
    if (!inFocus) continue;
    for (const m of stack) {
      const kk = key(m);
      if (seen.has(kk)) continue;
      seen.add(kk);
      incl.set(kk, (incl.get(kk) || 0) + us);
    }
  }
  const pct = (us) => ((100 * us) / total).toFixed(1).padStart(5) + '%';
  const ms = (us) => (us / 1000).toFixed(0).padStart(7) + ' ms';
  console.log(`\n== ${file}: ${(total / 1e6).toFixed(2)} s sampled`);
  console.log('-- self time by function');
  for (const [k, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(us)} ${ms(us)}  ${k}`);
  console.log('-- self time by file');
  for (const [k, us] of [...perFile].sort((a, b) => b[1] - a[1]).slice(0, Math.min(top, 20)))
    console.log(`${pct(us)} ${ms(us)}  ${k}`);
  console.log(`-- inclusive time by function${focus ? ` (below ${focus})` : ''}`);
  for (const [k, us] of [...incl].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(us)} ${ms(us)}  ${k}`);
}
