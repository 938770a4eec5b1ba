// A vgroup of a replicated database that has no replica on this dnode, as this dnode's
// engine sees it. The engine of any dnode knows every vgroup of the databases it holds; the
// ones it does not host are RemoteVnodes, so a statement touching them works the same
// (TDengine's client does this with its catalog and per-vgroup RPCs):
//   - mutations (write, DDL) are encoded exactly as a replica would log them and sent to
//     the vgroup (its leader, following hints, through a VgroupLink);
//   - table meta is a cached copy of the vgroup's meta, refreshed by sync() before each
//     statement (one small RPC: the cache is sent again only when the vgroup's meta changed),
//     so the engine's synchronous getTable/listTables answer from it;
//   - scans and aggregates do not exist here: the select path ships its subplans through
//     remoteAgg / remoteRows, run by a replica after a ReadIndex barrier (linearizable).
import type { ColumnBlock } from '../common/block.js';
import { assert } from '../common/assert.js';
import { BasaltError } from '../common/errors.js';
import type { TableInfo, TableKind, TagValue, VnodeOptions, VnodeTables, WriteBatch } from '../storage/api.js';
import { Meta, type MetaOp, type MetaSnapshot } from '../storage/meta.js';
import type { PartialState, SubPlan } from '../query/select/index.js';
import { encodeMetaPayload, encodeWritePayload, MetaMutations } from '../storage/index.js';

/** A replica's Raft view of its vgroup, as reported with its meta. */
export interface RemoteGroupStatus {
  /** 0 when the answering replica knows no leader. */
  readonly leader: number;
  readonly voters: readonly number[];
  readonly learners: readonly number[];
}

export interface RemoteMetaReply {
  readonly epoch: number;
  readonly version: number;
  /** Null when the asker's (epoch, version) is still current. */
  readonly snapshot: MetaSnapshot | null;
  readonly status: RemoteGroupStatus;
  readonly rows: number;
  readonly tables: number;
}

/** How a dnode reaches the replicas of a vgroup it does not host (src/dnode/vgroup-link.ts). */
export interface VgroupLink {
  /** Proposes a mutation payload in the vgroup; resolves once committed and applied by its leader. */
  propose(vgId: number, payload: Uint8Array): Promise<void>;
  /** The vgroup's meta after a read barrier, unless `have` is still current. */
  meta(vgId: number, have: { epoch: number; version: number } | null): Promise<RemoteMetaReply>;
  /** Runs a select subplan on a replica (after a read barrier); `kind` says which runner. */
  subplan(vgId: number, kind: 'agg' | 'rows', plan: unknown): Promise<unknown>;
}

export class RemoteVnode extends MetaMutations implements VnodeTables {
  private meta = new Meta();
  private have: { epoch: number; version: number } | null = null;
  private statusValue: RemoteGroupStatus = { leader: 0, voters: [], learners: [] };
  private counts = { rows: 0, tables: 0 };
  private syncing: Promise<void> | null = null;
  private nextSync: Promise<void> | null = null;
  private everSynced = false;
  /** Why the last sync failed (its reads then fail the same way), or null. */
  private syncError: Error | null = null;
  private closed = false;

  constructor(
    readonly vgId: number,
    readonly options: VnodeOptions,
    private readonly link: VgroupLink,
  ) {
    super();
  }

  /** True once sync() has succeeded at least once (the cache may be used). */
  get synced(): boolean {
    return this.everSynced;
  }
  /** For show vgroups: the Raft view of the replica that answered the last sync (no role here). */
  status(): { leader: number; role: string; voters: readonly number[]; learners: readonly number[] } {
    return { ...this.statusValue, role: 'none' };
  }

  /** The Raft view of the replica that answered the last sync. */
  get groupStatus(): RemoteGroupStatus {
    return this.statusValue;
  }

  /**
   * Brings the meta cache up to date with the vgroup (linearizable: the replica answers
   * after a read barrier). Concurrent callers share one round trip; callers arriving while
   * one is on the wire share the next.
   */
  sync(): Promise<void> {
    this.checkOpen();
    // A sync already on the wire may have been answered before a write the caller saw
    // complete: callers arriving meanwhile share the next one instead.
    if (this.syncing) {
      this.nextSync ??= this.syncing
        .catch(() => undefined)
        .then(() => {
          this.nextSync = null;
          return this.sync();
        });
      return this.nextSync;
    }
    this.syncing = (async () => {
      let r: RemoteMetaReply;
      try {
        r = await this.link.meta(this.vgId, this.have);
      } catch (e) {
        this.syncError = e as Error;
        throw e;
      }
      this.syncError = null;
      if (r.snapshot !== null) {
        const m = new Meta();
        m.restore(r.snapshot);
        this.meta = m;
      } else {
        assert(
          this.have !== null && this.have.epoch === r.epoch && this.have.version === r.version,
          `vgroup ${this.vgId}: a meta reply without tables must confirm the cached version`,
        );
      }
      this.have = { epoch: r.epoch, version: r.version };
      this.everSynced = true;
      this.statusValue = r.status;
      this.counts = { rows: r.rows, tables: r.tables };
    })().finally(() => {
      this.syncing = null;
    });
    return this.syncing;
  }

  // ------------------------------------------------------------ mutations

  protected override async metaOp(op: MetaOp): Promise<void> {
    this.checkOpen();
    // Refuse what the cached meta already refuses (the replica checks again when applying).
    if (this.have !== null) this.meta.check(op);
    try {
      await this.link.propose(this.vgId, encodeMetaPayload(op));
    } finally {
      this.have = null;
    } // changed (or maybe changed): fetch again at the next sync
  }

  async write(batch: WriteBatch): Promise<void> {
    this.checkOpen();
    try {
      await this.link.propose(this.vgId, encodeWritePayload(batch, Date.now()));
    } finally {
      if (batch.createTables && batch.createTables.length > 0) this.have = null;
    }
  }

  // ------------------------------------------------------------ reads

  /** Ships an aggregate subplan; resolves to the replica's exported partial state. */
  async remoteAgg(plan: SubPlan): Promise<PartialState> {
    this.checkOpen();
    return (await this.link.subplan(this.vgId, 'agg', plan)) as PartialState;
  }
  /** Ships a rows subplan; resolves to the replica's blocks. */
  async remoteRows(plan: SubPlan): Promise<ColumnBlock[]> {
    this.checkOpen();
    return (await this.link.subplan(this.vgId, 'rows', plan)) as ColumnBlock[];
  }

  getTable(name: string): TableInfo | undefined {
    this.checkSynced();
    const t = this.meta.get(name);
    return t ? this.meta.info(t) : undefined;
  }

  listTables(filter?: { stable?: string; kind?: TableKind }): TableInfo[] {
    this.checkSynced();
    return this.meta.listInfos(filter);
  }

  childTablesWithTag(stable: string, tagName: string, values: readonly TagValue[]): string[] {
    this.checkSynced();
    return this.meta.childTablesWithTag(stable, tagName, values);
  }

  // ------------------------------------------------------------ maintenance: the replicas' own business

  async flush(): Promise<void> {
    /* each replica flushes itself */
  }
  async compact(): Promise<void> {
    /* each replica compacts itself */
  }
  async applyRetention(): Promise<void> {
    /* each replica applies retention itself */
  }

  stats(): { diskBytes: number; memtableBytes: number; rows: number; tables: number } {
    return { diskBytes: 0, memtableBytes: 0, rows: this.counts.rows, tables: this.counts.tables };
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private checkOpen(): void {
    if (this.closed) throw new BasaltError('SHUTTING_DOWN', `the remote view of vgroup ${this.vgId} is closed`);
  }

  private checkSynced(): void {
    this.checkOpen();
    // The engine syncs every remote vgroup of a database before a statement uses it; one that
    // could not be reached answers with that error rather than with tables that may be stale.
    if (this.syncError) throw this.syncError;
    if (!this.everSynced) {
      throw new BasaltError(
        'NOT_READY',
        `the tables of vgroup ${this.vgId} are not known on this dnode yet (its replicas did not answer); retry`,
      );
    }
  }
}
