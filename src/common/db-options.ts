// Database options: defaults, allowed ranges and the checks `create/alter database` apply.
// Durations are kept in minutes, as TDengine stores them (`duration 10d` = 14400).
import { BasaltError } from './errors.js';
import { Limits } from './limits.js';
import type { Precision } from './types.js';

export interface DbOptions {
  readonly vgroups: number;
  readonly replica: number;
  readonly bufferMb: number;
  readonly durationMinutes: number;
  /** keep0, keep1, keep2 in minutes (TDengine's three-tier keep; retention uses keep2). */
  readonly keepMinutes: readonly [number, number, number];
  readonly precision: Precision;
  readonly walLevel: 1 | 2;
  readonly walFsyncPeriodMs: number;
  readonly maxRows: number;
  readonly minRows: number;
}

const DAY_MINUTES = 1440;

export const DEFAULT_DB_OPTIONS: DbOptions = {
  vgroups: 2,
  replica: 1,
  bufferMb: 256,
  durationMinutes: 10 * DAY_MINUTES,
  keepMinutes: [3650 * DAY_MINUTES, 3650 * DAY_MINUTES, 3650 * DAY_MINUTES],
  precision: 'ms',
  walLevel: 1,
  walFsyncPeriodMs: 3000,
  maxRows: 4096,
  minRows: 100,
};

/** Ranges from TDengine 3.x `create database` (inclusive). */
export const DB_OPTION_RANGES = {
  vgroups: [1, Limits.maxVgroupsPerDb],
  bufferMb: [3, 16384],
  durationMinutes: [1, 3650 * DAY_MINUTES],
  keepMinutes: [DAY_MINUTES, 365000 * DAY_MINUTES],
  walFsyncPeriodMs: [0, 180000],
  maxRows: [200, 10000],
  minRows: [10, 1000],
} as const;

function inRange(db: string, option: string, value: number, range: readonly [number, number], unit = ''): void {
  if (!Number.isInteger(value) || value < range[0] || value > range[1]) {
    throw new BasaltError(
      'DB_OPTION_INVALID',
      `database '${db}': option ${option} = ${value}${unit} is out of range; use ${range[0]}${unit} to ${range[1]}${unit}`,
    );
  }
}

/** Checks a complete option set; `dnodeCount` bounds the replica. */
export function validateDbOptions(db: string, o: DbOptions, dnodeCount: number): void {
  inRange(db, 'vgroups', o.vgroups, DB_OPTION_RANGES.vgroups);
  if (o.replica !== 1 && o.replica !== 3) {
    throw new BasaltError(
      'DB_OPTION_INVALID',
      `database '${db}': replica ${o.replica} is not allowed; use replica 1 or 3`,
    );
  }
  if (o.replica > dnodeCount) {
    throw new BasaltError(
      'OUT_OF_DNODES',
      `database '${db}' asks for replica ${o.replica} but the cluster has ${dnodeCount} dnode(s); add dnodes or use replica 1`,
    );
  }
  inRange(db, 'buffer', o.bufferMb, DB_OPTION_RANGES.bufferMb, 'MB');
  inRange(db, 'duration', o.durationMinutes, DB_OPTION_RANGES.durationMinutes, 'm');
  for (const k of o.keepMinutes) inRange(db, 'keep', k, DB_OPTION_RANGES.keepMinutes, 'm');
  if (!(o.keepMinutes[0] <= o.keepMinutes[1] && o.keepMinutes[1] <= o.keepMinutes[2])) {
    throw new BasaltError(
      'DB_OPTION_INVALID',
      `database '${db}': keep values must not decrease (keep0 <= keep1 <= keep2)`,
    );
  }
  if (o.keepMinutes[0] < 3 * o.durationMinutes) {
    throw new BasaltError(
      'DB_OPTION_INVALID',
      `database '${db}': keep ${formatMinutes(o.keepMinutes[0])} must be at least 3 times duration ${formatMinutes(o.durationMinutes)}; raise keep or lower duration`,
    );
  }
  if (o.precision !== 'ms' && o.precision !== 'us' && o.precision !== 'ns') {
    throw new BasaltError(
      'DB_OPTION_INVALID',
      `database '${db}': precision '${String(o.precision)}' is not allowed; use 'ms', 'us' or 'ns'`,
    );
  }
  if (o.walLevel !== 1 && o.walLevel !== 2) {
    throw new BasaltError(
      'DB_OPTION_INVALID',
      `database '${db}': wal_level ${String(o.walLevel)} is not allowed; use 1 or 2`,
    );
  }
  inRange(db, 'wal_fsync_period', o.walFsyncPeriodMs, DB_OPTION_RANGES.walFsyncPeriodMs, 'ms');
  inRange(db, 'maxrows', o.maxRows, DB_OPTION_RANGES.maxRows);
  inRange(db, 'minrows', o.minRows, DB_OPTION_RANGES.minRows);
  if (o.minRows >= o.maxRows) {
    throw new BasaltError(
      'DB_OPTION_INVALID',
      `database '${db}': minrows ${o.minRows} must be less than maxrows ${o.maxRows}`,
    );
  }
}

/** `14400` → `10d`, `90` → `90m` (TDengine's display of durations in minutes). */
export function formatMinutes(m: number): string {
  if (m % DAY_MINUTES === 0) return `${m / DAY_MINUTES}d`;
  if (m % 60 === 0) return `${m / 60}h`;
  return `${m}m`;
}
