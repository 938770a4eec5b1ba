// Basalt adapter for ../shared/bench-peers/lib/query.js: the five queries as SQL over
// POST /rest/sql (TDengine's JSON: {"code":0,"data":[[...]]}), each parsed into the
// harness's normalized answer. Timestamps come back as RFC 3339 strings.
'use strict';
const AUTH = 'Basic ' + Buffer.from('root:taosdata').toString('base64');
function q(name, sql, parse, note) {
  return {
    name,
    lang: 'SQL',
    text: sql,
    note,
    parse,
    request: {
      method: 'POST',
      path: '/rest/sql/bench',
      body: sql,
      headers: { Authorization: AUTH, 'Content-Type': 'text/plain' },
    },
  };
}
function rows(body) {
  const j = JSON.parse(body);
  if (j.code !== 0) throw new Error(`code ${j.code}: ${j.desc}`);
  return j.data;
}
const sec = (iso) => Math.floor(Date.parse(iso) / 1000);
exports.queries = (e) => [
  q('count', 'select count(*) from meters', (b) => Number(rows(b)[0][0])),
  q(
    'hourly_avg',
    `select _wstart, avg(current) from meters where ts >= ${e.startSec * 1000} and ts < ${e.endSecExclusive * 1000} interval(1h)`,
    (b) => rows(b).map(([t, v]) => ({ t: sec(t), avg: Number(v) })),
  ),
  q(
    'lastpoint',
    'select tbname, last_row(current) from meters partition by tbname',
    (b) => Object.fromEntries(rows(b).map(([k, v]) => [k, Number(v)])),
    'last_row per child table',
  ),
  q(
    'max_voltage_1h',
    `select max(voltage) from ${e.maxVoltage.table} where ts >= ${e.maxVoltage.from * 1000} and ts < ${e.maxVoltage.to * 1000}`,
    (b) => Number(rows(b)[0][0]),
    'the child table queried by name, the TDengine idiom',
  ),
  q('avg_by_location', 'select location, avg(current) from meters group by location', (b) =>
    Object.fromEntries(rows(b).map(([k, v]) => [k, Number(v)])),
  ),
];
