// Faults of responses that end at their header section: HEAD, 304, 204 and 1xx.

import type { HttpRequest } from '../../../harness/wire/parse.js';
import { INDEX_BODY, ReferenceConnection, type ResponsePlan } from '../../servers/reference.js';
import type { FaultyServer } from './types.js';

/** A serialized response without body, with header lines added before its empty line and bytes after it. */
function amend(bodiless: Buffer, lines: string[], after: Buffer | string = ''): Buffer {
  const head = bodiless.subarray(0, bodiless.length - 2);
  const extra = lines.map((l) => `${l}\r\n`).join('');
  return Buffer.concat([head, Buffer.from(`${extra}\r\n`, 'latin1'), Buffer.from(after)]);
}

/** Writes the GET response's body for HEAD as well. */
class HeadBody extends ReferenceConnection {
  protected override serialize(req: HttpRequest, plan: ResponsePlan, close: boolean): Buffer {
    return super.serialize(req.method === 'HEAD' ? { ...req, method: 'GET' } : req, plan, close);
  }
}

/** For HEAD of a chunked resource, writes the last-chunk `0\r\n\r\n` after the header section. */
class HeadLastChunk extends ReferenceConnection {
  protected override serialize(req: HttpRequest, plan: ResponsePlan, close: boolean): Buffer {
    const out = super.serialize(req, plan, close);
    return req.method === 'HEAD' && plan.chunks ? Buffer.concat([out, Buffer.from('0\r\n\r\n')]) : out;
  }
}

/** Answers HEAD with `Content-Length: 0` (the length of what it sends, not of the GET's content). */
class HeadLengthZero extends ReferenceConnection {
  protected override handle(req: HttpRequest): ResponsePlan {
    const plan = super.handle(req);
    return req.method === 'HEAD' && plan.body ? { ...plan, body: Buffer.alloc(0) } : plan;
  }
}

/** Sends the 200's body (with its Content-Length) in a 304. */
class NotModifiedBody extends ReferenceConnection {
  protected override serialize(req: HttpRequest, plan: ResponsePlan, close: boolean): Buffer {
    const out = super.serialize(req, plan, close);
    if (plan.status !== 304 || req.method === 'HEAD') return out;
    return amend(out, [`Content-Length: ${Buffer.byteLength(INDEX_BODY)}`], INDEX_BODY);
  }
}

/** Sends `Content-Length: 0` in a 304. */
class NotModifiedLengthZero extends ReferenceConnection {
  protected override serialize(req: HttpRequest, plan: ResponsePlan, close: boolean): Buffer {
    const out = super.serialize(req, plan, close);
    return plan.status === 304 ? amend(out, ['Content-Length: 0']) : out;
  }
}

/** Sends a 204 with `Transfer-Encoding: chunked` and a last-chunk. */
class NoContentChunked extends ReferenceConnection {
  protected override serialize(req: HttpRequest, plan: ResponsePlan, close: boolean): Buffer {
    const out = super.serialize(req, plan, close);
    return plan.status === 204 ? amend(out, ['Transfer-Encoding: chunked'], '0\r\n\r\n') : out;
  }
}

/** Sends a 204 with `Content-Length: 0`. */
class NoContentLengthZero extends ReferenceConnection {
  protected override serialize(req: HttpRequest, plan: ResponsePlan, close: boolean): Buffer {
    const out = super.serialize(req, plan, close);
    return plan.status === 204 ? amend(out, ['Content-Length: 0']) : out;
  }
}

/** Sends `100 Continue` with `Content-Length: 0`. */
class ContinueWithLength extends ReferenceConnection {
  protected override maybeSendContinue(): void {
    if (!this.pendingContinue || this.busy || this.queue.length > 0 || this.closing) return;
    this.pendingContinue = undefined;
    this.socket.write('HTTP/1.1 100 Continue\r\nContent-Length: 0\r\n\r\n');
  }
}

export const bodylessFaults: FaultyServer[] = [
  {
    name: 'head-body',
    breaks: ['frame-head-no-body', 'frame-head-chunked-no-body', 'frame-head-404-no-body'],
    description: 'writes the GET body after the header section of a HEAD response',
    connection: HeadBody,
  },
  {
    name: 'head-last-chunk',
    breaks: ['frame-head-chunked-no-body'],
    description: 'writes a last-chunk (0 CRLF CRLF) after a chunked HEAD response',
    connection: HeadLastChunk,
  },
  {
    name: 'head-length-zero',
    breaks: ['frame-head-no-body'],
    description: "answers HEAD with Content-Length: 0 instead of the GET's length",
    connection: HeadLengthZero,
  },
  {
    name: '304-body',
    breaks: ['frame-304-etag-no-body', 'frame-304-date-no-body'],
    description: "sends the 200's body in a 304",
    connection: NotModifiedBody,
  },
  {
    name: '304-length-zero',
    breaks: ['frame-304-etag-no-body', 'frame-304-date-no-body'],
    description: 'sends Content-Length: 0 in a 304 whose 200 has content',
    connection: NotModifiedLengthZero,
  },
  {
    name: '204-chunked',
    breaks: ['frame-204-no-body'],
    description: 'sends a 204 with Transfer-Encoding: chunked and a last-chunk',
    connection: NoContentChunked,
  },
  {
    name: '204-length-zero',
    breaks: ['frame-204-no-body'],
    description: 'sends a 204 with Content-Length: 0',
    connection: NoContentLengthZero,
  },
  {
    name: '100-with-length',
    breaks: ['frame-1xx-no-cl-te'],
    description: 'sends 100 Continue with Content-Length: 0',
    connection: ContinueWithLength,
  },
];
