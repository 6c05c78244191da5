import type * as tls from 'node:tls';
import type { HttpResponse } from '../../../harness/wire/parse.js';
import { type Connection, ReferenceClient } from '../../clients/reference-client.js';
import type { FaultyClient } from './types.js';

/** Over TLS, ends a connection with a bare TCP FIN: no closure alert. */
class TlsBareClose extends ReferenceClient {
  override endTransport(c: Connection): void {
    if (c.tap) c.tap.raw.end();
    else super.endTransport(c);
  }
}

/** Over TLS, fails any response whose connection the server ends without a closure alert, even one complete by its length. */
class TlsEofFailsComplete extends ReferenceClient {
  protected override async truncated(c: Connection, res: HttpResponse): Promise<string | undefined> {
    if (!c.tap) return super.truncated(c, res);
    // A response that says close: its connection's end is near; wait for it briefly.
    await c.waitFor(() => c.tap?.recordsAtFin !== undefined, 300);
    if (c.tap.recordsAtFin === undefined) return super.truncated(c, res);
    const closure = c.tap.closureBeforeFin((c.socket as tls.TLSSocket).getProtocol?.() ?? null);
    return closure?.alert ? undefined : `TLS connection ended without a closure alert (${closure?.how})`;
  }
}

/** Over TLS, takes a close-delimited body ended by a bare TCP FIN for complete. */
class TlsTruncationAccepted extends ReferenceClient {
  protected override async truncated(): Promise<string | undefined> {
    return undefined;
  }
}

export const tlsClientFaults: FaultyClient[] = [
  {
    name: 'tls-bare-close',
    breaks: ['client-tls-close-notify'],
    description: 'over TLS, closes its connections with a bare TCP FIN, without a closure alert',
    client: TlsBareClose,
  },
  {
    name: 'tls-eof-fails-complete',
    breaks: ['client-tls-incomplete-close-length'],
    description: 'over TLS, fails a complete response when the server closes without a closure alert',
    client: TlsEofFailsComplete,
  },
  {
    name: 'tls-truncation-accepted',
    breaks: ['client-tls-incomplete-close-delimited'],
    description: 'over TLS, takes a close-delimited body ended without a closure alert for complete',
    client: TlsTruncationAccepted,
  },
];
