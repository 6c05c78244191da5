import * as net from 'node:net';

/** A free TCP port on the loopback interface (the kernel picks it; a tiny race remains until the user binds it). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Resolve once host:port accepts a TCP connection, or reject after `timeoutMs`. */
export async function waitForPort(
  host: string,
  port: number,
  timeoutMs: number,
  opts: { signal?: AbortSignal; intervalMs?: number; gaveUp?: () => string | undefined } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const interval = opts.intervalMs ?? 50;
  let lastError = 'no attempt';
  while (Date.now() < deadline) {
    if (opts.signal?.aborted) throw new Error('cancelled');
    const why = opts.gaveUp?.();
    if (why) throw new Error(why);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host, port });
      const timer = setTimeout(
        () => {
          s.destroy();
          lastError = 'connect timed out';
          resolve(false);
        },
        Math.max(100, Math.min(1000, deadline - Date.now())),
      );
      s.once('connect', () => {
        clearTimeout(timer);
        s.destroy();
        resolve(true);
      });
      s.once('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        lastError = e.code ?? e.message;
        resolve(false);
      });
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, interval));
  }
  throw new Error(
    `${host}:${port} did not accept a TCP connection within ${timeoutMs} ms (last: ${lastError})`,
  );
}
