// The reference server's side of a WebSocket connection after its 101 (RFC 6455):
// an echo endpoint that answers pings, completes the close handshake and closes
// the TCP connection first, refuses unmasked frames, pings an idle client, and
// ends a WebSocket that stays silent too long with a close frame. Each decision
// is a protected method, so a faulty server overrides exactly one.

import type * as net from 'node:net';
import {
  closeCode,
  closePayload,
  decodeFrame,
  encodeFrame,
  type Frame,
  OPCODE,
} from '../../harness/wire/websocket.js';

export interface WebSocketOptions {
  /** a ping of our own after this long without a frame from the client */
  pingAfterMs: number;
  /** close (1001) after this long without a frame from the client */
  idleCloseMs: number;
  /** how long to wait for the client's close frame before the TCP close */
  closeWaitMs: number;
}

export class WebSocketSession {
  protected buf: Buffer = Buffer.alloc(0);
  protected sentClose = false;
  protected receivedClose = false;
  /** when the last text or binary message came (the session's start before any) */
  protected lastMessageAt = Date.now();
  private pingTimer?: NodeJS.Timeout;
  private idleTimer?: NodeJS.Timeout;
  /** pings of our own sent so far */
  protected pings = 0;

  constructor(
    protected readonly socket: net.Socket,
    protected readonly opts: WebSocketOptions,
    /** bytes that arrived behind the handshake: already WebSocket */
    initial: Buffer,
  ) {
    socket.once('close', () => this.stopTimers());
    this.armTimers();
    if (initial.length > 0) this.feed(initial);
  }

  feed(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    for (;;) {
      const d = decodeFrame(this.buf);
      if ('incomplete' in d) return;
      if ('error' in d) {
        this.fail(1002, d.error);
        return;
      }
      this.buf = this.buf.subarray(d.frame.size);
      this.armTimers();
      this.onFrame(d.frame);
      if (this.socket.destroyed) return;
    }
  }

  /** The client ended its side: the WebSocket is over (RFC 6455 §7.1.5: abnormal without a close). */
  onEnd(): void {
    this.stopTimers();
    this.socket.end();
  }

  protected onFrame(f: Frame): void {
    if (this.receivedClose) return; // nothing after a close frame counts (§5.5.1)
    if (!this.acceptsMask(f)) {
      this.fail(1002, 'an unmasked frame from a client');
      return;
    }
    switch (f.opcode) {
      case OPCODE.ping:
        this.onPing(f);
        return;
      case OPCODE.pong:
        return;
      case OPCODE.close:
        this.onClose(f);
        return;
      case OPCODE.text:
      case OPCODE.binary:
        this.lastMessageAt = Date.now();
        this.send(f.opcode, f.payload);
        return;
      default:
        this.fail(1002, `opcode 0x${f.opcode.toString(16)} is not handled`);
    }
  }

  /** RFC 6455 §5.1: a server MUST close the connection upon an unmasked frame. */
  protected acceptsMask(f: Frame): boolean {
    return f.masked;
  }

  /** RFC 6455 §5.5.2/§5.5.3: a pong with the ping's application data. */
  protected onPing(f: Frame): void {
    this.send(OPCODE.pong, f.payload);
  }

  /** RFC 6455 §5.5.1 and §7.1.1: answer the close, then close TCP first. */
  protected onClose(f: Frame): void {
    this.receivedClose = true;
    if (!this.sentClose) {
      const code = closeCode(f.payload);
      this.send(OPCODE.close, code === undefined ? Buffer.alloc(0) : closePayload(code));
      this.sentClose = true;
    }
    this.closeTcp();
  }

  protected closeTcp(): void {
    this.stopTimers();
    this.socket.end();
    const t = setTimeout(() => this.socket.destroy(), this.opts.closeWaitMs);
    this.socket.once('close', () => clearTimeout(t));
  }

  /** A protocol error: close frame with the code, then the TCP close (RFC 6455 §7.1.7). */
  protected fail(code: number, reason: string): void {
    if (!this.sentClose) this.send(OPCODE.close, closePayload(code, reason.slice(0, 100)));
    this.sentClose = true;
    this.closeTcp();
  }

  /** No frame for a while: our ping; silence beyond idleCloseMs: close 1001 (going away). */
  protected onQuiet(): void {
    this.pings++;
    this.send(OPCODE.ping, Buffer.from(`ks-ref-ping-${this.pings}`));
  }

  protected onIdle(): void {
    this.fail(1001, 'idle');
  }

  protected send(opcode: number, payload: Buffer): void {
    if (this.socket.destroyed || this.socket.writableEnded || this.sentClose) return;
    this.socket.write(encodeFrame({ opcode, payload }));
  }

  private armTimers(): void {
    this.stopTimers();
    if (this.sentClose) return;
    const ping = () => {
      this.onQuiet();
      this.pingTimer = setTimeout(ping, this.opts.pingAfterMs);
    };
    this.pingTimer = setTimeout(ping, this.opts.pingAfterMs);
    this.idleTimer = setTimeout(() => this.onIdle(), this.opts.idleCloseMs);
  }

  private stopTimers(): void {
    clearTimeout(this.pingTimer);
    clearTimeout(this.idleTimer);
  }
}
