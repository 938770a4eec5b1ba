// Dnode-to-dnode authentication and the join exchange, as pure functions over the cluster
// secret (32 random bytes created with the cluster, kept in each member's dataDir).
//
// Peer handshake (mutual, two round trips, once per connection — never per message):
//   client → PEER_CHALLENGE {}                     server → { nonce: Ns }
//   client → PEER_AUTH { dnodeId, nonce: Nc, proof: HMAC(secret, 'c'|Ns|Nc|dnodeId) }
//   server checks the proof (constant time)        server → { proof: HMAC(secret, 's'|Ns|Nc|dnodeId) }
//   the client checks the server's proof, so a process that does not hold the secret can
//   neither talk to a member as a peer nor pose as one to a member.
// Both nonces are fresh per connection, so a recorded handshake replays nowhere.
//
// Join (a new dnode holds a join token, not the secret): it asks for a challenge the same way,
// then sends JOIN with HMAC(token, 'j'|Ns|Nc|endpoint) and the token's id (a hash prefix),
// never the token itself. The mnode leader answers with the cluster secret and the dnode's
// own secret sealed with AES-256-GCM under a key derived from the token and both nonces: a
// listener on the wire learns neither.
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import { BasaltError } from '../common/errors.js';

export const NONCE_BYTES = 32;
export const SECRET_BYTES = 32;
/** Shortest join token accepted (a token chosen by the operator, e.g. BASALT_JOIN_TOKEN). */
export const MIN_JOIN_TOKEN_CHARS = 16;
export const MAX_JOIN_TOKEN_CHARS = 256;

export interface PeerCredentials {
  readonly dnodeId: number;
  readonly clusterSecret: Buffer;
}

export function newNonce(): Buffer {
  return randomBytes(NONCE_BYTES);
}

export function newSecret(): Buffer {
  return randomBytes(SECRET_BYTES);
}

/** A fresh join token: 'bjt1.' and 48 hex characters (192 random bits). */
export function newJoinToken(): string {
  return `bjt1.${randomBytes(24).toString('hex')}`;
}

/** The public name of a token (what JOIN carries and the mnode looks tokens up by). */
export function joinTokenId(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex').slice(0, 16);
}

/** Why a join token is unusable, or null when its shape is acceptable. */
export function joinTokenProblem(token: string): string | null {
  if (token.length < MIN_JOIN_TOKEN_CHARS) return `it is shorter than ${MIN_JOIN_TOKEN_CHARS} characters`;
  if (token.length > MAX_JOIN_TOKEN_CHARS) return `it is longer than ${MAX_JOIN_TOKEN_CHARS} characters`;
  if (!/^[\x21-\x7e]+$/.test(token)) return 'it holds spaces or non-ASCII characters';
  return null;
}

function mac(key: Buffer | string, label: string, ...parts: (Buffer | string | number)[]): Buffer {
  const h = createHmac('sha256', key);
  h.update(label);
  for (const p of parts) {
    const b = typeof p === 'number' ? Buffer.from(String(p)) : Buffer.isBuffer(p) ? p : Buffer.from(p, 'utf8');
    // Length-prefixed, so no two different part lists hash the same bytes.
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    h.update(len);
    h.update(b);
  }
  return h.digest();
}

export function equalProof(a: Buffer, b: unknown): boolean {
  if (!(b instanceof Uint8Array) || b.length !== a.length) return false;
  return timingSafeEqual(a, Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

export function clientProof(secret: Buffer, ns: Buffer, nc: Buffer, dnodeId: number): Buffer {
  return mac(secret, 'basalt peer client v1', ns, nc, dnodeId);
}

export function serverProof(secret: Buffer, ns: Buffer, nc: Buffer, dnodeId: number): Buffer {
  return mac(secret, 'basalt peer server v1', ns, nc, dnodeId);
}

export function joinProof(token: string, ns: Buffer, nc: Buffer, endpoint: string): Buffer {
  return mac(token, 'basalt join v1', ns, nc, endpoint);
}

/** Proves in a status report that the sender holds dnode `dnodeId`'s own secret. */
export function statusProof(dnodeSecret: Buffer, clusterId: string, dnodeId: number, bootId: string): Buffer {
  return mac(dnodeSecret, 'basalt status v1', clusterId, dnodeId, bootId);
}

function sealKey(token: string, ns: Buffer, nc: Buffer): Buffer {
  return Buffer.from(
    hkdfSync('sha256', Buffer.from(token, 'utf8'), Buffer.concat([ns, nc]), 'basalt join seal v1', 32),
  );
}

/** What a JOIN answer carries sealed: the cluster secret and the joiner's own secret. */
export interface JoinSecrets {
  readonly clusterSecret: Buffer;
  readonly dnodeSecret: Buffer;
}

export function sealJoinSecrets(token: string, ns: Buffer, nc: Buffer, s: JoinSecrets): Buffer {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', sealKey(token, ns, nc), iv);
  const body = Buffer.concat([c.update(Buffer.concat([s.clusterSecret, s.dnodeSecret])), c.final()]);
  return Buffer.concat([iv, c.getAuthTag(), body]);
}

export function openJoinSecrets(token: string, ns: Buffer, nc: Buffer, sealed: unknown): JoinSecrets {
  if (!(sealed instanceof Uint8Array) || sealed.length !== 12 + 16 + 2 * SECRET_BYTES)
    throw new BasaltError(
      'AUTH_FAILURE',
      'the join answer holds no sealed secrets; the dnode answering is not a Basalt mnode',
    );
  const b = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  const d = createDecipheriv('aes-256-gcm', sealKey(token, ns, nc), b.subarray(0, 12));
  d.setAuthTag(b.subarray(12, 28));
  let plain: Buffer;
  try {
    plain = Buffer.concat([d.update(b.subarray(28)), d.final()]);
  } catch {
    throw new BasaltError(
      'AUTH_FAILURE',
      'the join answer does not open with this join token; the answering cluster does not know this token',
    );
  }
  return { clusterSecret: plain.subarray(0, SECRET_BYTES), dnodeSecret: plain.subarray(SECRET_BYTES) };
}

/** Reads a binary field of an untrusted control part. */
export function bytesField(c: unknown, field: string, len: number, what: string): Buffer {
  const v = c !== null && typeof c === 'object' ? (c as Record<string, unknown>)[field] : undefined;
  if (!(v instanceof Uint8Array) || v.length !== len)
    throw new BasaltError('BAD_FRAME', `${what} field '${field}' must be ${len} bytes`);
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

/** Requests as the handshake needs them: message type and control part in, control part out. */
export type HandshakeRequest = (msgType: number, control: unknown) => Promise<unknown>;

/**
 * The client side of the peer handshake over any request function (an RpcClient's
 * onConnect, the Raft peer's socket). Throws AUTH_FAILURE naming the endpoint when the
 * other side does not prove it holds the same secret.
 */
export async function peerHandshake(
  request: HandshakeRequest,
  creds: PeerCredentials,
  endpoint: string,
  types: { challenge: number; auth: number },
): Promise<void> {
  const ns = bytesField(await request(types.challenge, {}), 'nonce', NONCE_BYTES, 'PEER_CHALLENGE reply');
  const nc = newNonce();
  const reply = await request(types.auth, {
    dnodeId: creds.dnodeId,
    nonce: nc,
    proof: clientProof(creds.clusterSecret, ns, nc, creds.dnodeId),
  });
  const proof = reply !== null && typeof reply === 'object' ? (reply as Record<string, unknown>)['proof'] : undefined;
  if (!equalProof(serverProof(creds.clusterSecret, ns, nc, creds.dnodeId), proof))
    throw new BasaltError(
      'AUTH_FAILURE',
      `the dnode at ${endpoint} did not prove it holds this cluster's secret: it is not a member of this cluster (another cluster, or a process posing as a dnode); check that endpoint`,
    );
}

/**
 * Checks a PEER_AUTH against the challenge `ns` this server gave: the dnode id it proves and
 * the proof to answer with. Throws AUTH_FAILURE when the proof is not made with `secret`.
 */
export function verifyPeerAuth(
  secret: Buffer,
  ns: Buffer,
  control: unknown,
): { dnodeId: number; reply: { proof: Buffer } } {
  const o = control !== null && typeof control === 'object' ? (control as Record<string, unknown>) : {};
  const dnodeId = o['dnodeId'];
  if (typeof dnodeId !== 'number' || !Number.isInteger(dnodeId) || dnodeId <= 0)
    throw new BasaltError('BAD_FRAME', "PEER_AUTH field 'dnodeId' must be a positive integer");
  const nc = bytesField(control, 'nonce', NONCE_BYTES, 'PEER_AUTH');
  if (!equalProof(clientProof(secret, ns, nc, dnodeId), o['proof']))
    throw new BasaltError(
      'AUTH_FAILURE',
      `the peer claiming dnode ${dnodeId} does not hold this cluster's secret (another cluster tried to add this dnode, or a process poses as a dnode); a dnode joins a cluster with a join token, which create dnode prints`,
    );
  return { dnodeId, reply: { proof: serverProof(secret, ns, nc, dnodeId) } };
}
