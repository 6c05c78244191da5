import { fieldValue, type HttpResponse } from '../../../harness/wire/parse.js';
import { type Connection, type PlanRequest, ReferenceClient } from '../../clients/reference-client.js';
import { IncompleteAccepted, Misreader } from './chunked.js';
import type { FaultyClient } from './types.js';

const CRLF = Buffer.from('\r\n');

/** Ends a request body with an extra CRLF, as old browsers did after a POST. */
class CrlfAfterBody extends ReferenceClient {
  protected override requestBytes(req: PlanRequest, url: URL): Buffer {
    const bytes = super.requestBytes(req, url);
    return req.body !== undefined ? Buffer.concat([bytes, CRLF]) : bytes;
  }
}

/** Prefaces every request with an empty line. */
class CrlfBeforeRequest extends ReferenceClient {
  protected override requestBytes(req: PlanRequest, url: URL): Buffer {
    return Buffer.concat([CRLF, super.requestBytes(req, url)]);
  }
}

/** Waits for the body a HEAD, 204 or 304 response announces (Content-Length or chunked). */
class NoBodyWaits extends Misreader {
  protected misread(m: HttpResponse): 'hang' | undefined {
    if (m.framing.kind !== 'none') return undefined;
    const length = Number(fieldValue(m.headers, 'content-length') ?? 0);
    return length > 0 || fieldValue(m.headers, 'transfer-encoding') !== undefined ? 'hang' : undefined;
  }
}

/**
 * Sees each response's header section before the parser does, and rewrites it
 * (`lines`: the start line and the field lines, without their CRLFs).
 */
abstract class HeadRewriter extends ReferenceClient {
  private readonly held = new Map<Connection, Buffer>();
  protected abstract rewrite(lines: string[]): string[];

  override receive(c: Connection, chunk: Buffer): void {
    if (c.receivedNow === chunk.length) this.held.set(c, Buffer.alloc(0));
    const held = this.held.get(c);
    if (!held) {
      super.receive(c, chunk);
      return;
    }
    const buf = Buffer.concat([held, chunk]);
    const end = buf.indexOf('\r\n\r\n');
    if (end < 0) {
      this.held.set(c, buf);
      return;
    }
    this.held.delete(c);
    const lines = this.rewrite(buf.toString('latin1', 0, end).split('\r\n'));
    super.receive(c, Buffer.concat([Buffer.from(lines.join('\r\n'), 'latin1'), buf.subarray(end)]));
  }
}

const isCl = (l: string) => /^content-length\s*:/i.test(l);
const isTe = (l: string) => /^transfer-encoding\s*:/i.test(l);

/** Reads Content-Length like parseInt: the first field, its leading number; anything else counts as 0. */
class FirstLengthWins extends HeadRewriter {
  protected rewrite(lines: string[]): string[] {
    const first = lines.findIndex(isCl);
    if (first < 0) return lines;
    const n = Number.parseInt(lines[first]!.slice(lines[first]!.indexOf(':') + 1).trim(), 10);
    return lines.flatMap((l, i) =>
      i === first ? [`Content-Length: ${Math.max(n || 0, 0)}`] : isCl(l) ? [] : [l],
    );
  }
}

/** Lets Content-Length win over Transfer-Encoding. */
class LengthOverChunked extends HeadRewriter {
  protected rewrite(lines: string[]): string[] {
    return lines.some(isCl) ? lines.filter((l) => !isTe(l)) : lines;
  }
}

/** Keeps a connection after a response that had both Content-Length and Transfer-Encoding. */
class ReuseAfterClTe extends ReferenceClient {
  protected override keepAfter(req: PlanRequest, res: HttpResponse): boolean {
    return super.keepAfter(req, { ...res, clAndTe: false });
  }
}

class ShortBodyAccepted extends IncompleteAccepted {
  protected readonly framing = 'content-length';
}

export const framingClientFaults: FaultyClient[] = [
  {
    name: 'crlf-after-body',
    breaks: ['client-no-extra-crlf'],
    description: 'follows every request body with an extra CRLF',
    client: CrlfAfterBody,
  },
  {
    name: 'crlf-before-request',
    breaks: ['client-no-extra-crlf'],
    description: 'prefaces every request with an empty line',
    client: CrlfBeforeRequest,
  },
  {
    name: 'no-body-waits',
    breaks: [
      'client-no-body-head-length',
      'client-no-body-head-chunked',
      'client-no-body-204-length',
      'client-no-body-304-length',
    ],
    description: 'waits for the body that a HEAD, 204 or 304 response announces',
    client: NoBodyWaits,
  },
  {
    name: 'first-length-wins',
    breaks: [
      'client-bad-length-abc',
      'client-bad-length-list',
      'client-bad-length-two-fields',
      'client-bad-length-negative',
    ],
    description: 'takes the leading number of the first Content-Length field (0 if none) instead of failing',
    client: FirstLengthWins,
  },
  {
    name: 'length-over-chunked',
    breaks: ['client-cl-and-te'],
    description: 'frames a response by Content-Length when Transfer-Encoding is present too',
    client: LengthOverChunked,
  },
  {
    name: 'reuse-after-cl-te',
    breaks: ['client-cl-and-te'],
    description: 'keeps the connection after a response with both Content-Length and Transfer-Encoding',
    client: ReuseAfterClTe,
  },
  {
    name: 'short-body-ok',
    breaks: ['client-short-body-fin', 'client-short-body-rst'],
    description: 'hands out a body cut short of its Content-Length as a success',
    client: ShortBodyAccepted,
  },
];
