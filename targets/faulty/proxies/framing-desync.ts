import type { Header, HttpRequest } from '../../../harness/wire/parse.js';
import { DownstreamConnection } from '../../proxies/reference.js';
import type { FaultyProxy } from './types.js';

const latin1 = (b: Buffer) => b.toString('latin1');

/** Processes Content-Length + Transfer-Encoding by the chunked coding and keeps the connection (no close). */
class KeepsClTe extends DownstreamConnection {
  protected override refuse(req: HttpRequest) {
    return req.clAndTe ? undefined : super.refuse(req);
  }
  protected override requestFields(req: HttpRequest): Header[] {
    return super.requestFields(req).filter((h) => h.name.toLowerCase() !== 'content-length');
  }
}

/** Of two different Content-Length fields, believes the first (and drops the second unseen). */
class FirstContentLength extends DownstreamConnection {
  protected override incoming(bytes: Buffer): Buffer {
    const text = latin1(bytes);
    const lengths = [...text.matchAll(/\r\nContent-Length: *(\d+)/gi)];
    if (lengths.length < 2 || lengths[0]![1] === lengths[1]![1]) return bytes;
    return Buffer.from(text.replace(lengths[1]![0], ''), 'latin1');
  }
}

/** Takes `Transfer-Encoding : chunked` for some other field and forwards it as received. */
class ForwardsWsColon extends DownstreamConnection {
  protected override incoming(bytes: Buffer): Buffer {
    return Buffer.from(latin1(bytes).replace(/\r\nTransfer-Encoding :/gi, '\r\nX-Ks-Ws-Colon:'), 'latin1');
  }
  protected override requestFields(req: HttpRequest): Header[] {
    return super
      .requestFields(req)
      .map((h) => (h.name === 'X-Ks-Ws-Colon' ? { name: 'Transfer-Encoding ', value: h.value } : h));
  }
}

const FOLD = '{obs-fold}';

/** Accepts an obs-fold and forwards the field still folded. */
class ForwardsObsFold extends DownstreamConnection {
  protected override incoming(bytes: Buffer): Buffer {
    // Only the header section: a CRLF and a space inside a body are data.
    const text = latin1(bytes);
    const end = text.indexOf('\r\n\r\n');
    const head = end < 0 ? text : text.slice(0, end);
    return Buffer.from(head.replace(/\r\n([ \t])/g, `${FOLD}$1`) + text.slice(head.length), 'latin1');
  }
  protected override requestFields(req: HttpRequest): Header[] {
    return super.requestFields(req).map((h) => ({ name: h.name, value: h.value.replaceAll(FOLD, '\r\n') }));
  }
}

export const desyncFaults: FaultyProxy[] = [
  {
    name: 'proxy-keeps-cl-te',
    breaks: ['proxy-smug-cl-te', 'proxy-smug-te-cl'],
    description:
      'accepts Content-Length with Transfer-Encoding, frames by chunked and keeps the client connection (RFC 9112 §6.1: close)',
    connection: KeepsClTe,
  },
  {
    name: 'proxy-first-content-length',
    breaks: ['proxy-smug-cl-dup'],
    description: 'of two different Content-Length values, believes the first',
    connection: FirstContentLength,
  },
  {
    name: 'proxy-forwards-ws-colon',
    breaks: ['proxy-smug-ws-colon'],
    description: 'forwards a field with whitespace before the colon instead of answering 400',
    connection: ForwardsWsColon,
  },
  {
    name: 'proxy-forwards-obs-fold',
    breaks: ['proxy-smug-obs-fold'],
    description: 'forwards a header field still folded (obs-fold) instead of rejecting or unfolding it',
    connection: ForwardsObsFold,
  },
];
