import { ReferenceConnection, rawSocketOf } from '../../servers/reference.js';
import type { FaultyServer } from './types.js';

/** Over TLS, ends the TCP connection without a closure alert. */
class BareTcpClose extends ReferenceConnection {
  protected override endWrite(): void {
    const raw = rawSocketOf.get(this.socket);
    if (raw) raw.end();
    else super.endWrite();
  }
}

export const tlsFaults: FaultyServer[] = [
  {
    name: 'tls-no-closure-alert',
    breaks: ['close-tls-closure-alert'],
    description: 'over TLS, closes the TCP connection without sending a closure alert first',
    connection: BareTcpClose,
    tls: true,
  },
];
