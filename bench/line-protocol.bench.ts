// Line-protocol parser throughput on the benchmark harness's `meters` lines (precision=s,
// 5,000 lines per request), in both orders the harness can generate: `table` (a request is
// mostly one series) and `time` (every line a different series). Parse only, one core, measured in
// CPU seconds of this process (other work on the machine inflates wall time, not this).
//
//   node dist/bench/line-protocol.bench.js [--seconds 3] [--tables 1000] [--order table|time]
import { parseLineProtocol } from '../src/adapter/line-protocol/parse.js';
import { SeriesCache } from '../src/adapter/line-protocol/series-cache.js';

const CITIES = [
  'California.SanFrancisco',
  'California.LosAngeles',
  'California.SanDiego',
  'California.SanJose',
  'California.PaloAlto',
  'California.Campbell',
  'California.MountainView',
  'California.Sunnyvale',
  'California.SantaClara',
  'California.Cupertino',
];

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}

/** One request of `lines` meters lines; `order` decides whether consecutive lines share a series. */
function makeRequest(order: 'table' | 'time', lines: number, tables: number, seed: number): Uint8Array {
  let s = seed >>> 0;
  const rnd = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const parts: string[] = [];
  const start = 1704067200;
  for (let k = 0; k < lines; k++) {
    const t = order === 'table' ? seed % tables : k % tables;
    const row = order === 'table' ? k : Math.floor(k / tables);
    const current = (8 + 4 * rnd()).toFixed(3);
    const voltage = 215 + Math.floor(rnd() * 11);
    const phase = rnd().toFixed(4);
    parts.push(
      `meters,groupid=${1 + (t % 10)},location=${CITIES[t % CITIES.length]},tbname=d${t} current=${current},voltage=${voltage}i,phase=${phase} ${start + row}\n`,
    );
  }
  return Buffer.from(parts.join(''), 'latin1');
}

function run(order: 'table' | 'time', seconds: number, tables: number, cache: SeriesCache | undefined): void {
  const requests = Array.from({ length: 16 }, (_, r) => makeRequest(order, 5000, tables, r + 1));
  const bytesPerRequest = requests.reduce((a, b) => a + b.length, 0) / requests.length;
  // Warm up so the numbers are for optimized code.
  for (let k = 0; k < 200; k++) parseLineProtocol(requests[k % requests.length]!, 's', { seriesCache: cache });
  let lines = 0;
  let bytes = 0;
  let n = 0;
  // CPU time of this process, not wall time: the machine is shared, and a parse is pure CPU.
  const cpu0 = process.cpuUsage();
  const cpuSec = (): number => {
    const d = process.cpuUsage(cpu0);
    return (d.user + d.system) / 1e6;
  };
  let sec = 0;
  while (sec < seconds) {
    const b = parseLineProtocol(requests[n % requests.length]!, 's', { seriesCache: cache });
    lines += b.points;
    bytes += requests[n % requests.length]!.length;
    n++;
    if ((n & 15) === 0) sec = cpuSec();
  }
  console.log(
    `order=${order.padEnd(5)} ${cache ? 'series cache' : 'no cache    '} ${(lines / sec / 1e6).toFixed(2)} M lines/s  ${(bytes / sec / 1e6).toFixed(0)} MB/s  ` +
      `${((sec / n) * 1e3).toFixed(3)} ms per 5,000-line request (${(bytesPerRequest / 5000).toFixed(0)} bytes/line)`,
  );
}

const seconds = arg('seconds', 3);
const tables = arg('tables', 1000);
const only = process.argv.indexOf('--order') > 0 ? process.argv[process.argv.indexOf('--order') + 1] : null;
// The writer keeps a series cache per database, so requests after the first find their
// series keys decoded; both are shown.
if (only !== 'time') {
  run('table', seconds, tables, undefined);
  run('table', seconds, tables, new SeriesCache());
}
if (only !== 'table') {
  run('time', seconds, tables, undefined);
  run('time', seconds, tables, new SeriesCache());
}
