// The WebSocket wire format (RFC 6455), as strictly as the HTTP layer: the opening
// handshake's key and accept values, and frames encoded and decoded byte by byte,
// so that a scenario can judge what a peer sent after a 101, and say it in words.

import { createHash, randomBytes } from 'node:crypto';
import { connectionOptions, fieldValue, fieldValues, type Header } from './parse.js';

export { offersUpgrade } from './parse.js';

/** RFC 6455 §1.3: the GUID appended to the key before hashing. */
export const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export const OPCODE = {
  continuation: 0x0,
  text: 0x1,
  binary: 0x2,
  close: 0x8,
  ping: 0x9,
  pong: 0xa,
} as const;

const OPCODE_NAME: Record<number, string> = Object.fromEntries(
  Object.entries(OPCODE).map(([name, code]) => [code, name]),
);

/** A fresh Sec-WebSocket-Key: 16 random bytes, base64 (RFC 6455 §4.1). */
export function newWebSocketKey(): string {
  return randomBytes(16).toString('base64');
}

/** The Sec-WebSocket-Accept value for a key (RFC 6455 §4.2.2 item 5.4). */
export function acceptFor(key: string): string {
  return createHash('sha1')
    .update(key + WS_GUID)
    .digest('base64');
}

/** The protocols a message's Upgrade field lists, lower-cased. */
export function upgradeProtocols(headers: Header[]): string[] {
  return fieldValues(headers, 'upgrade').map((p) => p.toLowerCase());
}

/**
 * Why a request is not a valid WebSocket opening handshake (RFC 6455 §4.2.1), or undefined
 * when it is one. `version` is the value a server that refuses it names in its answer.
 */
export function handshakeProblem(req: {
  method: string;
  version: string;
  headers: Header[];
}): string | undefined {
  if (req.method !== 'GET') return `the method is ${req.method}, not GET`;
  if (req.version !== 'HTTP/1.1') return `the request is ${req.version}, not HTTP/1.1`;
  if (!upgradeProtocols(req.headers).includes('websocket')) return 'Upgrade does not list websocket';
  if (!connectionOptions(req.headers).has('upgrade')) return 'Connection does not list upgrade';
  const key = fieldValue(req.headers, 'sec-websocket-key')?.trim();
  if (!key) return 'no Sec-WebSocket-Key';
  if (Buffer.from(key, 'base64').length !== 16 || !/^[A-Za-z0-9+/]{22}==$/.test(key))
    return `Sec-WebSocket-Key ${JSON.stringify(key)} is not 16 bytes in base64`;
  const version = fieldValue(req.headers, 'sec-websocket-version')?.trim();
  if (version !== '13')
    return `Sec-WebSocket-Version is ${version === undefined ? 'missing' : version}, not 13`;
  return undefined;
}

export interface Frame {
  fin: boolean;
  /** the three RSV bits as a number (0 without extensions) */
  rsv: number;
  opcode: number;
  masked: boolean;
  /** the payload, unmasked */
  payload: Buffer;
  /** bytes the frame took on the wire */
  size: number;
}

export interface FrameSpec {
  opcode: number;
  payload?: Buffer | string;
  /** clients mask every frame (RFC 6455 §5.3), servers none; a Buffer is the masking key */
  mask?: boolean | Buffer;
  fin?: boolean;
}

/** One frame's bytes. */
export function encodeFrame(spec: FrameSpec): Buffer {
  const payload =
    typeof spec.payload === 'string' ? Buffer.from(spec.payload) : (spec.payload ?? Buffer.alloc(0));
  const key = spec.mask === true ? randomBytes(4) : spec.mask || undefined;
  const n = payload.length;
  const lenBytes = n < 126 ? 0 : n < 0x10000 ? 2 : 8;
  const head = Buffer.alloc(2 + lenBytes + (key ? 4 : 0));
  head[0] = (spec.fin === false ? 0 : 0x80) | (spec.opcode & 0x0f);
  head[1] = (key ? 0x80 : 0) | (n < 126 ? n : n < 0x10000 ? 126 : 127);
  if (lenBytes === 2) head.writeUInt16BE(n, 2);
  if (lenBytes === 8) head.writeBigUInt64BE(BigInt(n), 2);
  if (!key) return Buffer.concat([head, payload]);
  key.copy(head, 2 + lenBytes);
  return Buffer.concat([head, xorMask(payload, key)]);
}

function xorMask(data: Buffer, key: Buffer): Buffer {
  const out = Buffer.allocUnsafe(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i]! ^ key[i & 3]!;
  return out;
}

/** Frames larger than this are refused by the decoder (a hostile peer cannot make us buffer gigabytes). */
export const MAX_FRAME_PAYLOAD = 16 * 1024 * 1024;

export type Decoded = { frame: Frame } | { incomplete: true } | { error: string };

/** The first frame in `buf`, if it is complete (RFC 6455 §5.2). */
export function decodeFrame(buf: Buffer): Decoded {
  if (buf.length < 2) return { incomplete: true };
  const b0 = buf[0]!;
  const b1 = buf[1]!;
  const opcode = b0 & 0x0f;
  if (!(opcode in OPCODE_NAME)) return { error: `reserved opcode 0x${opcode.toString(16)}` };
  const masked = (b1 & 0x80) !== 0;
  let len = b1 & 0x7f;
  let at = 2;
  if (len === 126) {
    if (buf.length < 4) return { incomplete: true };
    len = buf.readUInt16BE(2);
    at = 4;
  } else if (len === 127) {
    if (buf.length < 10) return { incomplete: true };
    const big = buf.readBigUInt64BE(2);
    if (big > BigInt(MAX_FRAME_PAYLOAD)) return { error: `a frame announcing ${big} payload bytes` };
    len = Number(big);
    at = 10;
  }
  if (len > MAX_FRAME_PAYLOAD) return { error: `a frame announcing ${len} payload bytes` };
  if (opcode >= 0x8 && (len > 125 || (b0 & 0x80) === 0))
    return { error: `a fragmented or oversized control frame (${OPCODE_NAME[opcode]}, ${len} bytes)` };
  const keyAt = at;
  if (masked) at += 4;
  if (buf.length < at + len) return { incomplete: true };
  const raw = buf.subarray(at, at + len);
  const payload = masked ? xorMask(raw, buf.subarray(keyAt, keyAt + 4)) : Buffer.from(raw);
  return {
    frame: { fin: (b0 & 0x80) !== 0, rsv: (b0 >> 4) & 0x7, opcode, masked, payload, size: at + len },
  };
}

/** A close frame's payload: a status code and a UTF-8 reason (RFC 6455 §5.5.1). */
export function closePayload(code: number, reason = ''): Buffer {
  const out = Buffer.alloc(2 + Buffer.byteLength(reason));
  out.writeUInt16BE(code, 0);
  out.write(reason, 2);
  return out;
}

export function closeCode(payload: Buffer): number | undefined {
  return payload.length >= 2 ? payload.readUInt16BE(0) : undefined;
}

/** A frame in words, for evidence: `ping "ks-1a2b" (masked)`. */
export function describeFrame(f: Frame): string {
  const name = OPCODE_NAME[f.opcode] ?? `opcode 0x${f.opcode.toString(16)}`;
  let body: string;
  if (f.opcode === OPCODE.close) {
    const code = closeCode(f.payload);
    const reason = f.payload.subarray(2).toString('utf8');
    body =
      code === undefined ? 'no status code' : `code ${code}${reason ? ` ${JSON.stringify(reason)}` : ''}`;
  } else if (f.payload.length === 0) body = 'empty';
  else if (f.payload.length <= 60 && /^[\x20-\x7e]*$/.test(f.payload.toString('latin1')))
    body = JSON.stringify(f.payload.toString('latin1'));
  else body = `${f.payload.length} bytes`;
  const flags = [
    f.masked ? 'masked' : 'unmasked',
    ...(f.fin ? [] : ['not final']),
    ...(f.rsv ? [`rsv ${f.rsv}`] : []),
  ];
  return `${name} ${body} (${flags.join(', ')})`;
}

/** The header fields of a client's opening handshake, for a request builder. */
export function handshakeHeaders(key: string, extra: Array<[string, string]> = []): Array<[string, string]> {
  return [
    ['Upgrade', 'websocket'],
    ['Connection', 'Upgrade'],
    ['Sec-WebSocket-Key', key],
    ['Sec-WebSocket-Version', '13'],
    ...extra,
  ];
}
