import type { Header, HttpRequest } from '../../../harness/wire/parse.js';
import { DownstreamConnection, HOP_BY_HOP } from '../../proxies/reference.js';
import type { FaultyProxy } from './types.js';

/** Removes the fixed hop-by-hop fields but not the ones the client names in Connection. */
class ForwardsNamedFields extends DownstreamConnection {
  protected override requestFields(req: HttpRequest): Header[] {
    return req.headers.filter((h) => !HOP_BY_HOP.includes(h.name.toLowerCase()));
  }
}

export const persistenceFaults: FaultyProxy[] = [
  {
    name: 'proxy-forwards-connection-named',
    breaks: ['proxy-hop-connection-named'],
    description:
      'forwards the fields a client names in Connection (it removes only the fixed hop-by-hop list)',
    connection: ForwardsNamedFields,
  },
];
