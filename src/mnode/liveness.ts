// The mnode leader's soft view of dnode liveness (TDengine keeps it outside the sdb too):
// when each dnode last sent an accepted status, its reboot time, support_vnodes, and the
// reason it is refused. Rebuilt from nothing when a new leader takes over: joined dnodes
// get a grace period of one offline timeout instead of being shown offline at once.
export interface DnodeLiveness {
  lastSeenMs: number;
  rebootTimeMs: number;
  supportVnodes: number;
  /** The dnode reported at least once (or was joined when this leader took over). */
  everSeen: boolean;
  /** Refusal note ('timezone not match', 'clusterId not match', ...) and when it was set. */
  refusal: string;
  refusalAtMs: number;
  /** When a connection it had proven itself on closed (0: never); offline until it reports again. */
  lostAtMs: number;
  /**
   * Non-empty while the mnode leader has not reached the dnode at its endpoint (checking, or
   * why it failed: `fqdn 'x' does not resolve from dnode 1; ...`): offline with that note.
   */
  reach: string;
  /** When the status last changed between ready and offline. */
  statusSinceMs: number;
  lastStatus: 'ready' | 'offline';
}

export interface LivenessView {
  status: 'ready' | 'offline';
  note: string;
}

export class Liveness {
  private readonly byId = new Map<number, DnodeLiveness>();

  constructor(private readonly offlineAfterMs: () => number) {}

  private entry(id: number, nowMs: number): DnodeLiveness {
    let e = this.byId.get(id);
    if (!e) {
      e = {
        lastSeenMs: 0,
        rebootTimeMs: 0,
        supportVnodes: 0,
        everSeen: false,
        refusal: '',
        refusalAtMs: 0,
        lostAtMs: 0,
        reach: '',
        statusSinceMs: nowMs,
        lastStatus: 'offline',
      };
      this.byId.set(id, e);
    }
    return e;
  }

  get(id: number): DnodeLiveness | undefined {
    return this.byId.get(id);
  }

  /** A new leader: give every joined dnode one offline timeout to report before calling it offline. */
  grace(ids: readonly number[], nowMs: number): void {
    this.byId.clear();
    for (const id of ids) {
      const e = this.entry(id, nowMs);
      e.lastSeenMs = nowMs;
      e.everSeen = true;
      e.lastStatus = 'ready';
    }
  }

  seen(id: number, nowMs: number, rebootTimeMs: number, supportVnodes: number): void {
    const e = this.entry(id, nowMs);
    e.lastSeenMs = nowMs;
    e.rebootTimeMs = rebootTimeMs;
    e.supportVnodes = supportVnodes;
    e.everSeen = true;
    e.refusal = '';
  }

  refuse(id: number, note: string, nowMs: number): void {
    const e = this.entry(id, nowMs);
    e.refusal = note;
    e.refusalAtMs = nowMs;
    // A refused dnode is offline whatever it reported before.
    e.lastSeenMs = 0;
  }

  /**
   * A connection the dnode had authenticated on closed (its process died, its host or the
   * network went away): offline now, not after the status timeout; its next status makes it
   * ready again.
   */
  connectionLost(id: number, nowMs: number): void {
    const e = this.byId.get(id);
    if (e?.everSeen) e.lostAtMs = nowMs;
  }

  /** The leader's reachability verdict on the dnode's endpoint ('' once reached). */
  setReach(id: number, note: string, nowMs: number): void {
    this.entry(id, nowMs).reach = note;
  }

  forget(id: number): void {
    this.byId.delete(id);
  }

  view(id: number, nowMs: number): LivenessView {
    const e = this.byId.get(id);
    let v: LivenessView;
    if (!e) v = { status: 'offline', note: 'status not received' };
    else if (e.refusal !== '') v = { status: 'offline', note: e.refusal };
    else if (e.reach !== '' && e.lastSeenMs > 0) v = { status: 'offline', note: e.reach };
    else if (e.lostAtMs > 0 && e.lostAtMs >= e.lastSeenMs) v = { status: 'offline', note: 'connection lost' };
    else if (e.lastSeenMs > 0 && nowMs - e.lastSeenMs <= this.offlineAfterMs()) v = { status: 'ready', note: '' };
    else v = { status: 'offline', note: e.everSeen ? 'status msg timeout' : 'status not received' };
    if (e && e.lastStatus !== v.status) {
      e.lastStatus = v.status;
      e.statusSinceMs = nowMs;
    }
    return v;
  }
}
