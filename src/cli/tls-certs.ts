// A self-signed CA and a certificate it signs for localhost / 127.0.0.1, made with the
// `openssl` command (Debian's /usr/bin/openssl): for `basalt playground --tls` and tests.
// Node has no API to issue certificates; openssl is on nearly every machine, and a clear
// error names it when it is not. Keys are P-256 (quick to generate); files are PEM, the
// private keys mode 0600.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BasaltError } from '../common/errors.js';

export interface GeneratedCerts {
  /** The CA certificate clients pass as --ca / sslCa. */
  readonly caCert: string;
  readonly caKey: string;
  /** The server certificate (sslCert) and its key (sslKey). */
  readonly cert: string;
  readonly key: string;
}

function openssl(args: readonly string[], cwd: string): void {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8', timeout: 30_000 });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT')
    throw new BasaltError(
      'NOT_SUPPORTED',
      'the openssl command is not installed; install it (apt-get install openssl) or pass your own sslCert, sslKey and sslCa',
    );
  if (r.status !== 0)
    throw new BasaltError(
      'INTERNAL',
      `openssl ${args[0]} failed (exit ${r.status ?? r.signal}): ${(r.stderr || r.error?.message || '').trim().split('\n')[0]}`,
    );
}

/**
 * Writes ca.crt/ca.key and server.crt/server.key into `dir` (kept when they already exist,
 * so a restarted playground keeps the CA its clients trust). `names` go into the server
 * certificate's subjectAltName (DNS names and IP addresses).
 */
export function generateCerts(dir: string, names: readonly string[] = ['localhost', '127.0.0.1']): GeneratedCerts {
  mkdirSync(dir, { recursive: true });
  const out: GeneratedCerts = {
    caCert: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    cert: join(dir, 'server.crt'),
    key: join(dir, 'server.key'),
  };
  if ([out.caCert, out.caKey, out.cert, out.key].every((f) => existsSync(f))) return out;
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(
    [
      'req',
      '-x509',
      ...ec,
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '3650',
      '-subj',
      '/CN=Basalt local CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  openssl(
    ['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', `/CN=${names[0] ?? 'localhost'}`],
    dir,
  );
  const san = names.map((n) => (/^[\d.]+$|:/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
  writeFileSync(
    join(dir, 'server.ext'),
    `subjectAltName=${san}\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n`,
  );
  openssl(
    [
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'server.crt',
      '-days',
      '825',
      '-extfile',
      'server.ext',
    ],
    dir,
  );
  chmodSync(out.caKey, 0o600);
  chmodSync(out.key, 0o600);
  return out;
}
