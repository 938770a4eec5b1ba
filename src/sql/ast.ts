// The SQL abstract syntax tree: what the parser produces and the statement engine and the
// select executor consume. Every node carries `pos` (where its first token starts) so later
// stages can name the token and its position in their errors. Names are already normalized:
// unquoted identifiers are lower case, backtick-quoted ones keep their case.
// This file is a contract shared by several layers: add fields or kinds, never rename them.
import type { DataType } from '../common/types.js';

/** Where a node starts in the SQL text: 0-based index into the string (UTF-16 units), 1-based line and column. */
export interface Pos {
  readonly offset: number;
  readonly line: number;
  readonly column: number;
}

/** `[db.]name`; `db` is null when unqualified (the session's database applies). */
export interface TableName {
  readonly db: string | null;
  readonly name: string;
  readonly pos: Pos;
}

// ---------------------------------------------------------------------------------------
// Expressions
// ---------------------------------------------------------------------------------------

/**
 * Duration units as TDengine writes them: b ns, u µs, a ms, s, m minute, h, d, w, n month, y.
 * `src/common/time.ts` `parseDurationMs(text)` converts the fixed-length ones.
 */
export type DurationUnit = 'b' | 'u' | 'a' | 's' | 'm' | 'h' | 'd' | 'w' | 'n' | 'y';

/** `column`, `t.column`. Pseudo columns (tbname, _wstart, ...) are `PseudoColumn` instead. */
export interface ColumnRef {
  readonly kind: 'column';
  readonly table: string | null;
  readonly name: string;
  readonly pos: Pos;
}

/** `*` or `t.*` in a select list, or the `*` argument of `count(*)`, `last(*)`, `last_row(*)`. */
export interface StarExpr {
  readonly kind: 'star';
  readonly table: string | null;
  readonly pos: Pos;
}

/**
 * An integer literal: decimal or 0x hex. `value` is always an exact bigint (it may exceed
 * 2^53 or even 64 bits; range checks belong to the analyzer); `text` is the source text.
 * A sign before a number literal is folded in: `-5` is value -5n, text '-5'; `+5` is 5n, text '5'.
 */
export interface IntegerLiteral {
  readonly kind: 'integer';
  readonly value: bigint;
  readonly text: string;
  readonly pos: Pos;
}

/** A literal with a fraction or exponent: `1.5`, `.5`, `1e10`. May be ±Infinity when huge. */
export interface FloatLiteral {
  readonly kind: 'float';
  readonly value: number;
  readonly text: string;
  readonly pos: Pos;
}

/** `'abc'` or `"abc"`, escapes resolved (\' \" \\ \n \t \r \0, doubled quotes). */
export interface StringLiteral {
  readonly kind: 'string';
  readonly value: string;
  readonly pos: Pos;
}

export interface BoolLiteral {
  readonly kind: 'bool';
  readonly value: boolean;
  readonly pos: Pos;
}

export interface NullLiteral {
  readonly kind: 'null';
  readonly pos: Pos;
}

/** `now` or `now()`: the statement's current time in the database's precision. */
export interface NowExpr {
  readonly kind: 'now';
  readonly pos: Pos;
}

/** `1s`, `2h`, `10d`, `100a`: an amount and a unit, as in `now + 1s`, `interval(1h)`. */
export interface DurationLiteral {
  readonly kind: 'duration';
  readonly value: bigint;
  readonly unit: DurationUnit;
  /** Source text, e.g. '10d' (feed to parseDurationMs). */
  readonly text: string;
  readonly pos: Pos;
}

/** Pseudo columns: table name, window bounds, the row timestamp, the query range. */
export type PseudoName =
  | 'tbname'
  | '_wstart'
  | '_wend'
  | '_wduration'
  | '_rowts'
  | '_qstart'
  | '_qend'
  | '_irowts'
  | '_c0';

export interface PseudoColumn {
  readonly kind: 'pseudo';
  readonly name: PseudoName;
  /** Qualifier as in `t.tbname`, else null. */
  readonly table: string | null;
  readonly pos: Pos;
}

export type ArithmeticOp = '+' | '-' | '*' | '/' | '%';
export type BitOp = '&' | '|';
/** `!=` is normalized to `<>`. */
export type ComparisonOp = '=' | '<>' | '<' | '<=' | '>' | '>=';
export type LogicalOp = 'and' | 'or';
export type BinaryOp = ArithmeticOp | BitOp | ComparisonOp | LogicalOp;

export interface BinaryExpr {
  readonly kind: 'binary';
  readonly op: BinaryOp;
  readonly left: Expr;
  readonly right: Expr;
  /** Position of the left operand's start. */
  readonly pos: Pos;
  /** Position of the operator token. */
  readonly opPos: Pos;
}

export interface UnaryExpr {
  readonly kind: 'unary';
  readonly op: '-' | '+' | 'not';
  readonly operand: Expr;
  readonly pos: Pos;
}

/** `x [not] in (a, b, c)`. */
export interface InExpr {
  readonly kind: 'in';
  readonly expr: Expr;
  readonly list: readonly Expr[];
  readonly not: boolean;
  readonly pos: Pos;
}

/** `x [not] between lo and hi`. */
export interface BetweenExpr {
  readonly kind: 'between';
  readonly expr: Expr;
  readonly low: Expr;
  readonly high: Expr;
  readonly not: boolean;
  readonly pos: Pos;
}

/** `x [not] like 'pat%'`, and TDengine's regex forms `x match 're'`, `x nmatch 're'`. */
export interface LikeExpr {
  readonly kind: 'like';
  readonly op: 'like' | 'match' | 'nmatch';
  readonly expr: Expr;
  readonly pattern: Expr;
  readonly not: boolean;
  readonly pos: Pos;
}

/** `x is [not] null`. */
export interface IsNullExpr {
  readonly kind: 'isNull';
  readonly expr: Expr;
  readonly not: boolean;
  readonly pos: Pos;
}

/**
 * A function call: `abs(x)`, `count(*)` (args = [StarExpr]), `percentile(x, 90)`,
 * `timetruncate(ts, 1h)`. `name` is lower case. `now()` is a NowExpr, `cast` a CastExpr.
 */
export interface FunctionCall {
  readonly kind: 'function';
  readonly name: string;
  readonly args: readonly Expr[];
  readonly pos: Pos;
}

/** `cast(x as type)`. */
export interface CastExpr {
  readonly kind: 'cast';
  readonly expr: Expr;
  readonly type: TypeSpec;
  readonly pos: Pos;
}

/** `case [x] when a then b ... [else c] end`. `operand` is null for the searched form. */
export interface CaseExpr {
  readonly kind: 'case';
  readonly operand: Expr | null;
  readonly whens: ReadonlyArray<{ readonly when: Expr; readonly then: Expr }>;
  readonly else: Expr | null;
  readonly pos: Pos;
}

export type Expr =
  | ColumnRef
  | StarExpr
  | IntegerLiteral
  | FloatLiteral
  | StringLiteral
  | BoolLiteral
  | NullLiteral
  | NowExpr
  | DurationLiteral
  | PseudoColumn
  | BinaryExpr
  | UnaryExpr
  | InExpr
  | BetweenExpr
  | LikeExpr
  | IsNullExpr
  | FunctionCall
  | CastExpr
  | CaseExpr;

// ---------------------------------------------------------------------------------------
// Types and column definitions
// ---------------------------------------------------------------------------------------

/**
 * A column type as written: `int`, `int unsigned`, `varchar(20)`, `binary(16)` (= VARCHAR),
 * `nchar(8)`, `timestamp`, `bool`... `length` is the declared length for VARCHAR/NCHAR
 * (bytes / characters; range checks belong to the analyzer), null for fixed-size types.
 */
export interface TypeSpec {
  readonly type: DataType;
  readonly length: number | null;
  /** The type as written, normalized: e.g. 'BINARY(16)', 'INT UNSIGNED'. */
  readonly text: string;
  readonly pos: Pos;
}

export interface ColumnDef {
  readonly name: string;
  readonly type: TypeSpec;
  /** `comment '...'` after the type, else null. */
  readonly comment: string | null;
  readonly pos: Pos;
}

// ---------------------------------------------------------------------------------------
// Databases
// ---------------------------------------------------------------------------------------

/** Options whose value is one integer. */
export type NumericDbOptionName =
  | 'vgroups'
  | 'replica'
  | 'buffer'
  | 'wal_level'
  | 'wal_fsync_period'
  | 'maxrows'
  | 'minrows'
  | 'pages'
  | 'pagesize'
  | 'comp'
  | 'cachesize'
  | 'stt_trigger'
  | 'wal_retention_period'
  | 'wal_retention_size';

/** Options whose value is one string: `precision 'ms'`, `cachemodel 'last_row'`, `strict 'off'`. */
export type StringDbOptionName = 'precision' | 'cachemodel' | 'strict';

/** A duration option value: `10d`, `12h`, or a bare integer (`unit` null: the option's default unit, days). */
export interface DurationValue {
  readonly value: bigint;
  readonly unit: DurationUnit | null;
  readonly text: string;
  readonly pos: Pos;
}

/**
 * One `create/alter database` option, in source order (a repeated option appears twice;
 * the analyzer decides). `pos` is the option keyword, `valuePos` its (first) value.
 */
export type DbOption =
  | { readonly name: NumericDbOptionName; readonly value: number; readonly pos: Pos; readonly valuePos: Pos }
  | { readonly name: StringDbOptionName; readonly value: string; readonly pos: Pos; readonly valuePos: Pos }
  | { readonly name: 'duration'; readonly value: DurationValue; readonly pos: Pos; readonly valuePos: Pos }
  /** `keep 3650d` or `keep 10d,100d,3650d` (1 to 3 values, as written). */
  | { readonly name: 'keep'; readonly values: readonly DurationValue[]; readonly pos: Pos; readonly valuePos: Pos };

export interface CreateDatabaseStmt {
  readonly kind: 'createDatabase';
  readonly ifNotExists: boolean;
  readonly name: string;
  readonly options: readonly DbOption[];
  readonly pos: Pos;
}

export interface AlterDatabaseStmt {
  readonly kind: 'alterDatabase';
  readonly name: string;
  readonly options: readonly DbOption[];
  readonly pos: Pos;
}

export interface DropDatabaseStmt {
  readonly kind: 'dropDatabase';
  readonly ifExists: boolean;
  readonly name: string;
  readonly pos: Pos;
}

export interface UseDatabaseStmt {
  readonly kind: 'useDatabase';
  readonly name: string;
  readonly pos: Pos;
}

/** `flush database db` / `compact database db`. */
export interface FlushDatabaseStmt {
  readonly kind: 'flushDatabase';
  readonly name: string;
  readonly pos: Pos;
}

export interface CompactDatabaseStmt {
  readonly kind: 'compactDatabase';
  readonly name: string;
  readonly pos: Pos;
}

// ---------------------------------------------------------------------------------------
// Tables
// ---------------------------------------------------------------------------------------

/** `create table [if not exists] t (cols)`: a normal table. */
export interface CreateTableStmt {
  readonly kind: 'createTable';
  readonly ifNotExists: boolean;
  readonly table: TableName;
  readonly columns: readonly ColumnDef[];
  readonly comment: string | null;
  readonly pos: Pos;
}

/** `create stable [if not exists] st (cols) tags (tags)`, also `create table ... tags (...)`. */
export interface CreateStableStmt {
  readonly kind: 'createStable';
  readonly ifNotExists: boolean;
  readonly table: TableName;
  readonly columns: readonly ColumnDef[];
  readonly tags: readonly ColumnDef[];
  readonly comment: string | null;
  readonly pos: Pos;
}

/** One child table in `create table [if not exists] d using st [(tag names)] tags (values)`. */
export interface ChildTableDef {
  readonly ifNotExists: boolean;
  readonly table: TableName;
  readonly stable: TableName;
  /** Explicit tag names, or null for all tags in schema order. */
  readonly tagNames: readonly string[] | null;
  readonly tagValues: readonly Expr[];
  readonly pos: Pos;
}

/** `create table d1 using st tags (...) [d2 using st tags (...)]...`: one or more child tables. */
export interface CreateChildTablesStmt {
  readonly kind: 'createChildTables';
  readonly tables: readonly ChildTableDef[];
  readonly pos: Pos;
}

/** `drop table [if exists] t1 [, t2...]`. */
export interface DropTableStmt {
  readonly kind: 'dropTable';
  readonly ifExists: boolean;
  readonly tables: readonly TableName[];
  readonly pos: Pos;
}

export interface DropStableStmt {
  readonly kind: 'dropStable';
  readonly ifExists: boolean;
  readonly table: TableName;
  readonly pos: Pos;
}

/** `describe t` / `desc t`. */
export interface DescribeStmt {
  readonly kind: 'describe';
  readonly table: TableName;
  readonly pos: Pos;
}

export type AlterTableAction =
  | { readonly action: 'addColumn'; readonly column: ColumnDef; readonly pos: Pos }
  | { readonly action: 'dropColumn'; readonly name: string; readonly pos: Pos }
  /** Only VARCHAR/NCHAR lengths may grow; the analyzer checks. */
  | { readonly action: 'modifyColumn'; readonly column: ColumnDef; readonly pos: Pos }
  | { readonly action: 'renameColumn'; readonly oldName: string; readonly newName: string; readonly pos: Pos }
  | { readonly action: 'addTag'; readonly column: ColumnDef; readonly pos: Pos }
  | { readonly action: 'dropTag'; readonly name: string; readonly pos: Pos }
  | { readonly action: 'modifyTag'; readonly column: ColumnDef; readonly pos: Pos }
  | { readonly action: 'renameTag'; readonly oldName: string; readonly newName: string; readonly pos: Pos }
  /** `alter table d set tag t = v` (child tables only). */
  | { readonly action: 'setTag'; readonly name: string; readonly value: Expr; readonly pos: Pos };

/** `alter table|stable t <action>`; `stable` says which keyword was written. */
export interface AlterTableStmt {
  readonly kind: 'alterTable';
  readonly stable: boolean;
  readonly table: TableName;
  readonly action: AlterTableAction;
  readonly pos: Pos;
}

// ---------------------------------------------------------------------------------------
// Insert and delete
// ---------------------------------------------------------------------------------------

/** `using st [(tag names)] tags (values)` in an insert: create the child table if missing. */
export interface InsertUsing {
  readonly stable: TableName;
  readonly tagNames: readonly string[] | null;
  readonly tagValues: readonly Expr[];
  readonly pos: Pos;
}

/** One table's part of an insert: `t [using ...] [(cols)] values (...)(...)`. */
export interface InsertTarget {
  readonly table: TableName;
  readonly using: InsertUsing | null;
  /** Explicit column names, or null for all columns in schema order. */
  readonly columns: readonly string[] | null;
  /** Each row's value expressions (literals, now, now±duration, -n, null, true...). */
  readonly rows: ReadonlyArray<readonly Expr[]>;
  readonly pos: Pos;
}

/** `insert into t1 values (..)(..) t2 using st tags (..) values (..)`. */
export interface InsertStmt {
  readonly kind: 'insert';
  readonly targets: readonly InsertTarget[];
  readonly pos: Pos;
}

/** `delete from t [where ...]`. */
export interface DeleteStmt {
  readonly kind: 'delete';
  readonly table: TableName;
  readonly where: Expr | null;
  readonly pos: Pos;
}

// ---------------------------------------------------------------------------------------
// Select
// ---------------------------------------------------------------------------------------

export interface SelectItem {
  readonly expr: Expr;
  /** `as name` or bare `name` after the expression, else null. */
  readonly alias: string | null;
  /**
   * The expression's source text exactly as written (trimmed): TDengine names result
   * columns by it, e.g. 'count(*)', 'avg(current)'.
   */
  readonly text: string;
  readonly pos: Pos;
}

export type FromClause =
  | { readonly kind: 'table'; readonly table: TableName; readonly alias: string | null; readonly pos: Pos }
  | { readonly kind: 'subquery'; readonly select: SelectStmt; readonly alias: string | null; readonly pos: Pos };

export type FillMode = 'none' | 'null' | 'null_f' | 'value' | 'value_f' | 'prev' | 'next' | 'linear';

/** `fill(mode)`; `values` holds the constants of `fill(value, v1, v2...)`, else empty. */
export interface FillClause {
  readonly mode: FillMode;
  readonly values: readonly Expr[];
  readonly pos: Pos;
}

/** `interval(d [, offset]) [sliding(d)] [fill(...)]`. */
export interface IntervalWindow {
  readonly kind: 'interval';
  readonly interval: DurationLiteral;
  readonly offset: DurationLiteral | null;
  readonly sliding: DurationLiteral | null;
  readonly fill: FillClause | null;
  readonly pos: Pos;
}

/** `session(ts_col, gap)`. */
export interface SessionWindow {
  readonly kind: 'session';
  readonly column: Expr;
  readonly gap: DurationLiteral;
  readonly pos: Pos;
}

/** `state_window(expr)`. */
export interface StateWindow {
  readonly kind: 'state';
  readonly expr: Expr;
  readonly pos: Pos;
}

export type WindowClause = IntervalWindow | SessionWindow | StateWindow;

export interface OrderItem {
  readonly expr: Expr;
  readonly desc: boolean;
  /** `nulls first|last` if written, else null. */
  readonly nulls: 'first' | 'last' | null;
  readonly pos: Pos;
}

/** `limit n [offset m]` or `limit m, n` (offset first); counts are non-negative integers. */
export interface LimitClause {
  readonly limit: number;
  readonly offset: number;
  readonly pos: Pos;
}

/**
 * select [distinct] items [from ...] [where ...] [partition by ...] [window] [group by ...]
 * [having ...] [order by ...] [slimit n [soffset m]] [limit n [offset m]]
 * (slimit and limit are accepted in either order).
 */
export interface SelectStmt {
  readonly kind: 'select';
  readonly distinct: boolean;
  readonly items: readonly SelectItem[];
  /** Null for `select now()`, `select server_version()`, `select 1+1`. */
  readonly from: FromClause | null;
  readonly where: Expr | null;
  readonly partitionBy: readonly Expr[];
  readonly window: WindowClause | null;
  readonly groupBy: readonly Expr[];
  readonly having: Expr | null;
  readonly orderBy: readonly OrderItem[];
  readonly limit: LimitClause | null;
  /** `slimit n [soffset m]`: limits the number of partitions/groups. */
  readonly slimit: LimitClause | null;
  readonly pos: Pos;
}

// ---------------------------------------------------------------------------------------
// Show
// ---------------------------------------------------------------------------------------

export interface ShowDatabasesStmt {
  readonly kind: 'showDatabases';
  readonly pos: Pos;
}

/** `show [db.]tables [like 'pat']`. */
export interface ShowTablesStmt {
  readonly kind: 'showTables';
  readonly db: string | null;
  readonly like: string | null;
  readonly pos: Pos;
}

/** `show [db.]stables [like 'pat']`. */
export interface ShowStablesStmt {
  readonly kind: 'showStables';
  readonly db: string | null;
  readonly like: string | null;
  readonly pos: Pos;
}

export interface ShowCreateTableStmt {
  readonly kind: 'showCreateTable';
  readonly table: TableName;
  readonly pos: Pos;
}
export interface ShowCreateStableStmt {
  readonly kind: 'showCreateStable';
  readonly table: TableName;
  readonly pos: Pos;
}
export interface ShowCreateDatabaseStmt {
  readonly kind: 'showCreateDatabase';
  readonly name: string;
  readonly pos: Pos;
}

export interface ShowDnodesStmt {
  readonly kind: 'showDnodes';
  readonly pos: Pos;
}
export interface ShowMnodesStmt {
  readonly kind: 'showMnodes';
  readonly pos: Pos;
}

/** `show vgroups` / `show db.vgroups`. */
export interface ShowVgroupsStmt {
  readonly kind: 'showVgroups';
  readonly db: string | null;
  readonly pos: Pos;
}

/** `show vnodes [on dnode N]`. */
export interface ShowVnodesStmt {
  readonly kind: 'showVnodes';
  readonly dnodeId: number | null;
  readonly pos: Pos;
}

/** `show cluster`. */
export interface ShowClusterStmt {
  readonly kind: 'showCluster';
  readonly pos: Pos;
}

/** `show [cluster|local] variables [like 'pat']`. */
export interface ShowVariablesStmt {
  readonly kind: 'showVariables';
  readonly scope: 'cluster' | 'local';
  readonly like: string | null;
  readonly pos: Pos;
}

/** `show dnode N variables [like 'pat']`. */
export interface ShowDnodeVariablesStmt {
  readonly kind: 'showDnodeVariables';
  readonly dnodeId: number;
  readonly like: string | null;
  readonly pos: Pos;
}

export interface ShowTransactionsStmt {
  readonly kind: 'showTransactions';
  readonly pos: Pos;
}
export interface ShowUsersStmt {
  readonly kind: 'showUsers';
  readonly pos: Pos;
}
/** `show audit`: the newest audit records of the dnode it runs on (super users only). */
export interface ShowAuditStmt {
  readonly kind: 'showAudit';
  readonly pos: Pos;
}

// ---------------------------------------------------------------------------------------
// Cluster and users
// ---------------------------------------------------------------------------------------

/**
 * `create dnode "fqdn:port"`, `create dnode fqdn`, `create dnode fqdn port p`.
 * `endpoint` is always `fqdn[:port]` as one string; the executor validates it.
 */
export interface CreateDnodeStmt {
  readonly kind: 'createDnode';
  readonly endpoint: string;
  readonly pos: Pos;
}

/** `create join token [expire 7d]`: a multi-use join token; `expireMs` 0 never expires. */
export interface CreateJoinTokenStmt {
  readonly kind: 'createJoinToken';
  readonly expireMs: number;
  readonly pos: Pos;
}

/** `drop dnode N [force] [unsafe]` or `drop dnode "fqdn:port" ...`: exactly one of dnodeId/endpoint is set. */
export interface DropDnodeStmt {
  readonly kind: 'dropDnode';
  readonly dnodeId: number | null;
  readonly endpoint: string | null;
  readonly force: boolean;
  readonly unsafe: boolean;
  readonly pos: Pos;
}

export interface CreateMnodeStmt {
  readonly kind: 'createMnode';
  readonly dnodeId: number;
  readonly pos: Pos;
}
export interface DropMnodeStmt {
  readonly kind: 'dropMnode';
  readonly dnodeId: number;
  readonly pos: Pos;
}

/** `balance vgroup`. */
export interface BalanceVgroupStmt {
  readonly kind: 'balanceVgroup';
  readonly pos: Pos;
}

/** `balance vgroup leader [on vgid | database db]`. */
export interface BalanceVgroupLeaderStmt {
  readonly kind: 'balanceVgroupLeader';
  readonly vgId: number | null;
  readonly db: string | null;
  readonly pos: Pos;
}

/** `redistribute vgroup N dnode a [dnode b] [dnode c]`. */
export interface RedistributeVgroupStmt {
  readonly kind: 'redistributeVgroup';
  readonly vgId: number;
  readonly dnodeIds: readonly number[];
  readonly pos: Pos;
}

/** `alter dnode N 'key' ['value']` (dnodeId set) or `alter all dnodes 'key' ['value']` (dnodeId null). */
export interface AlterDnodeStmt {
  readonly kind: 'alterDnode';
  readonly dnodeId: number | null;
  readonly key: string;
  readonly value: string | null;
  readonly pos: Pos;
}

/** `create user u pass 'p' [sysinfo 0|1]` (sysinfo defaults to 1). */
export interface CreateUserStmt {
  readonly kind: 'createUser';
  readonly user: string;
  readonly password: string;
  readonly sysinfo: 0 | 1;
  readonly pos: Pos;
}
/** `alter user u pass 'p' | enable 0|1 | sysinfo 0|1`: exactly one of the three is set. */
export interface AlterUserStmt {
  readonly kind: 'alterUser';
  readonly user: string;
  readonly password: string | null;
  readonly enable: 0 | 1 | null;
  readonly sysinfo: 0 | 1 | null;
  readonly pos: Pos;
}
/** `show user privileges`. */
export interface ShowUserPrivilegesStmt {
  readonly kind: 'showUserPrivileges';
  readonly pos: Pos;
}
/** `grant read|write|all on db.*|db.table to u`, `revoke … from u`; `table` is '*' for every table. */
export interface GrantStmt {
  readonly kind: 'grant' | 'revoke';
  readonly privilege: 'read' | 'write' | 'all';
  readonly db: string;
  readonly table: string;
  readonly user: string;
  readonly pos: Pos;
}
export interface DropUserStmt {
  readonly kind: 'dropUser';
  readonly user: string;
  readonly pos: Pos;
}

export type Statement =
  | CreateJoinTokenStmt
  | CreateDatabaseStmt
  | AlterDatabaseStmt
  | DropDatabaseStmt
  | UseDatabaseStmt
  | FlushDatabaseStmt
  | CompactDatabaseStmt
  | CreateTableStmt
  | CreateStableStmt
  | CreateChildTablesStmt
  | DropTableStmt
  | DropStableStmt
  | DescribeStmt
  | AlterTableStmt
  | InsertStmt
  | DeleteStmt
  | SelectStmt
  | ShowDatabasesStmt
  | ShowTablesStmt
  | ShowStablesStmt
  | ShowCreateTableStmt
  | ShowCreateStableStmt
  | ShowCreateDatabaseStmt
  | ShowDnodesStmt
  | ShowMnodesStmt
  | ShowVgroupsStmt
  | ShowVnodesStmt
  | ShowClusterStmt
  | ShowVariablesStmt
  | ShowDnodeVariablesStmt
  | ShowTransactionsStmt
  | ShowUsersStmt
  | ShowAuditStmt
  | CreateDnodeStmt
  | DropDnodeStmt
  | CreateMnodeStmt
  | DropMnodeStmt
  | BalanceVgroupStmt
  | BalanceVgroupLeaderStmt
  | RedistributeVgroupStmt
  | AlterDnodeStmt
  | CreateUserStmt
  | AlterUserStmt
  | DropUserStmt
  | ShowUserPrivilegesStmt
  | GrantStmt;

export type StatementKind = Statement['kind'];

/** Narrows a Statement by kind: `StatementOf<'select'>` is SelectStmt. */
export type StatementOf<K extends StatementKind> = Extract<Statement, { kind: K }>;
