// A minimal keep-alive HTTP POST for `basalt bench -I rest|line` (one socket per worker, so
// each worker has exactly one request in flight, as a taosBenchmark thread does).
import { Agent, request } from 'node:http';
import { BasaltError } from '../common/errors.js';

export interface HttpReply {
  readonly status: number;
  readonly text: string;
}

export class BenchHttp {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 1 });

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly timeoutMs: number,
  ) {}

  post(path: string, body: string | Uint8Array, headers: Record<string, string>): Promise<HttpReply> {
    const buf = typeof body === 'string' ? Buffer.from(body) : body;
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: this.host,
          port: this.port,
          path,
          method: 'POST',
          agent: this.agent,
          headers: { ...headers, 'Content-Length': String(buf.length) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', (e) => reject(fail(this.host, this.port, e)));
        },
      );
      req.setTimeout(this.timeoutMs, () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.on('error', (e) => reject(fail(this.host, this.port, e)));
      req.end(buf);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

function fail(host: string, port: number, e: Error): BasaltError {
  return new BasaltError(
    'CONNECTION_FAILED',
    `HTTP ${host}:${port}: ${e.message}; is the dnode's REST port (serverPort + 11 unless set) reachable?`,
  );
}

export function basicAuth(user: string, password: string): string {
  return 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');
}
