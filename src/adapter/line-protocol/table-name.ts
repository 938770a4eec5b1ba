// Child table names for series without a `tbname` tag: `t_` + the hex MD5 of the measurement
// and its tags sorted by key (`m,k1=v1,k2=v2`), as TDengine's schemaless writer names them,
// so the same series always lands in the same table whatever order its tags came in.
import { createHash } from 'node:crypto';
import { Limits } from '../../common/limits.js';
import type { Series } from './batch.js';

export function seriesCanonicalKey(measurement: string, s: Series): string {
  let k = measurement;
  for (let i = 0; i < s.tagKeys.length; i++) k += ',' + s.tagKeys[i]! + '=' + s.tagValues[i]!;
  return k;
}

export function derivedTableName(canonicalKey: string, cache: Map<string, string>): string {
  const hit = cache.get(canonicalKey);
  if (hit !== undefined) return hit;
  const name = 't_' + createHash('md5').update(canonicalKey, 'utf8').digest('hex');
  if (cache.size >= Limits.lineProtocolTableNameCacheEntries) cache.clear();
  cache.set(canonicalKey, name);
  return name;
}
