// The OpenTSDB telnet put listener (issue 19) on a real in-process dnode: lines over plain
// TCP land in the configured database as the configured user; a bad line is answered
// `put: ...` and dropped alone; the listener is off by default, and a port without a
// database and user is refused at start with the fix.
import assert from 'node:assert/strict';
import { connect as tcpConnect, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { loadConfig } from '../../src/common/config.js';
import { freePort, startTestServer, type TestServer } from '../rpc/harness.js';
import { restSql, type RestAnswer } from './rest-sql.js';

let server: TestServer;
let base: string;
let telnetPort: number;
const T0 = 1_704_067_200;

before(async () => {
  telnetPort = await freePort();
  server = await startTestServer({
    opentsdbTelnetPort: String(telnetPort),
    opentsdbTelnetDb: 'tel',
    opentsdbTelnetUser: 'root',
    opentsdbTelnetPassword: 'taosdata',
  });
  base = `http://127.0.0.1:${server.httpPort}`;
  assert.equal((await sql('create database tel')).code, 0);
});

after(async () => {
  await server.stop();
});

const sql = (text: string): Promise<RestAnswer> => restSql(base, text);

function open(): Promise<{ sock: Socket; said: () => string }> {
  return new Promise((resolve, reject) => {
    let text = '';
    const sock = tcpConnect(telnetPort, '127.0.0.1', () => resolve({ sock, said: () => text }));
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      text += d;
    });
    sock.once('error', reject);
  });
}

async function until<T>(what: string, f: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 100; i++) {
    const v = await f();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`not within 5 s: ${what}`);
}

test('put lines over TCP land in the configured database; a bad line is answered and dropped alone', async () => {
  const { sock, said } = await open();
  sock.write(`put sys.cpu.user ${T0} 42.5 host=webserver01 cpu=0\n`);
  sock.write(
    `put sys.cpu.user ${T0 + 1} 43 host=webserver01 cpu=0\nput sys.cpu.user ${T0} oops host=webserver01 cpu=0\n`,
  );
  sock.write(`sys.cpu.user ${(T0 + 2) * 1000} 44.5 host=webserver02 cpu=1\n`);
  const rows = await until('three rows', async () => {
    const r = await sql('select host, _value from tel.`sys.cpu.user` order by host, _ts');
    return r.code === 0 && r.data.length === 3 ? r.data : undefined;
  });
  assert.deepEqual(rows, [
    ['webserver01', 42.5],
    ['webserver01', 43],
    ['webserver02', 44.5],
  ]);
  await until('the bad line answered', async () =>
    /put: .*value "oops" must be a finite number/.test(said()) ? true : undefined,
  );
  sock.write('version\n');
  await until('a version line', async () => (/Basalt OpenTSDB telnet/.test(said()) ? true : undefined));
  sock.end('exit\n');
});

test('the listener is off by default and needs a database and a user when on', () => {
  const off = loadConfig({ env: {}, flags: { dataDir: '/tmp/x' } });
  assert.equal(off.config.opentsdbTelnetPort, 0);
  assert.throws(
    () => loadConfig({ env: {}, flags: { dataDir: '/tmp/x', opentsdbTelnetPort: '6046' } }),
    /opentsdbTelnetPort 6046 needs opentsdbTelnetDb and opentsdbTelnetUser/,
  );
});
