import type { RunningTarget, ServerTargetOptions } from '../../harness/targets.js';
import {
  type ConnectionClass,
  REFERENCE_RESOURCES,
  ReferenceConnection,
  type ReferenceOptions,
  ReferenceServer,
} from './reference.js';

/** Start a reference-based server in this process on a free loopback port. */
export async function startEmbedded(
  name: string,
  opts: ServerTargetOptions & Partial<ReferenceOptions>,
  Connection: ConnectionClass = ReferenceConnection,
): Promise<RunningTarget> {
  const server = new ReferenceServer(opts, Connection);
  const url = await server.listen();
  return {
    url,
    resources: { ...REFERENCE_RESOURCES },
    description: `${name} (embedded, ${url.host}, idle timeout ${server.opts.idleTimeoutMs} ms)`,
    stop: () => server.stop(),
    tlsInsecure: Boolean(opts.tls),
  };
}
