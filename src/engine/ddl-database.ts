// create / alter / drop / use database, and flush / compact of its vnodes. The catalog commits
// first (the desired state), then the vnodes follow; on start the engine reconciles vnodes
// with the catalog, so a crash between the two never leaves a database half made.
import { BasaltError } from '../common/errors.js';
import type { DbOptions } from '../common/db-options.js';
import type {
  AlterDatabaseStmt,
  CompactDatabaseStmt,
  CreateDatabaseStmt,
  DbOption,
  DropDatabaseStmt,
  DurationValue,
  FlushDatabaseStmt,
  UseDatabaseStmt,
} from '../sql/ast.js';
import type { StatementResult } from './engine-api.js';
import { vnodeOptionsOf, type EngineCore } from './engine-core.js';
import { execResult } from './result-rows.js';

/** Options that TDengine accepts and Basalt has no use for yet; accepted so scripts still run. */
const IGNORED_OPTIONS = new Set([
  'pages',
  'pagesize',
  'comp',
  'cachesize',
  'stt_trigger',
  'wal_retention_period',
  'wal_retention_size',
  'cachemodel',
  'strict',
]);

const UNIT_MINUTES: Record<string, number> = { m: 1, h: 60, d: 1440 };

function durationMinutes(db: string, option: string, v: DurationValue): number {
  const unit = v.unit ?? 'd';
  const per = UNIT_MINUTES[unit];
  if (per === undefined) {
    throw new BasaltError(
      'DB_OPTION_INVALID',
      `database '${db}': ${option} '${v.text}' must be in minutes (m), hours (h) or days (d)`,
    );
  }
  return Number(v.value) * per;
}

/** AST options → the fields they set (a repeated option: the last one wins). */
export function dbOptionsFromAst(db: string, opts: readonly DbOption[]): Partial<DbOptions> {
  const out: { -readonly [K in keyof DbOptions]?: DbOptions[K] } = {};
  for (const o of opts) {
    switch (o.name) {
      case 'vgroups':
        out.vgroups = o.value;
        break;
      case 'replica':
        out.replica = o.value;
        break;
      case 'buffer':
        out.bufferMb = o.value;
        break;
      case 'wal_level':
        out.walLevel = o.value as 1 | 2;
        break;
      case 'wal_fsync_period':
        out.walFsyncPeriodMs = o.value;
        break;
      case 'maxrows':
        out.maxRows = o.value;
        break;
      case 'minrows':
        out.minRows = o.value;
        break;
      case 'precision': {
        const p = o.value.toLowerCase();
        if (p !== 'ms' && p !== 'us' && p !== 'ns') {
          throw new BasaltError(
            'DB_OPTION_INVALID',
            `database '${db}': precision '${o.value}' is not allowed; use 'ms', 'us' or 'ns'`,
          );
        }
        out.precision = p;
        break;
      }
      case 'duration':
        out.durationMinutes = durationMinutes(db, 'duration', o.value);
        break;
      case 'keep': {
        const k = o.values.map((v) => durationMinutes(db, 'keep', v));
        if (k.length < 1 || k.length > 3)
          throw new BasaltError('DB_OPTION_INVALID', `database '${db}': keep takes 1 to 3 values`);
        out.keepMinutes = [k[0]!, k[1] ?? k[k.length - 1]!, k[2] ?? k[k.length - 1]!];
        break;
      }
      default:
        if (!IGNORED_OPTIONS.has(o.name))
          throw new BasaltError('DB_OPTION_INVALID', `database '${db}': unknown option '${o.name}'`);
    }
  }
  return out;
}

export async function createDatabase(core: EngineCore, s: CreateDatabaseStmt): Promise<StatementResult> {
  if (core.catalog.getDb(s.name) && s.ifNotExists) return execResult('Create');
  const op = core.catalog.planCreateDb(
    s.name,
    dbOptionsFromAst(s.name, s.options),
    core.dnodeCount,
    core.options.dnode.supportVnodes,
    core.nowMs(),
  );
  core.catalog.commit(op);
  await core.openDb(core.catalog.requireDb(s.name));
  return execResult('Create');
}

export async function dropDatabase(core: EngineCore, s: DropDatabaseStmt): Promise<StatementResult> {
  const db = core.catalog.getDb(s.name);
  if (!db) {
    if (s.ifExists) return execResult('Drop');
    throw new BasaltError(
      'DB_NOT_EXIST',
      `database '${s.name}' does not exist; use 'drop database if exists' to ignore`,
    );
  }
  core.catalog.commit({ op: 'dropDb', name: s.name });
  for (const vg of db.vgroups) await core.dropVgroup(vg.vgId);
  return execResult('Drop');
}

export async function alterDatabase(core: EngineCore, s: AlterDatabaseStmt): Promise<StatementResult> {
  const before = core.catalog.requireDb(s.name);
  const op = core.catalog.planAlterDb(s.name, dbOptionsFromAst(s.name, s.options), core.dnodeCount);
  core.catalog.commit(op);
  const after = core.catalog.requireDb(s.name);
  // Stores take their options at open: reopen each vnode so the new buffer/keep/WAL apply.
  if (JSON.stringify(vnodeOptionsOf(before.options)) !== JSON.stringify(vnodeOptionsOf(after.options))) {
    for (const vg of after.vgroups)
      if (core.hostsVgroup(vg.vgId)) await core.vnodes.reopen(vg.vgId, vnodeOptionsOf(after.options));
  }
  return execResult('Alter');
}

export function useDatabase(core: EngineCore, s: UseDatabaseStmt): StatementResult {
  core.db(s.name);
  return execResult('Use', 0, s.name);
}

export async function flushDatabase(core: EngineCore, s: FlushDatabaseStmt): Promise<StatementResult> {
  for (const vg of core.db(s.name).vgroups) await core.store(vg.vgId).flush();
  return execResult('Flush');
}

export async function compactDatabase(core: EngineCore, s: CompactDatabaseStmt): Promise<StatementResult> {
  for (const vg of core.db(s.name).vgroups) await core.store(vg.vgId).compact();
  return execResult('Compact');
}
