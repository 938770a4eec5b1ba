// Write-ahead log in segment files: the vnode's Raft log later, the standalone store's redo
// log now. Entry layout (little endian), see docs/storage-format.md:
//   u32 bodyLen | u32 crc32c(body) | u32 crc32c(first 8 header bytes) | body
//   body = u32 indexLo | u32 indexHi | u32 termLo | u32 termHi | payload
// The header has its own CRC so a damaged length is told apart from a torn tail: only an
// entry cut short by the end of the last segment (or zero fill there) is a torn tail;
// anything else that fails a CRC is corruption and stops recovery with the file and offset.
//
// Durability is fdatasync on a preallocated segment: the active segment is extended with
// zeros ahead of the appends (preallocateBytes at a time, past the append that crosses the
// end), so an append overwrites blocks the file already has and its fdatasync flushes only
// those data blocks, no inode or journal commit (ext4: 0.13 ms instead of 0.19 ms per sync
// here, and no wait behind other files' journal commits). Appends of 64 KiB or more skip the
// fill (their own write extends the file): for them the zeros would double the bytes written
// to save one journal commit. The zero tail is why recovery must
// tell zero fill and a torn in-place write from corruption; see parseEntry and tornInPlace.
// A segment that stops being active (rotate, close) is cut back to its entries.
// fdatasync runs on the libuv thread pool (sync()), never on the JS thread: the event loop
// keeps reading sockets for the ~0.1-0.3 ms the disk takes; what the JS thread still pays
// is the hand-off (~15-20 us per call on a 2-vCPU VM, mostly waking a pool thread).
import * as fs from 'node:fs';
import { assert } from '../common/assert.js';
import { BasaltError } from '../common/errors.js';
import { Limits } from '../common/limits.js';
import { crc32c } from './crc32c.js';
import { asDiskFull, diskFullError, isDiskFull } from './disk-space.js';
import { fsyncDir, fsyncFailed } from './fsutil.js';

export interface WalEntry {
  readonly index: number;
  readonly term: number;
  /** The payload; with `prefix`, the payload after its first byte. */
  readonly data: Uint8Array;
  /**
   * A byte (0..255) stored as the payload's first byte, before `data`: lets a caller tag an
   * entry (the Raft log's entry type) without copying the data into a new buffer. Entries
   * read back carry it inside `data`, never here.
   */
  readonly prefix?: number;
}

export interface WalOptions {
  /** A segment is closed and a new one started once it reaches this size. */
  readonly segmentBytes: number;
  /**
   * The active segment is extended with zeros this much at a time, ahead of the appends
   * (0: never; the file then grows with every append). Default min(Limits.walPreallocateBytes, segmentBytes).
   */
  readonly preallocateBytes?: number;
}

const HEADER_BYTES = 12;
const BODY_PREFIX_BYTES = 16;
const SUFFIX = '.wal';
const TWO32 = 0x1_0000_0000;
// Payloads below Limits.walInlinePayloadBytes are copied into the staging buffer with the
// headers: below it the copy costs about what one more iovec does (its N-API conversion and
// kernel iteration); a round figure, not tuned further. One preallocation step
// (Limits.walPreallocateBytes) costs one bigger sync.
/** A device writes whole sectors: a sector of an interrupted write is all new or all old. */
const SECTOR_BYTES = 512;

interface Segment {
  readonly firstIndex: number;
  readonly file: string;
  /** Byte offset of each entry; entry k has index firstIndex + k. */
  readonly offsets: number[];
  readonly terms: number[];
  sizeBytes: number;
}

function segName(firstIndex: number): string {
  return String(firstIndex).padStart(20, '0') + SUFFIX;
}

export class Wal {
  private readonly segments: Segment[] = [];
  private fd = -1;
  /** Size of the active segment's file: its entries (sizeBytes) then zero fill. */
  private allocatedBytes = 0;
  private readonly preallocateBytes: number;
  private zeros: Buffer | null = null;
  private writtenSeq = 0;
  private syncedSeq = 0;
  private syncing: Promise<void> | null = null;
  private failed: BasaltError | null = null;
  private closed = false;
  /** Torn-tail bytes cut at open, for tests and logs. */
  truncatedTailBytes = 0;

  private constructor(
    readonly dir: string,
    readonly options: WalOptions,
  ) {
    this.preallocateBytes = Math.min(options.preallocateBytes ?? Limits.walPreallocateBytes, options.segmentBytes);
  }

  /** Opens (creating if missing) and recovers the WAL in `dir`. */
  static open(dir: string, options: WalOptions): Wal {
    assert(options.segmentBytes > 0, 'segmentBytes > 0');
    assert(options.preallocateBytes === undefined || options.preallocateBytes >= 0, 'preallocateBytes >= 0');
    fs.mkdirSync(dir, { recursive: true });
    const wal = new Wal(dir, options);
    wal.recover();
    return wal;
  }

  firstIndex(): number {
    return this.segments[0]!.firstIndex;
  }
  lastIndex(): number {
    const s = this.active();
    return s.firstIndex + s.offsets.length - 1;
  }

  /** Term of the entry at `index`. */
  term(index: number): number {
    const [seg, k] = this.locate(index);
    return seg.terms[k]!;
  }

  /**
   * Appends entries whose indexes continue lastIndex() + 1; written, not yet synced. Payloads
   * of Limits.walInlinePayloadBytes and more are written by reference (writev), so the caller must not
   * change them during the call; after it returns the WAL keeps no reference to them.
   */
  append(entries: readonly WalEntry[]): void {
    this.checkUsable();
    if (entries.length === 0) return;
    // Headers (and small payloads) go into one staging buffer; big payloads are written from
    // the caller's memory, so a 600 KB entry costs no copy and no short-lived 600 KB Buffer
    // (those were the GC's mark-compacts under ingest).
    let total = 0;
    let stageBytes = 0;
    for (const e of entries) {
      const payloadBytes = e.data.length + (e.prefix === undefined ? 0 : 1);
      total += HEADER_BYTES + BODY_PREFIX_BYTES + payloadBytes;
      stageBytes +=
        HEADER_BYTES +
        BODY_PREFIX_BYTES +
        (e.data.length < Limits.walInlinePayloadBytes ? payloadBytes : payloadBytes - e.data.length);
    }
    const stage = Buffer.allocUnsafe(stageBytes);
    const parts: Uint8Array[] = [];
    const offs: number[] = new Array(entries.length);
    stageEntries(entries, this.lastIndex() + 1, stage, parts, offs, total);
    const seg = this.writeStaged(parts, total);
    for (let i = 0; i < entries.length; i++) {
      seg.offsets.push(seg.sizeBytes + offs[i]!);
      seg.terms.push(entries[i]!.term);
    }
    seg.sizeBytes += total;
    // Without (enough) preallocation the write itself grew the file.
    if (this.allocatedBytes < seg.sizeBytes) this.allocatedBytes = seg.sizeBytes;
    this.writtenSeq++;
  }

  /**
   * Writes the staged parts of one append (`total` bytes) at the end of the active segment,
   * rotating first when they would take it past segmentBytes; returns that segment.
   */
  private writeStaged(parts: readonly Uint8Array[], total: number): Segment {
    if (this.active().sizeBytes > 0 && this.active().sizeBytes + total > this.options.segmentBytes) this.rotate();
    const seg = this.active();
    // Only an append that alone exceeds segmentBytes makes a segment larger (it gets one of its own).
    assert(
      seg.sizeBytes === 0 || seg.sizeBytes + total <= this.options.segmentBytes,
      `WAL segment ${seg.file} would grow past segmentBytes`,
    );
    // Entry offsets grow: the new entries start at the segment's end, after its last entry.
    assert(
      seg.offsets.length === 0 || seg.offsets[seg.offsets.length - 1]! < seg.sizeBytes,
      `WAL segment ${seg.file} offsets out of order`,
    );
    try {
      // A big append skips the zero fill ahead: the fill would double the bytes written (and
      // flushed) for it, to save one journal commit (~0.06 ms) on a sync that writes this much.
      if (seg.sizeBytes + total > this.allocatedBytes && total < Limits.walZeroFillMaxAppendBytes)
        this.preallocate(seg.sizeBytes + total);
      writeAllAt(this.fd, parts, total, seg.sizeBytes);
    } catch (e) {
      // Out of space: cut what part of the append reached the file (the index never named it)
      // so the log ends at its last entry again and the next append, once there is room,
      // goes where this one would have. The entries were not written: nobody acknowledged them.
      if (isDiskFull(e)) {
        try {
          fs.ftruncateSync(this.fd, seg.sizeBytes);
          this.allocatedBytes = seg.sizeBytes;
        } catch (cut) {
          this.failed = new BasaltError(
            'WAL_CORRUPT',
            `write to ${seg.file} failed (${(e as Error).message}) and cutting it back to ${seg.sizeBytes} bytes failed too (${(cut as Error).message}); reopen the vnode to recover`,
          );
          throw this.failed;
        }
        throw diskFullError(this.dir, `appending to ${seg.file}: ${(e as Error).message}`);
      }
      // A half-written append leaves the file and our index disagreeing: refuse further use.
      this.failed = new BasaltError(
        'WAL_CORRUPT',
        `write to ${seg.file} failed: ${(e as Error).message}; reopen the vnode to recover`,
      );
      throw this.failed;
    }
    return seg;
  }

  /**
   * Resolves once everything appended before the call is on disk. Group commit: callers that
   * arrive while an fsync runs share the next one.
   */
  async sync(): Promise<void> {
    this.checkUsable();
    const target = this.writtenSeq;
    while (this.syncedSeq < target) {
      if (this.syncing) {
        await this.syncing;
        continue;
      }
      const upTo = this.writtenSeq;
      this.syncing = fdatasyncFile(this.fd, this.active().file)
        .then(
          () => {
            this.syncedSeq = Math.max(this.syncedSeq, upTo);
            assert(this.syncedSeq <= this.writtenSeq, 'WAL synced past what was written');
          },
          (e: unknown) => {
            this.failed = e as BasaltError;
            throw e;
          },
        )
        .finally(() => {
          this.syncing = null;
        });
      await this.syncing;
    }
  }

  /** True when appended entries are not yet fsynced. */
  hasUnsynced(): boolean {
    return this.syncedSeq < this.writtenSeq;
  }

  /** Entries with lo <= index < hi, stopping (after at least one) once maxBytes of them are read. */
  entries(lo: number, hi: number, maxBytes = Infinity): WalEntry[] {
    const out: WalEntry[] = [];
    if (hi <= lo) return out;
    if (lo < this.firstIndex())
      throw new BasaltError(
        'WAL_COMPACTED',
        `WAL entry ${lo} was compacted (first kept index is ${this.firstIndex()})`,
      );
    if (hi - 1 > this.lastIndex())
      throw new BasaltError('WAL_INDEX_GAP', `WAL entry ${hi - 1} is beyond the last index ${this.lastIndex()}`);
    // maxBytes bounds what is read, not only what is returned: the entries are views of the
    // read buffer, so reading 256 big entries to return 2 would pin all of it.
    let budget = maxBytes;
    for (const seg of this.segments) {
      const segLast = seg.firstIndex + seg.offsets.length - 1;
      if (segLast < lo || seg.firstIndex >= hi || seg.offsets.length === 0) continue;
      const k0 = Math.max(lo, seg.firstIndex) - seg.firstIndex;
      const k1 = Math.min(hi - 1, segLast) - seg.firstIndex;
      const endOf = (k: number): number => (k + 1 < seg.offsets.length ? seg.offsets[k + 1]! : seg.sizeBytes);
      const start = seg.offsets[k0]!;
      // At least one entry in all; then as many as fit the budget.
      if (out.length > 0 && endOf(k0) - start > budget) return out;
      let kEnd = k0;
      while (kEnd < k1 && endOf(kEnd + 1) - start <= budget) kEnd++;
      const end = endOf(kEnd);
      const buf = Buffer.allocUnsafe(end - start);
      const fd = fs.openSync(seg.file, 'r');
      try {
        fs.readSync(fd, buf, 0, buf.length, start);
      } finally {
        fs.closeSync(fd);
      }
      for (let k = k0; k <= kEnd; k++) {
        const e = parseEntry(buf, seg.offsets[k]! - start, seg.file, start);
        assert(
          e !== 'torn' && e.entry.index === seg.firstIndex + k,
          `WAL entry ${seg.firstIndex + k} in ${seg.file} does not match the index`,
        );
        out.push(e.entry);
      }
      budget -= end - start;
      if (kEnd < k1) return out;
    }
    return out;
  }

  /** Removes every entry with index > `index` (a Raft log conflict). */
  truncateAfter(index: number): void {
    this.checkUsable();
    assert(index >= this.firstIndex() - 1, `truncateAfter(${index}) below firstIndex ${this.firstIndex()}`);
    if (index >= this.lastIndex()) return;
    while (this.segments.length > 1 && this.active().firstIndex > index + 1) {
      const seg = this.segments.pop()!;
      this.closeLater(this.fd);
      fs.unlinkSync(seg.file);
      this.fd = fs.openSync(this.active().file, 'r+');
    }
    const seg = this.active();
    const keep = index + 1 - seg.firstIndex;
    const cut = keep < seg.offsets.length ? seg.offsets[keep]! : seg.sizeBytes;
    fs.ftruncateSync(this.fd, cut);
    this.allocatedBytes = cut;
    try {
      fs.fsyncSync(this.fd);
    } catch (e) {
      throw fsyncFailed(seg.file, e);
    }
    fsyncDir(this.dir);
    seg.offsets.length = keep;
    seg.terms.length = keep;
    seg.sizeBytes = cut;
  }

  /** Drops whole segments whose entries all lie below `index` (they are in file sets or a snapshot). */
  compactBefore(index: number): void {
    this.checkUsable();
    const act = this.active();
    if (act.offsets.length > 0 && this.lastIndex() < index) this.rotate();
    let removed = false;
    while (this.segments.length > 1) {
      const next = this.segments[1]!;
      if (next.firstIndex > index) break;
      fs.unlinkSync(this.segments.shift()!.file);
      removed = true;
    }
    if (removed) fsyncDir(this.dir);
  }

  /** Drops every entry and restarts the log so that the next index is `nextIndex` (snapshot install). */
  reset(nextIndex: number): void {
    this.checkUsable();
    // A reset that a full disk stopped before the new segment existed is finished by the
    // next call (the Raft runtime persists the same snapshot again).
    if (this.segments.length > 0) {
      this.closeLater(this.fd);
      for (const s of this.segments) fs.unlinkSync(s.file);
      this.segments.length = 0;
    }
    this.createSegment(nextIndex);
  }

  bytesOnDisk(): number {
    let n = 0;
    for (const s of this.segments) n += s.sizeBytes;
    return n;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (!this.failed && this.hasUnsynced()) await this.sync();
    if (this.syncing) await this.syncing.catch(() => undefined);
    this.closed = true;
    // A cleanly closed log has no zero tail (the next open preallocates again).
    if (!this.failed) this.trimPreallocation();
    fs.closeSync(this.fd);
  }

  /** An fsync may still run on `fd` (group commit); close it only after that fsync ends. */
  private closeLater(fd: number): void {
    if (this.syncing) void this.syncing.catch(() => undefined).finally(() => fs.closeSync(fd));
    else fs.closeSync(fd);
  }

  private active(): Segment {
    return this.segments[this.segments.length - 1]!;
  }

  private checkUsable(): void {
    if (this.failed) throw this.failed;
    if (this.closed) throw new BasaltError('SHUTTING_DOWN', 'the WAL is closed');
  }

  private locate(index: number): [Segment, number] {
    if (index < this.firstIndex())
      throw new BasaltError(
        'WAL_COMPACTED',
        `WAL entry ${index} was compacted (first kept index is ${this.firstIndex()})`,
      );
    if (index > this.lastIndex())
      throw new BasaltError('WAL_INDEX_GAP', `WAL entry ${index} is beyond the last index ${this.lastIndex()}`);
    for (let i = this.segments.length - 1; i >= 0; i--) {
      const s = this.segments[i]!;
      if (index >= s.firstIndex) return [s, index - s.firstIndex];
    }
    throw new BasaltError('WAL_INDEX_GAP', `WAL entry ${index} not found`);
  }

  private rotate(): void {
    const old = this.active();
    // The old segment must be durable, and end at its last entry, before we stop tracking
    // its fd: only the last segment may have a zero tail.
    this.trimPreallocation();
    try {
      fs.fsyncSync(this.fd);
    } catch (e) {
      throw fsyncFailed(old.file, e);
    }
    this.syncedSeq = this.writtenSeq;
    // The old segment stays active (its fd open) until the new one exists: a full disk may
    // refuse the new file, and the log must still be usable when space is back.
    const oldFd = this.fd;
    this.createSegment(old.firstIndex + old.offsets.length);
    this.closeLater(oldFd);
  }

  private createSegment(firstIndex: number): void {
    const file = `${this.dir}/${segName(firstIndex)}`;
    let fd: number;
    try {
      fd = fs.openSync(file, 'w+');
    } catch (e) {
      throw asDiskFull(e, this.dir, file);
    }
    try {
      fsyncDir(this.dir);
    } catch (e) {
      fs.closeSync(fd);
      fs.rmSync(file, { force: true });
      throw e;
    }
    this.fd = fd;
    this.allocatedBytes = 0;
    this.segments.push({ firstIndex, file, offsets: [], terms: [], sizeBytes: 0 });
  }

  private recover(): void {
    const names = fs
      .readdirSync(this.dir)
      .filter((n) => n.endsWith(SUFFIX))
      .sort();
    for (const n of fs.readdirSync(this.dir)) if (n.endsWith('.tmp')) fs.unlinkSync(`${this.dir}/${n}`);
    if (names.length === 0) {
      this.createSegment(1);
      return;
    }
    for (let si = 0; si < names.length; si++) {
      const file = `${this.dir}/${names[si]}`;
      const firstIndex = Number(names[si]!.slice(0, -SUFFIX.length));
      const prev = this.segments[this.segments.length - 1];
      if (prev && prev.firstIndex + prev.offsets.length !== firstIndex) {
        throw new BasaltError(
          'WAL_CORRUPT',
          `WAL segment ${file} starts at index ${firstIndex} but the previous segment ends at ${prev.firstIndex + prev.offsets.length - 1}; a segment is missing`,
        );
      }
      const buf = fs.readFileSync(file);
      const seg: Segment = { firstIndex, file, offsets: [], terms: [], sizeBytes: 0 };
      const isLast = si === names.length - 1;
      let p = 0;
      while (p < buf.length) {
        const r = parseEntry(buf, p, file, 0, isLast);
        if (r === 'torn') {
          if (!isLast)
            throw new BasaltError(
              'WAL_CORRUPT',
              `WAL file ${file}: entry at byte offset ${p} is cut short but a later segment exists`,
            );
          this.truncatedTailBytes = buf.length - p;
          fs.truncateSync(file, p);
          break;
        }
        const want = firstIndex + seg.offsets.length;
        if (r.entry.index !== want)
          throw new BasaltError(
            'WAL_CORRUPT',
            `WAL file ${file}: entry at byte offset ${p} has index ${r.entry.index}, expected ${want}`,
          );
        seg.offsets.push(p);
        seg.terms.push(r.entry.term);
        p = r.end;
      }
      seg.sizeBytes = p;
      this.segments.push(seg);
    }
    this.fd = fs.openSync(this.active().file, 'r+');
    this.allocatedBytes = fs.fstatSync(this.fd).size;
  }

  /**
   * Extends the active segment to cover at least `endBytes` (the end of the append about to be
   * written), a whole number of preallocation steps past the entries (not past segmentBytes
   * unless one append needs it). The zeros reach the disk with the next sync; from then on
   * appends only overwrite.
   * Zeros go only past `endBytes`: the append's own write fills its range (a hole until
   * then, which reads as zeros, so a torn append there is still a torn tail). Zeroing that
   * range too would copy every byte of a big append into the page cache twice, for no
   * cheaper sync: the zeros would be unsynced new blocks of the same sync either way.
   */
  private preallocate(endBytes: number): void {
    const step = this.preallocateBytes;
    if (step === 0) return;
    const target = Math.max(endBytes, Math.min(Math.ceil(endBytes / step) * step, this.options.segmentBytes));
    // Zeros only ever go past the last entry: below it they would erase entries.
    assert(this.allocatedBytes >= this.active().sizeBytes, 'WAL preallocation starts after the last entry');
    if (!this.zeros) this.zeros = Buffer.alloc(step);
    const from = Math.max(this.allocatedBytes, endBytes);
    let at = from;
    try {
      while (at < target) at += fs.writeSync(this.fd, this.zeros, 0, Math.min(step, target - at), at);
    } catch (e) {
      // A nearly full disk refuses the zeros before it would refuse the entries: append
      // without them (the file grows with the write, as with preallocateBytes 0).
      if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
    }
    // Until the append is written, [allocatedBytes, from) is a hole inside the file, or (no
    // zeros written) past its end: either way the append's write settles allocatedBytes.
    if (at > from) this.allocatedBytes = at;
  }

  /** Cuts the active segment's zero tail and fsyncs the new size. */
  private trimPreallocation(): void {
    const seg = this.active();
    if (this.allocatedBytes <= seg.sizeBytes) return;
    fs.ftruncateSync(this.fd, seg.sizeBytes);
    this.allocatedBytes = seg.sizeBytes;
    try {
      fs.fsyncSync(this.fd);
    } catch (e) {
      throw fsyncFailed(seg.file, e);
    }
  }
}

/**
 * Stages one append: writes each entry's header and body prefix (and a small payload) into
 * `stage`; `parts` gets the stage slices and big payloads in file order, offs[k] the offset of
 * entry k within the append. Indexes must continue from `firstIndex`; `total` is the append's size.
 */
function stageEntries(
  entries: readonly WalEntry[],
  firstIndex: number,
  stage: Buffer,
  parts: Uint8Array[],
  offs: number[],
  total: number,
): void {
  let partStart = 0;
  let p = 0;
  let fileOff = 0;
  let expect = firstIndex;
  for (let k = 0; k < entries.length; k++) {
    const e = entries[k]!;
    assert(e.index === expect, `WAL append index ${e.index}, expected ${expect}`);
    assert(
      e.prefix === undefined || (Number.isInteger(e.prefix) && e.prefix >= 0 && e.prefix <= 0xff),
      `WAL entry ${e.index} prefix ${e.prefix} is not a byte`,
    );
    expect++;
    offs[k] = fileOff;
    const head = p;
    const b = p + HEADER_BYTES;
    stage.writeUInt32LE(e.index % TWO32, b);
    stage.writeUInt32LE(Math.floor(e.index / TWO32), b + 4);
    stage.writeUInt32LE(e.term % TWO32, b + 8);
    stage.writeUInt32LE(Math.floor(e.term / TWO32), b + 12);
    p = b + BODY_PREFIX_BYTES;
    if (e.prefix !== undefined) stage[p++] = e.prefix;
    let bodyCrc: number;
    if (e.data.length < Limits.walInlinePayloadBytes) {
      stage.set(e.data, p);
      p += e.data.length;
      bodyCrc = crc32c(stage, b, p);
    } else {
      // The body CRC continues from the staged part over the caller's bytes: the same value
      // as over a contiguous copy, so the file is byte-identical to one written that way.
      bodyCrc = crc32c(e.data, 0, e.data.length, crc32c(stage, b, p));
      parts.push(stage.subarray(partStart, p), e.data);
      partStart = p;
    }
    const bodyLen = BODY_PREFIX_BYTES + (e.prefix === undefined ? 0 : 1) + e.data.length;
    stage.writeUInt32LE(bodyLen, head);
    stage.writeUInt32LE(bodyCrc, head + 4);
    stage.writeUInt32LE(crc32c(stage, head, head + 8), head + 8);
    fileOff += HEADER_BYTES + bodyLen;
  }
  if (partStart < p) parts.push(stage.subarray(partStart, p));
  assert(fileOff === total && p === stage.length, 'WAL append staged every byte once');
}

/**
 * Writes `parts` (`totalBytes` in all) contiguously at file offset `position`: writev, then
 * again from where a short write stopped, until every byte is written.
 */
function writeAllAt(fd: number, parts: readonly Uint8Array[], totalBytes: number, position: number): void {
  let written = 0;
  let first = 0;
  let skip = 0;
  while (written < totalBytes) {
    const iov: Uint8Array[] = [];
    for (let i = first; i < parts.length && iov.length < Limits.walMaxIovecsPerWrite; i++) {
      const part = i === first && skip > 0 ? parts[i]!.subarray(skip) : parts[i]!;
      if (part.length > 0) iov.push(part);
    }
    const n =
      iov.length === 1
        ? fs.writeSync(fd, iov[0]!, 0, iov[0]!.length, position + written)
        : fs.writevSync(fd, iov, position + written);
    // A regular file never takes 0 bytes without an error; guard against spinning anyway.
    if (n <= 0)
      throw new BasaltError(
        'WAL_CORRUPT',
        `write at byte offset ${position + written} wrote ${n} of ${totalBytes - written} bytes`,
      );
    written += n;
    let left = n;
    while (left > 0) {
      const rest = parts[first]!.length - skip;
      if (left < rest) {
        skip += left;
        left = 0;
      } else {
        left -= rest;
        first++;
        skip = 0;
      }
    }
    // Empty parts after a fully written one are skipped so `first` names unwritten bytes.
    while (first < parts.length && parts[first]!.length === 0) first++;
  }
  assert(written === totalBytes, `WAL wrote ${written} of ${totalBytes} bytes`);
}

/** fdatasync on the thread pool: the file's data and its size, not its timestamps. */
function fdatasyncFile(fd: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    fs.fdatasync(fd, (err) => (err ? reject(fsyncFailed(what, err)) : resolve()));
  });
}

/**
 * Parses one entry at `p`; 'torn' for a tail cut short by the end of the buffer (or zero
 * fill). With `lastSegment`, an entry that fails a check is also 'torn' when it was written
 * in place over the zero tail and the write was interrupted (tornInPlace).
 */
function parseEntry(
  buf: Buffer,
  p: number,
  file: string,
  fileBase: number,
  lastSegment = false,
): { entry: WalEntry; end: number } | 'torn' {
  const rest = buf.length - p;
  if (rest < HEADER_BYTES) return 'torn';
  const bodyLen = buf.readUInt32LE(p);
  const bodyCrc = buf.readUInt32LE(p + 4);
  if (crc32c(buf, p, p + 8) !== buf.readUInt32LE(p + 8)) {
    if (isZero(buf, p, buf.length)) return 'torn';
    if (lastSegment && tornInPlace(buf, p, p + HEADER_BYTES)) return 'torn';
    throw new BasaltError(
      'WAL_CORRUPT',
      `WAL file ${file}: entry header at byte offset ${fileBase + p} fails its CRC32C; restore the vnode from a replica or snapshot`,
    );
  }
  if (bodyLen < BODY_PREFIX_BYTES) {
    if (lastSegment && tornInPlace(buf, p, p + HEADER_BYTES)) return 'torn';
    throw new BasaltError(
      'WAL_CORRUPT',
      `WAL file ${file}: entry at byte offset ${fileBase + p} has impossible length ${bodyLen}`,
    );
  }
  const b = p + HEADER_BYTES;
  if (b + bodyLen > buf.length) return 'torn';
  if (crc32c(buf, b, b + bodyLen) !== bodyCrc) {
    if (lastSegment && tornInPlace(buf, p, b + bodyLen)) return 'torn';
    throw new BasaltError(
      'WAL_CORRUPT',
      `WAL file ${file}: entry at byte offset ${fileBase + p} fails its CRC32C; restore the vnode from a replica or snapshot`,
    );
  }
  const index = buf.readUInt32LE(b) + buf.readUInt32LE(b + 4) * TWO32;
  const term = buf.readUInt32LE(b + 8) + buf.readUInt32LE(b + 12) * TWO32;
  const data = new Uint8Array(buf.buffer, buf.byteOffset + b + BODY_PREFIX_BYTES, bodyLen - BODY_PREFIX_BYTES);
  return { entry: { index, term, data }, end: b + bodyLen };
}

function isZero(buf: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (buf[i] !== 0) return false;
  return true;
}

/**
 * True when the failed entry spanning [p, end) was cut by a crash while being written over
 * the zero tail: some device sector it touches still holds only zeros from p on (that part
 * of the write never reached the disk; a bit flip or an overwrite leaves no all-zero sector).
 * Whatever follows it was not synced either (syncs complete in order), so recovery ends
 * there. As etcd's WAL decides between a torn write and corruption.
 */
function tornInPlace(buf: Buffer, p: number, end: number): boolean {
  const stop = Math.min(end, buf.length);
  for (let s = p - (p % SECTOR_BYTES); s < stop; s += SECTOR_BYTES) {
    if (isZero(buf, Math.max(s, p), Math.min(s + SECTOR_BYTES, buf.length))) return true;
  }
  return false;
}
