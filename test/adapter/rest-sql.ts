// What the adapter tests share: root's Basic credentials and SQL over a dnode's REST port, to
// read back what a protocol wrote.

export const ROOT = 'Basic ' + Buffer.from('root:taosdata').toString('base64');

export interface RestAnswer {
  code: number;
  data: unknown[][];
  desc?: string;
}

/** Runs `text` as root through `POST <base>/rest/sql` and returns TDengine's JSON answer. */
export async function restSql(base: string, text: string): Promise<RestAnswer> {
  const r = await fetch(base + '/rest/sql', { method: 'POST', body: text, headers: { Authorization: ROOT } });
  return (await r.json()) as RestAnswer;
}
