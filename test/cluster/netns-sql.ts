// Runs one statement with the client library and prints the rows as JSON (or the error as
// {"error": ...}); the netns test runs it inside a namespace with `ip netns exec`.
import { connect } from '../../src/client/index.js';

const [host, port, text] = process.argv.slice(2);
try {
  const c = await connect({ host: host!, port: Number(port), timeoutMs: 5_000 });
  try {
    const rows = (await c.query(text!)).rows();
    process.stdout.write(
      JSON.stringify({ rows }, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) + '\n',
    );
  } finally {
    c.close();
  }
} catch (e) {
  process.stdout.write(JSON.stringify({ error: (e as Error).message }) + '\n');
}
