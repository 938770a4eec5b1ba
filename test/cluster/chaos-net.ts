// The chaos test's three dnodes and the faults it injects into them.
//
// Two network modes:
//   - netns (root with a working `ip netns`): each dnode runs in its own network namespace
//     with its own address, all joined by a bridge in a fourth namespace; this process
//     reaches them through one more veth pair whose root-namespace end gets the subnet's .1.
//     A partition sets the dnode's bridge port down: it is cut off from the other dnodes and
//     from the clients, both directions, connections hang (no resets). Everything created is
//     removed in close() (and on process exit).
//   - loopback (otherwise): 127.0.0.1 and distinct ports; partitions are not available (a
//     port filter on loopback cannot cut a dnode's outgoing connections) and are skipped.
// Process faults (SIGKILL + restart on the same dataDir, SIGSTOP/SIGCONT) work in both.
import { execFileSync } from 'node:child_process';
import { freeBasePort, sleep, sql, TestCluster, waitFor, dnodes, type DnodeProc } from './harness.js';

export type NetMode = 'netns' | 'loopback';

export interface ChaosNode {
  /** 0, 1, 2 (index in the nodes array). */
  readonly k: number;
  /** Where clients and peers reach it. */
  readonly host: string;
  readonly port: number;
  /** host:port as the dnode knows itself (its fqdn is `host`). */
  readonly endpoint: string;
  readonly dataDir: string;
  proc: DnodeProc;
  /** Incremented per restart (process names in the TestCluster must be unique). */
  gen: number;
  stopped: boolean;
  partitioned: boolean;
  dnodeId: number;
}

function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
}

/** Why netns mode is not usable here, or null when it is. */
export function netnsUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'not root';
  try {
    ip('netns', 'list');
    return null;
  } catch (e) {
    return `ip netns does not work here: ${(e as Error).message.split('\n')[0]}`;
  }
}

export class ChaosCluster {
  readonly cluster = new TestCluster();
  readonly nodes: ChaosNode[] = [];
  private readonly tag = `c${process.pid % 100000}`;
  private readonly subnet = `10.214.${100 + (process.pid % 150)}`;
  private netUp = false;
  private readonly exitHook = (): void => this.cleanupNetSync();

  constructor(
    readonly mode: NetMode,
    private readonly say: (s: string) => void,
  ) {}

  private get brNs(): string {
    return `${this.tag}-br`;
  }
  private nsOf(k: number): string {
    return `${this.tag}-n${k}`;
  }
  private brPortOf(k: number): string {
    return `${this.tag}b${k}`;
  }

  private setupNet(): void {
    this.cleanupNetSync();
    process.on('exit', this.exitHook);
    this.netUp = true;
    const br = this.brNs;
    ip('netns', 'add', br);
    ip('-n', br, 'link', 'add', 'br0', 'type', 'bridge');
    ip('-n', br, 'link', 'set', 'br0', 'up');
    // This process's way in: root-namespace end gets .1.
    ip('link', 'add', `${this.tag}h`, 'type', 'veth', 'peer', 'name', `${this.tag}hb`, 'netns', br);
    ip('addr', 'add', `${this.subnet}.1/24`, 'dev', `${this.tag}h`);
    ip('link', 'set', `${this.tag}h`, 'up');
    ip('-n', br, 'link', 'set', `${this.tag}hb`, 'master', 'br0');
    ip('-n', br, 'link', 'set', `${this.tag}hb`, 'up');
    for (let k = 0; k < 3; k++) {
      const ns = this.nsOf(k);
      ip('netns', 'add', ns);
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      ip('link', 'add', `${this.tag}n${k}`, 'netns', ns, 'type', 'veth', 'peer', 'name', this.brPortOf(k), 'netns', br);
      ip('-n', ns, 'addr', 'add', `${this.subnet}.${11 + k}/24`, 'dev', `${this.tag}n${k}`);
      ip('-n', ns, 'link', 'set', `${this.tag}n${k}`, 'up');
      ip('-n', br, 'link', 'set', this.brPortOf(k), 'master', 'br0');
      ip('-n', br, 'link', 'set', this.brPortOf(k), 'up');
    }
  }

  private cleanupNetSync(): void {
    try {
      ip('link', 'del', `${this.tag}h`);
    } catch {
      /* not there */
    }
    for (let k = 0; k < 3; k++) {
      try {
        ip('netns', 'del', this.nsOf(k));
      } catch {
        /* not there */
      }
    }
    try {
      ip('netns', 'del', this.brNs);
    } catch {
      /* not there */
    }
  }

  private startOpts(k: number): { prefix?: readonly string[]; fqdn?: string; listenHost?: string } {
    if (this.mode === 'loopback') return {};
    return {
      prefix: ['ip', 'netns', 'exec', this.nsOf(k)],
      fqdn: `${this.subnet}.${11 + k}`,
      listenHost: `${this.subnet}.${11 + k}`,
    };
  }

  /** Three dnodes, joined, three mnodes; records each node's dnode id. */
  async start(): Promise<void> {
    let hosts: string[], ports: number[], fqdns: string[];
    if (this.mode === 'netns') {
      this.setupNet();
      hosts = [0, 1, 2].map((k) => `${this.subnet}.${11 + k}`);
      fqdns = hosts;
      ports = [6030, 6030, 6030];
    } else {
      const base = await freeBasePort(3);
      hosts = ['127.0.0.1', '127.0.0.1', '127.0.0.1'];
      fqdns = ['localhost', 'localhost', 'localhost'];
      ports = [base, base + 100, base + 200];
    }
    const firstEp = `${fqdns[0]}:${ports[0]}`;
    for (let k = 0; k < 3; k++) {
      const proc = await this.cluster.start(`d${k}g0`, ports[k]!, {
        ...this.startOpts(k),
        ...(k > 0 ? { firstEp } : {}),
      });
      this.nodes.push({
        k,
        host: hosts[k]!,
        port: ports[k]!,
        endpoint: `${fqdns[k]}:${ports[k]}`,
        dataDir: proc.dataDir,
        proc,
        gen: 0,
        stopped: false,
        partitioned: false,
        dnodeId: 0,
      });
    }
    const [a, b, c] = this.nodes as [ChaosNode, ChaosNode, ChaosNode];
    await sql(a.port, `create dnode "${b.endpoint}"`, a.host);
    await sql(a.port, `create dnode "${c.endpoint}"`, a.host);
    const d = await waitFor('three ready dnodes', 15_000, async () => {
      const m = await dnodes(a.port, a.host);
      return m.size === 3 && [...m.values()].every((x) => x.status === 'ready') ? m : undefined;
    });
    for (const [id, x] of d) {
      const n = this.nodes.find((y) => y.endpoint === x.endpoint);
      if (!n)
        throw new Error(
          `show dnodes lists ${x.endpoint}, which is none of ${this.nodes.map((y) => y.endpoint).join(', ')}`,
        );
      n.dnodeId = id;
    }
    await sql(a.port, 'create mnode on dnode 2', a.host);
    await sql(a.port, 'create mnode on dnode 3', a.host);
  }

  alive(n: ChaosNode): boolean {
    return n.proc.child.exitCode === null && n.proc.child.signalCode === null;
  }

  async kill(n: ChaosNode): Promise<void> {
    await this.cluster.kill(n.proc.name, 'SIGKILL');
  }

  /** Starts a killed node again on its dataDir and port (bounded by the harness's 15 s). */
  async restart(n: ChaosNode): Promise<void> {
    if (this.alive(n)) return;
    // A port can stay busy for a moment after a SIGKILL: a few bounded attempts.
    let last: unknown;
    for (let attempt = 0; attempt < 5; attempt++) {
      n.gen++;
      try {
        n.proc = await this.cluster.start(`d${n.k}g${n.gen}`, n.port, { ...this.startOpts(n.k), dataDir: n.dataDir });
        return;
      } catch (e) {
        last = e;
        await sleep(500);
      }
    }
    throw last as Error;
  }

  stop(n: ChaosNode): void {
    if (!this.alive(n)) return;
    process.kill(n.proc.child.pid!, 'SIGSTOP');
    n.stopped = true;
  }

  cont(n: ChaosNode): void {
    if (n.stopped && this.alive(n)) {
      try {
        process.kill(n.proc.child.pid!, 'SIGCONT');
      } catch {
        /* gone */
      }
    }
    n.stopped = false;
  }

  partition(n: ChaosNode): void {
    if (this.mode !== 'netns') throw new Error('partitions need netns mode');
    ip('-n', this.brNs, 'link', 'set', this.brPortOf(n.k), 'down');
    n.partitioned = true;
  }

  unpartition(n: ChaosNode): void {
    if (this.mode === 'netns' && this.netUp) {
      try {
        ip('-n', this.brNs, 'link', 'set', this.brPortOf(n.k), 'up');
      } catch (e) {
        this.say(`# heal of node ${n.k} failed: ${(e as Error).message}`);
      }
    }
    n.partitioned = false;
  }

  /** Undoes every fault: links up, SIGCONT, restarts dead nodes. */
  async healAll(): Promise<void> {
    for (const n of this.nodes) {
      this.unpartition(n);
      this.cont(n);
    }
    for (const n of this.nodes) if (!this.alive(n)) await this.restart(n);
  }

  async waitAllReady(timeoutMs: number): Promise<void> {
    await waitFor(
      'all dnodes ready',
      timeoutMs,
      async () => {
        for (const n of this.nodes) {
          const m = await dnodes(n.port, n.host);
          if (m.size !== 3 || ![...m.values()].every((x) => x.status === 'ready')) return undefined;
        }
        return true;
      },
      300,
    );
  }

  /** SIGTERM every dnode and wait (bounded) for the exits. */
  async stopAllCleanly(): Promise<void> {
    for (const n of this.nodes) this.cont(n);
    const r = await Promise.all(this.nodes.map((n) => this.cluster.kill(n.proc.name, 'SIGTERM')));
    r.forEach((x, k) => {
      if (x.code !== 0) this.say(`# dnode ${k} exited with ${x.code ?? x.signal} after SIGTERM`);
    });
  }

  async close(): Promise<void> {
    for (const n of this.nodes) this.cont(n);
    await this.cluster.cleanup();
    if (this.netUp) {
      this.cleanupNetSync();
      this.netUp = false;
      process.off('exit', this.exitHook);
    }
  }
}
