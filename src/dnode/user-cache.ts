// This dnode's copy of the cluster's users and grants (src/mnode/users.ts), the one source of
// truth for logins and privileges on the dnode: RPC CONNECT, REST and line protocol (through
// the client connection), and the engine's privilege check all read it. It follows the mnode
// leader's status replies by version (and this dnode's own mnode replica when it hosts one),
// so a change holds everywhere within one status interval. It is kept in
// dataDir/dnode/users.json (mode 0600) so a restarted dnode knows its users at once.
//
// scrypt is slow on purpose, so a password is verified once per (user, password) and user
// generation: later logins with the same credentials find the verified digest (HMAC under a
// per-process key, never the password), and each request compares generations only.
import { createHmac, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomicSync } from '../common/atomic-file.js';
import { BasaltError } from '../common/errors.js';
import type { Login } from '../engine/engine-api.js';
import type { AccessControl, AccessUser } from '../engine/privileges.js';
import type { BasaltConfig } from '../common/config.js';
import {
  DEFAULT_ROOT_PASSWORD,
  EMPTY_USERS,
  verifyPassword,
  type UserRecord,
  type UsersState,
} from '../mnode/users.js';

/** Verified (user, password) digests kept at most; beyond it the map starts over. */
const MAX_VERIFIED = 10_000;

export class UserCache implements AccessControl {
  private state: UsersState = EMPTY_USERS;
  private byName = new Map<string, UserRecord>();
  private access = new Map<string, AccessUser>();
  private readonly verified = new Map<string, number>();
  private readonly key = randomBytes(32);
  private waiters: Array<() => void> = [];

  constructor(
    /** dataDir/dnode/users.json, or null to keep nothing on disk. */
    private readonly file: string | null,
    private readonly onChange: (s: UsersState) => void = () => undefined,
  ) {
    if (file && existsSync(file)) {
      try {
        this.take(JSON.parse(readFileSync(file, 'utf8')) as UsersState);
      } catch {
        /* unreadable: the next status reply brings the users again */
      }
    }
  }

  static inDataDir(dataDir: string, onChange?: (s: UsersState) => void): UserCache {
    return new UserCache(join(dataDir, 'dnode', 'users.json'), onChange);
  }

  get version(): number {
    return this.state.version;
  }

  get users(): UsersState {
    return this.state;
  }

  /** Takes the users when newer than what this dnode has; true when it did. */
  update(s: UsersState | undefined): boolean {
    if (!s || typeof s.version !== 'number' || s.version <= this.state.version) return false;
    this.take(s);
    if (this.file) {
      writeFileAtomicSync(this.file, JSON.stringify(s));
      chmodSync(this.file, 0o600);
    }
    this.onChange(s);
    return true;
  }

  private take(s: UsersState): void {
    this.state = s;
    this.byName = new Map(s.users.map((u) => [u.name, u]));
    this.access = new Map(
      s.users.map((u) => [
        u.name,
        {
          superUser: u.superUser,
          sysinfo: u.sysinfo === 1,
          grants: s.grants.filter((g) => g.user === u.name),
        },
      ]),
    );
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  user(name: string): AccessUser | undefined {
    const u = this.byName.get(name);
    return u?.enabled ? this.access.get(name) : undefined;
  }

  /** Resolves once users are known (version > 0) or after `timeoutMs`. */
  private loaded(timeoutMs: number): Promise<void> {
    if (this.state.version > 0) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(resolve, timeoutMs);
      this.waiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  /**
   * Verifies a password (scrypt once per user, password and generation). A dnode that has not
   * yet heard the cluster's users waits for them a moment (`waitMs`).
   */
  async login(user: string, password: string, waitMs: number): Promise<Login> {
    await this.loaded(waitMs);
    if (this.state.version === 0)
      throw new BasaltError(
        'NOT_READY',
        'this dnode has not received the cluster users from the mnode leader yet (it has not joined, or the leader is unreachable); retry in a moment',
      );
    const u = this.byName.get(user);
    const wrong = (): BasaltError => new BasaltError('AUTH_FAILURE', `wrong user name or password for '${user}'`);
    if (!u) throw wrong();
    const digest = createHmac('sha256', this.key).update(user).update('\u0000').update(password).digest('base64');
    if (this.verified.get(digest) !== u.authVersion) {
      if (!(await verifyPassword(u, password))) throw wrong();
      if (this.verified.size >= MAX_VERIFIED) this.verified.clear();
      this.verified.set(digest, u.authVersion);
    }
    // The record may have changed while scrypt ran: the session belongs to the generation checked.
    const now = this.byName.get(user);
    if (!now || now.authVersion !== u.authVersion) throw wrong();
    if (!now.enabled)
      throw new BasaltError(
        'AUTH_FAILURE',
        `user '${user}' is disabled; a super user can enable it with: alter user ${user} enable 1`,
      );
    return { user, generation: u.authVersion };
  }

  /** Per request: the session's user still exists, is enabled, and has the credentials it logged in with. */
  checkLogin(login: Login): void {
    const u = this.byName.get(login.user);
    if (!u)
      throw new BasaltError(
        'AUTH_FAILURE',
        `user '${login.user}' was dropped; this session has ended — log in as another user`,
      );
    if (u.authVersion !== login.generation) {
      const why = u.enabled
        ? `the password of user '${login.user}' changed (or the user was disabled and enabled again); reconnect with the current password`
        : `user '${login.user}' was disabled; this session has ended — a super user can enable it with: alter user ${login.user} enable 1`;
      throw new BasaltError('AUTH_FAILURE', why);
    }
  }

  /** True while root's password is still the well-known default (start warns about it). */
  async rootHasDefaultPassword(defaultPassword: string): Promise<boolean> {
    const root = this.byName.get('root');
    return root !== undefined && (await verifyPassword(root, defaultPassword));
  }
}

/**
 * root's password for a new cluster: BASALT_ROOT_PASSWORD, else the first line of the
 * `rootPasswordFile` config key's file (a mounted Kubernetes Secret), else TDengine's default.
 * Only read when the founding dnode's mnode initialises the users.
 */
export function rootPasswordFrom(config: BasaltConfig, env: Readonly<Record<string, string | undefined>>): string {
  const fromEnv = env['BASALT_ROOT_PASSWORD'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  if (config.rootPasswordFile !== '') {
    let text: string;
    try {
      text = readFileSync(config.rootPasswordFile, 'utf8');
    } catch (e) {
      throw new BasaltError(
        'CONFIG_BAD_VALUE',
        `rootPasswordFile ${config.rootPasswordFile} cannot be read (${(e as Error).message}); fix the path or its permissions`,
      );
    }
    const first = text.split(/\r?\n/)[0] ?? '';
    if (first === '')
      throw new BasaltError(
        'CONFIG_BAD_VALUE',
        `rootPasswordFile ${config.rootPasswordFile} is empty; put the password on its first line`,
      );
    return first;
  }
  return DEFAULT_ROOT_PASSWORD;
}
