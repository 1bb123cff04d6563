/**
 * Incremental reader for pcap (µs and ns magics, both byte orders) and pcapng (SHB, IDB, EPB,
 * SPB, OPB; per-interface if_tsresol and if_tsoffset; both byte orders; several sections).
 *
 * The caller hands in a buffer window; the reader consumes every complete record and returns
 * where it stopped, so a record split across reads is simply offered again with more bytes.
 * Packets go to a sink as primitive arguments: nothing is allocated per packet.
 */
import { HostopsError } from '../lib/errors.js';

export interface PacketSink {
  /** ts: seconds since the epoch (float); origlen: length on the wire; caplen bytes at buf[off]. */
  packet(
    buf: Buffer,
    off: number,
    caplen: number,
    origlen: number,
    ts: number,
    linktype: number,
  ): void;
}

export type CaptureFormat = 'pcap' | 'pcap-ns' | 'pcapng';

/** Larger records than this are treated as hostile (real snaplens stop at 256 KiB). */
export const MAX_RECORD = 16 * 1024 * 1024;

const PCAPNG_SHB = 0x0a0d0d0a;

export class CaptureReader {
  format: CaptureFormat | null = null;
  /** Absolute offset in the input of the next unconsumed byte. */
  offset = 0;
  /** Bytes the reader needs in the window before it can go on (a hint for buffer growth). */
  need = 24;
  records = 0;
  readonly linktypes = new Set<number>();

  private le = true;
  private fracDiv = 1e6;
  private linktype = 0;
  // pcapng interfaces of the current section
  private ifLink: number[] = [];
  private ifDiv: number[] = [];
  private ifOff: number[] = [];
  private ifSnap: number[] = [];
  private lastTs = 0;

  constructor(
    private readonly sink: PacketSink,
    private readonly source: string,
  ) {}

  private fail(code: string, msg: string, at: number): never {
    throw new HostopsError(code, `${msg} at byte offset ${at} of ${this.source}`, {
      where: `${this.source}: byte offset ${at}`,
      hint: 'the capture is malformed or not a pcap/pcapng file; results up to this offset are not reported',
    });
  }

  /** Consume complete records from buf[start, end); returns the new start. */
  feed(buf: Buffer, start: number, end: number): number {
    let pos = start;
    if (this.format === null) {
      if (end - pos < 4) {
        this.need = 4;
        return pos;
      }
      const m = buf.readUInt32BE(pos);
      if (m === PCAPNG_SHB) this.format = 'pcapng';
      else pos = this.pcapHeader(buf, pos, end);
      if (this.format === null) return pos; // need more for the header
    }
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.length);
    this.windowStart = pos;
    const next =
      this.format === 'pcapng'
        ? this.pcapngBlocks(buf, dv, pos, end)
        : this.pcapRecords(buf, dv, pos, end);
    this.offset += next - pos;
    return next;
  }

  /** Called at end of input with what is left; returns a description of a truncated tail, if any. */
  finish(start: number, end: number): { offset: number; message: string } | null {
    const left = end - start;
    if (this.format === null && left === 0 && this.offset === 0) {
      this.fail('DDOS_CAPTURE_EMPTY', 'the capture is empty', 0);
    }
    if (this.format === null)
      this.fail(
        'DDOS_CAPTURE_TRUNCATED',
        `the capture ends inside its ${left}-byte file header`,
        this.offset,
      );
    if (left === 0) return null;
    return {
      offset: this.offset,
      message: `the last record is truncated: ${left} of ${this.need} bytes present at byte offset ${this.offset}`,
    };
  }

  private pcapHeader(buf: Buffer, pos: number, end: number): number {
    const b0 = buf[pos],
      b1 = buf[pos + 1],
      b2 = buf[pos + 2],
      b3 = buf[pos + 3];
    let le: boolean, ns: boolean;
    if (b0 === 0xd4 && b1 === 0xc3 && b2 === 0xb2 && b3 === 0xa1) {
      le = true;
      ns = false;
    } else if (b0 === 0xa1 && b1 === 0xb2 && b2 === 0xc3 && b3 === 0xd4) {
      le = false;
      ns = false;
    } else if (b0 === 0x4d && b1 === 0x3c && b2 === 0xb2 && b3 === 0xa1) {
      le = true;
      ns = true;
    } else if (b0 === 0xa1 && b1 === 0xb2 && b2 === 0x3c && b3 === 0x4d) {
      le = false;
      ns = true;
    } else {
      const hex = buf.subarray(pos, pos + 4).toString('hex');
      const gz = b0 === 0x1f && b1 === 0x8b;
      throw new HostopsError(
        'DDOS_CAPTURE_BAD_MAGIC',
        `not a pcap or pcapng capture: unknown magic ${hex} at byte offset ${this.offset} of ${this.source}`,
        {
          where: `${this.source}: byte offset ${this.offset}`,
          hint: gz
            ? 'the file is gzip-compressed: gunzip it first (or pipe `zcat FILE |` into `hostops ddos analyze -`)'
            : 'expected a pcap (a1b2c3d4 / a1b23c4d, either byte order) or pcapng (0a0d0d0a) file',
        },
      );
    }
    if (end - pos < 24) {
      this.need = 24;
      return pos;
    }
    const major = le ? buf.readUInt16LE(pos + 4) : buf.readUInt16BE(pos + 4);
    if (major !== 2)
      this.fail('DDOS_CAPTURE_BAD_VERSION', `unsupported pcap version ${major}`, this.offset + 4);
    this.le = le;
    this.fracDiv = ns ? 1e9 : 1e6;
    this.linktype = (le ? buf.readUInt32LE(pos + 20) : buf.readUInt32BE(pos + 20)) & 0xffff;
    this.linktypes.add(this.linktype);
    this.format = ns ? 'pcap-ns' : 'pcap';
    this.offset += 24;
    this.need = 16;
    return pos + 24;
  }

  private pcapRecords(buf: Buffer, dv: DataView, pos: number, end: number): number {
    const le = this.le,
      div = this.fracDiv,
      lt = this.linktype,
      sink = this.sink;
    let n = 0;
    while (end - pos >= 16) {
      const incl = dv.getUint32(pos + 8, le);
      if (incl > MAX_RECORD) {
        this.fail(
          'DDOS_CAPTURE_BAD_RECORD',
          `record length ${incl} exceeds the ${MAX_RECORD}-byte limit`,
          this.abs(pos),
        );
      }
      if (end - pos < 16 + incl) {
        this.need = 16 + incl;
        break;
      }
      const sec = dv.getUint32(pos, le);
      const frac = dv.getUint32(pos + 4, le);
      const orig = dv.getUint32(pos + 12, le);
      sink.packet(buf, pos + 16, incl, orig, sec + frac / div, lt);
      pos += 16 + incl;
      n++;
    }
    if (end - pos < 16) this.need = 16;
    this.records += n;
    return pos;
  }

  // While inside feed(), this.offset is the absolute offset of buf[windowStart].
  private windowStart = 0;
  private abs(pos: number): number {
    return this.offset + (pos - this.windowStart);
  }

  private pcapngBlocks(buf: Buffer, dv: DataView, pos: number, end: number): number {
    const sink = this.sink;
    let n = 0;
    while (end - pos >= 12) {
      const rawType = dv.getUint32(pos, true);
      if (rawType === PCAPNG_SHB) {
        if (end - pos < 28) {
          this.need = 28;
          break;
        }
        const bom = dv.getUint32(pos + 8, true);
        if (bom === 0x1a2b3c4d) this.le = true;
        else if (bom === 0x4d3c2b1a) this.le = false;
        else
          this.fail(
            'DDOS_CAPTURE_BAD_MAGIC',
            `pcapng section header with unknown byte-order magic ${bom.toString(16)}`,
            this.abs(pos + 8),
          );
      }
      const le = this.le;
      const type = dv.getUint32(pos, le);
      const len = dv.getUint32(pos + 4, le);
      if (len < 12 || (len & 3) !== 0 || len > MAX_RECORD) {
        this.fail(
          'DDOS_CAPTURE_BAD_BLOCK',
          `pcapng block of type ${type} has invalid length ${len}`,
          this.abs(pos + 4),
        );
      }
      if (end - pos < len) {
        this.need = len;
        break;
      }
      if (dv.getUint32(pos + len - 4, le) !== len) {
        this.fail(
          'DDOS_CAPTURE_BAD_BLOCK',
          `pcapng block of type ${type}: trailing length differs from leading length ${len}`,
          this.abs(pos + len - 4),
        );
      }
      if (type === 6) {
        // EPB
        if (len < 32)
          this.fail(
            'DDOS_CAPTURE_BAD_BLOCK',
            `enhanced packet block too short (${len} bytes)`,
            this.abs(pos),
          );
        const ifid = dv.getUint32(pos + 8, le);
        if (ifid >= this.ifLink.length)
          this.fail(
            'DDOS_CAPTURE_BAD_BLOCK',
            `packet refers to interface ${ifid} but the section declares ${this.ifLink.length}`,
            this.abs(pos + 8),
          );
        const cap = dv.getUint32(pos + 20, le);
        if (cap > len - 32)
          this.fail(
            'DDOS_CAPTURE_BAD_BLOCK',
            `captured length ${cap} overruns its ${len}-byte block`,
            this.abs(pos + 20),
          );
        const ts =
          (dv.getUint32(pos + 12, le) * 4294967296 + dv.getUint32(pos + 16, le)) /
            this.ifDiv[ifid] +
          this.ifOff[ifid];
        this.lastTs = ts;
        sink.packet(buf, pos + 28, cap, dv.getUint32(pos + 24, le), ts, this.ifLink[ifid]);
        n++;
      } else if (type === 3) {
        // SPB: interface 0, no timestamp
        if (this.ifLink.length === 0)
          this.fail(
            'DDOS_CAPTURE_BAD_BLOCK',
            'simple packet block before any interface description',
            this.abs(pos),
          );
        if (len < 16)
          this.fail(
            'DDOS_CAPTURE_BAD_BLOCK',
            `simple packet block too short (${len} bytes)`,
            this.abs(pos),
          );
        const orig = dv.getUint32(pos + 8, le);
        let cap = Math.min(orig, len - 16);
        if (this.ifSnap[0] > 0) cap = Math.min(cap, this.ifSnap[0]);
        sink.packet(buf, pos + 12, cap, orig, this.lastTs, this.ifLink[0]);
        n++;
      } else if (type === 2) {
        // obsolete packet block
        if (len < 32)
          this.fail(
            'DDOS_CAPTURE_BAD_BLOCK',
            `packet block too short (${len} bytes)`,
            this.abs(pos),
          );
        const ifid = dv.getUint16(pos + 8, le);
        if (ifid >= this.ifLink.length)
          this.fail(
            'DDOS_CAPTURE_BAD_BLOCK',
            `packet refers to interface ${ifid} but the section declares ${this.ifLink.length}`,
            this.abs(pos + 8),
          );
        const cap = dv.getUint32(pos + 20, le);
        if (cap > len - 32)
          this.fail(
            'DDOS_CAPTURE_BAD_BLOCK',
            `captured length ${cap} overruns its ${len}-byte block`,
            this.abs(pos + 20),
          );
        const ts =
          (dv.getUint32(pos + 12, le) * 4294967296 + dv.getUint32(pos + 16, le)) /
            this.ifDiv[ifid] +
          this.ifOff[ifid];
        this.lastTs = ts;
        sink.packet(buf, pos + 28, cap, dv.getUint32(pos + 24, le), ts, this.ifLink[ifid]);
        n++;
      } else if (type === 1) {
        this.interfaceBlock(buf, dv, pos, len, le);
      } else if (type === PCAPNG_SHB) {
        const major = dv.getUint16(pos + 12, le);
        if (major !== 1)
          this.fail(
            'DDOS_CAPTURE_BAD_VERSION',
            `unsupported pcapng version ${major}`,
            this.abs(pos + 12),
          );
        this.ifLink = [];
        this.ifDiv = [];
        this.ifOff = [];
        this.ifSnap = [];
      }
      pos += len;
    }
    if (end - pos < 12) this.need = 12;
    this.records += n;
    return pos;
  }

  private interfaceBlock(buf: Buffer, dv: DataView, pos: number, len: number, le: boolean): void {
    if (len < 20)
      this.fail(
        'DDOS_CAPTURE_BAD_BLOCK',
        `interface description block too short (${len} bytes)`,
        this.abs(pos),
      );
    const lt = dv.getUint16(pos + 8, le);
    const snap = dv.getUint32(pos + 12, le);
    let div = 1e6,
      off = 0;
    let o = pos + 16;
    const stop = pos + len - 4;
    while (o + 4 <= stop) {
      const code = dv.getUint16(o, le),
        olen = dv.getUint16(o + 2, le);
      if (code === 0) break;
      if (o + 4 + olen > stop)
        this.fail(
          'DDOS_CAPTURE_BAD_BLOCK',
          `interface option ${code} of length ${olen} overruns its block`,
          this.abs(o),
        );
      if (code === 9 && olen >= 1) {
        const r = buf[o + 4];
        const exp = r & 0x7f;
        if ((r & 0x80) === 0 ? exp > 18 : exp > 63)
          this.fail(
            'DDOS_CAPTURE_BAD_BLOCK',
            `interface timestamp resolution ${r} is out of range`,
            this.abs(o + 4),
          );
        div = (r & 0x80) === 0 ? 10 ** exp : 2 ** exp;
      } else if (code === 14 && olen >= 8) {
        off = Number(le ? buf.readBigInt64LE(o + 4) : buf.readBigInt64BE(o + 4));
      }
      o += 4 + ((olen + 3) & ~3);
    }
    if (this.ifLink.length >= 65536)
      this.fail('DDOS_CAPTURE_BAD_BLOCK', 'too many interfaces in one section', this.abs(pos));
    this.ifLink.push(lt);
    this.ifDiv.push(div);
    this.ifOff.push(off);
    this.ifSnap.push(snap);
    this.linktypes.add(lt);
  }
}
