// A pass-through between a TCP socket and Node's TLS layer that records the
// TLS record headers the peer sends. TLS hides alerts from the application, but
// the record layer shows whether a closure alert preceded the TCP FIN
// (RFC 9112 §9.8): in TLS 1.2 as a record of type alert (21), in TLS 1.3 as a
// short encrypted record (type 23, 19 bytes with the usual AEADs) right before FIN.

import type * as net from 'node:net';
import { Duplex } from 'node:stream';

export interface TlsRecord {
  type: number;
  length: number;
}

export class TlsTap {
  readonly duplex: Duplex;
  readonly records: TlsRecord[] = [];
  /** records seen before the peer's TCP FIN; undefined while no FIN came */
  recordsAtFin?: number;
  private pending: Buffer = Buffer.alloc(0);

  constructor(readonly raw: net.Socket) {
    this.duplex = new Duplex({
      allowHalfOpen: true,
      read() {},
      write: (chunk: Buffer, _enc, cb) => {
        raw.write(chunk, cb);
      },
      final: (cb) => {
        raw.end();
        cb();
      },
      destroy: (err, cb) => {
        raw.destroy();
        cb(err);
      },
    });
    raw.on('data', (d: Buffer) => {
      this.scan(d);
      this.duplex.push(d);
    });
    raw.on('end', () => {
      this.recordsAtFin = this.records.length;
      this.duplex.push(null);
    });
    raw.on('error', (e) => this.duplex.destroy(e));
    raw.on('close', () => {
      if (!this.duplex.destroyed) this.duplex.destroy();
    });
  }

  private scan(d: Buffer): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, d]) : d;
    while (this.pending.length >= 5) {
      const length = this.pending.readUInt16BE(3);
      if (this.pending.length < 5 + length) break;
      this.records.push({ type: this.pending[0]!, length });
      this.pending = this.pending.subarray(5 + length);
    }
  }

  /**
   * Whether the last record before the peer's end looks like a closure alert.
   */
  closureBeforeFin(protocol: string | null): { alert: boolean; how: string } | undefined {
    // TLS reports the end on the closure alert, possibly before the TCP FIN is read: then the alert is the last record.
    const last = this.records[(this.recordsAtFin ?? this.records.length) - 1];
    if (!last) return { alert: false, how: 'no TLS record at all before the TCP FIN' };
    if (last.type === 21) return { alert: true, how: 'an alert record (type 21) right before the TCP FIN' };
    if (protocol === 'TLSv1.3' && last.type === 23 && last.length <= 40)
      return {
        alert: true,
        how: `a ${last.length}-byte encrypted record right before the TCP FIN, the size of a TLS 1.3 alert`,
      };
    return {
      alert: false,
      how: `the last record before the TCP FIN was data (type ${last.type}, ${last.length} bytes), no closure alert`,
    };
  }
}
