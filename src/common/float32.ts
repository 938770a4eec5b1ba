// A FLOAT column holds a 32-bit float; read into a JavaScript number (a double) 10.3 becomes
// 10.300000190734863. What users wrote, and what TDengine's clients show, is the shortest
// decimal that reads back to the same 32-bit float: that is the value handed out.

/** The shortest decimal (as a number) whose nearest 32-bit float is `v`'s; non-finite values as they are. */
export function float32Decimal(v: number): number {
  if (!Number.isFinite(v)) return v;
  const f = Math.fround(v);
  for (let p = 1; p <= 9; p++) {
    const d = Number(f.toPrecision(p));
    if (Math.fround(d) === f) return d;
  }
  return f;
}
