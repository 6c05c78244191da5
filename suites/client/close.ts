// Client mode, area `close`: a client retires a connection when either side says
// close (CLOSE-04 client half, CLOSE-08, CLOSE-09), reads close-delimited bodies
// to EOF and never reuses their connection (CLOSE-10), and stops an upload the
// server refused with 413 + close (CLOSE-11).

import { fail } from '../../harness/check.js';
import {
  type ClientObservation,
  type ClientPlan,
  type ClientScenario,
  clientScenario,
  describeConns,
  describeLine,
  ok,
  type Reply,
  type Script,
} from '../../harness/client-context.js';
import { type Finding, measured, satisfied } from '../../harness/model.js';
import type { HeaderList } from '../../harness/wire/build.js';
import { connectionOptions } from '../../harness/wire/parse.js';
import type { ReceivedRequest, ServerConn } from '../../harness/wire/server.js';

/** r2's pause after r1 completed: a client that closes "after reading the response" has done so by then. */
const GAP_MS = 200;

/** r1, then r2 GAP_MS later: the plan of the close scenarios. */
const twoSteps = (r1Headers?: Record<string, string>): ClientPlan => ({
  requests: [
    { id: 'r1', path: '/a', ...(r1Headers ? { headers: r1Headers } : {}) },
    { id: 'r2', path: '/b', delayMs: GAP_MS },
  ],
});

/** After the driver exits, watch this long for the FINs still on their way. */
const settle = (t: { timeoutMs: number }) => Math.min(500, t.timeoutMs);

/** The step reported a 200 whose body is `body`, or a MUST violation. */
function reported(obs: ClientObservation, id: string, body: string): void {
  const l = obs.line(id);
  if (l?.status === 200 && l.body === body) return;
  fail({
    summary: `the client did not report the response to ${id} correctly`,
    expected: `status 200 and body ${JSON.stringify(body)} for ${id}`,
    seen: `${describeLine(obs, id)}; connections: ${describeConns(obs)}`,
    level: 'MUST',
  });
}

const ms = (t: number) => `${Math.round(t)} ms`;

/**
 * `req` was the last request the client may send on its connection, and the
 * client must close that connection once it has read the response (RFC 9112
 * §9.6). Checks: nothing more on that connection; r2 on another one; the
 * client's FIN (or RST) on it before r2 arrived, which the plan issues GAP_MS
 * after r1 completed (a client that closes only when its pool is next used, or
 * at exit, closes after r2). Returns what happened, for the finding.
 */
function retired(obs: ClientObservation, req: ReceivedRequest, why: string): string {
  const c = req.conn;
  const after = c.requests.filter((r) => r.index > req.index);
  if (after.length > 0)
    fail({
      summary: `the client sent ${after.map((r) => `${r.msg.method} ${r.msg.target}`).join(', ')} on ${c.label} after ${why}`,
      expected: `no further request on ${c.label} after ${why}`,
      seen: describeConns(obs),
    });
  if (c.partialBytes > 0 || c.parseError)
    fail({
      summary: `the client sent more bytes on ${c.label} after ${why}`,
      expected: `nothing more on ${c.label} after ${why}`,
      seen: `${c.parseError ? `unparsable bytes: ${c.parseError.message}` : `${c.partialBytes} bytes of a further request`}; ${describeConns(obs)}`,
    });
  const next = obs.arrivals('r2').find((r) => r.conn !== c);
  if (!next)
    fail({
      summary: `r2 did not go out on a new connection after ${why}`,
      expected: `r2 on a new connection`,
      seen: `${describeConns(obs)}; driver: r2 ${describeLine(obs, 'r2')}`,
    });
  const endAt = Math.min(
    c.clientFinAt ?? Number.POSITIVE_INFINITY,
    c.clientRstAt ?? Number.POSITIVE_INFINITY,
  );
  const how = c.clientRstAt !== undefined && c.clientRstAt === endAt ? 'RST' : 'FIN';
  if (!(endAt < next.headAt))
    fail({
      summary: `the client left ${c.label} open after ${why}`,
      expected: `the client to close ${c.label} once it had read the response, before r2 (issued ${GAP_MS} ms later)`,
      seen:
        endAt === Number.POSITIVE_INFINITY
          ? `${c.label} was never closed by the client; ${describeConns(obs)}`
          : `the client's ${how} on ${c.label} came at ${ms(endAt)}, after r2 arrived on ${next.conn.label} at ${ms(next.headAt)}; ${describeConns(obs)}`,
    });
  return `the client closed ${c.label} (${how}) ${ms(endAt - req.at)} after the request, before r2 went out on ${next.conn.label}`;
}

// ---- CLOSE-09 and the CLOSE-04 client half ------------------------------------------

/** r1's response says close through these header fields; the harness keeps the connection open. */
function closeSaid(id: string, headers: HeaderList, label: string, covers: string[]): ClientScenario {
  const script: Script = (req) =>
    req.msg.target === '/a'
      ? { response: { status: 200, headers: [['Content-Type', 'text/plain'], ...headers], body: 'ok /a' } }
      : ok(`ok ${req.msg.target}`);
  return clientScenario({
    id,
    area: 'close',
    level: 'MUST',
    rfc: covers.includes('CLOSE-04') ? 'RFC 9110 §7.6.1' : 'RFC 9112 §9.6',
    covers,
    title: `a response with ${label} retires its connection even though the server has not closed it`,
    plan: twoSteps(),
    script,
    settleMs: settle,
    check(obs) {
      reported(obs, 'r1', 'ok /a');
      const r1 = obs.arrivals('r1')[0];
      if (!r1)
        return fail({ summary: 'r1 never reached the server', expected: 'r1', seen: describeConns(obs) });
      const how = retired(obs, r1, `a response with ${label}`);
      reported(obs, 'r2', 'ok /b');
      return satisfied(`${how}: ${describeConns(obs)}`);
    },
  });
}

const CLOSE_TOKENS: Array<{ id: string; headers: HeaderList; label: string }> = [
  { id: 'mixed-case', headers: [['Connection', 'Close']], label: '"Connection: Close"' },
  { id: 'upper-case', headers: [['Connection', 'CLOSE']], label: '"Connection: CLOSE"' },
  { id: 'list-last', headers: [['Connection', 'x-foo, close']], label: '"Connection: x-foo, close"' },
  { id: 'list-first', headers: [['Connection', 'close ,x-foo']], label: '"Connection: close ,x-foo"' },
  {
    id: 'with-keep-alive',
    headers: [['Connection', 'keep-alive, close']],
    label: '"Connection: keep-alive, close"',
  },
  {
    id: 'second-line',
    headers: [
      ['Connection', 'x-foo'],
      ['Connection', 'close'],
    ],
    label: 'close on a second Connection line',
  },
];

// ---- CLOSE-08 ----------------------------------------------------------------------

const requestClose = clientScenario({
  id: 'client-close-request-close',
  area: 'close',
  level: 'MUST',
  rfc: 'RFC 9112 §9.6',
  covers: ['CLOSE-08'],
  title: 'a client that sent Connection: close sends nothing more on that connection and closes it itself',
  plan: twoSteps({ Connection: 'close' }),
  settleMs: settle,
  check(obs) {
    const r1 = obs.arrivals('r1')[0];
    if (!r1)
      return fail({ summary: 'r1 never reached the server', expected: 'r1', seen: describeConns(obs) });
    if (!connectionOptions(r1.msg.headers).has('close'))
      return measured(
        `the client did not send the plan's Connection: close on r1 (the rule applies only to a request that carries it): ${describeConns(obs)}`,
      );
    reported(obs, 'r1', 'ok /a');
    const how = retired(obs, r1, 'its own request with close');
    reported(obs, 'r2', 'ok /b');
    return satisfied(`${how}; the response had neither close nor FIN: ${describeConns(obs)}`);
  },
});

// ---- CLOSE-10 ----------------------------------------------------------------------

const DELIMITED_BODY = [
  'the body has no length, ',
  'it ends when the server closes, ',
  'and this is its end.',
];

/** r1 = a header section without a length, the body in three writes 100 ms apart, then FIN. */
function closeDelimited(
  id: string,
  headers: HeaderList,
  label: string,
  errorAcceptable: boolean,
): ClientScenario {
  const head = `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n${headers.map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n`;
  const r1: Reply = {
    pieces: [head, ...DELIMITED_BODY],
    pieceDelayMs: 100,
    after: 'half-close',
    afterDelayMs: 100,
  };
  const body = DELIMITED_BODY.join('');
  return clientScenario({
    id,
    area: 'close',
    level: 'MUST',
    rfc: 'RFC 9112 §6.3',
    covers: ['CLOSE-10'],
    title: `a close-delimited response (${label}) is read to EOF and its connection is not reused`,
    plan: twoSteps(),
    script: (req) => (req.msg.target === '/a' ? r1 : ok(`ok ${req.msg.target}`)),
    settleMs: settle,
    check(obs): Finding {
      const l = obs.line('r1');
      let r1Seen: string;
      if (l?.status !== undefined && l.body === body) r1Seen = 'r1 reported with its whole body';
      else if (l?.error !== undefined && errorAcceptable)
        r1Seen = `r1 reported as an error (acceptable for a coding the client cannot decode): ${JSON.stringify(l.error.slice(0, 120))}`;
      else
        fail({
          summary: l
            ? `the client did not report the close-delimited body of r1 whole`
            : 'the client never finished r1 (it did not take the FIN as the end of the body)',
          expected: `status 200 and the body ${JSON.stringify(body)} (everything up to the server's FIN)${errorAcceptable ? ', or an error' : ''}`,
          seen: `${describeLine(obs, 'r1')}; connections: ${describeConns(obs)}`,
        });
      const first = obs.arrivals('r1')[0];
      if (!first)
        return fail({ summary: 'r1 never reached the server', expected: 'r1', seen: describeConns(obs) });
      const again = first.conn.requests.filter((r) => r.index > first.index);
      if (again.length > 0 || first.conn.partialBytes > 0)
        fail({
          summary: `the client reused ${first.conn.label} after a close-delimited response`,
          expected: `no further request on ${first.conn.label}: its response ended with the connection`,
          seen: describeConns(obs),
        });
      const next = obs.arrivals('r2').find((r) => r.conn !== first.conn);
      if (!next)
        fail({
          summary: 'r2 did not go out on a new connection after the close-delimited response',
          expected: 'r2 on a new connection',
          seen: `${describeConns(obs)}; driver: r2 ${describeLine(obs, 'r2')}`,
        });
      reported(obs, 'r2', 'ok /b');
      return satisfied(`${r1Seen}; r2 on ${next.conn.label}: ${describeConns(obs)}`);
    },
  });
}

// ---- CLOSE-11 ----------------------------------------------------------------------

/**
 * 8 MiB, not the 4 MiB of REQUIREMENTS.md: on Linux loopback the kernel takes
 * about 4 MiB into socket buffers before a client's writes block, so a 4 MiB
 * body can be "sent" before the 413 arrives whatever the client does. A client
 * that stops at the 413 sends about that much at most; one that does not stop
 * sends all 8 MiB. The verdict line is at 3/4 of the body (2 MiB of margin).
 */
const UPLOAD_BYTES = 8 * 1024 * 1024;
const UPLOAD_LIMIT = (UPLOAD_BYTES * 3) / 4;
let uploadBody: string | undefined;
/**
 * The connections that carried the refused upload, with the bytes received
 * when the 413 went out (keyed by connection: runs go on concurrently).
 */
const refused = new WeakMap<ServerConn, number>();

const earlyRefusal = clientScenario({
  id: 'client-close-early-413',
  area: 'close',
  level: 'SHOULD',
  rfc: 'RFC 9112 §9.5',
  covers: ['CLOSE-11'],
  title:
    'a client stops uploading, reports the 413 and uses a new connection when the server refuses the body and closes',
  plan: {
    requests: [
      {
        id: 'r1',
        method: 'POST',
        path: '/up',
        headers: { 'Content-Type': 'application/octet-stream' },
        // built on first use: the suite is imported by every command
        get body() {
          uploadBody ??= 'x'.repeat(UPLOAD_BYTES);
          return uploadBody;
        },
      },
      { id: 'r2', path: '/b', delayMs: 100 },
    ],
  },
  early(head, conn) {
    if (head.method !== 'POST') return undefined;
    refused.set(conn, conn.partialBytes);
    return {
      response: {
        status: 413,
        headers: [
          ['Content-Type', 'text/plain'],
          ['Connection', 'close'],
        ],
        body: 'too large',
      },
      after: 'half-close',
    };
  },
  settleMs: (t) => Math.min(1000, t.timeoutMs),
  check(obs) {
    const up = obs.conns.find((c) => refused.has(c));
    if (!up)
      return fail({
        summary: 'the POST never reached the server',
        expected: 'r1 POST /up',
        seen: describeConns(obs),
      });
    const done = up.requests.find((r) => r.msg.method === 'POST');
    const bytes = done ? done.msg.raw.length : up.partialBytes;
    const kib = (n: number) => `${(n / 1024).toFixed(0)} KiB`;
    const sent = `${kib(bytes)} of the ${UPLOAD_BYTES / 1024 / 1024} MiB request (${kib(bytes - (refused.get(up) ?? 0))} after the 413)`;
    const l = obs.line('r1');
    if (!l)
      fail({
        summary: 'the client never finished r1 after the 413 + close',
        expected: 'the 413 reported for r1',
        seen: `${describeLine(obs, 'r1')}; ${sent} arrived on ${up.label}; ${describeConns(obs)}`,
        level: 'MUST',
      });
    const again = up.requests.filter((r) => r.msg.method !== 'POST');
    if (again.length > 0 || obs.arrivals('r2').some((r) => r.conn === up))
      fail({
        summary: `the client sent r2 on ${up.label} after a 413 with close that cut its upload short`,
        expected: `r2 on a new connection`,
        seen: describeConns(obs),
        level: 'MUST',
      });
    const next = obs.arrivals('r2').find((r) => r.conn !== up);
    if (!next)
      fail({
        summary: 'r2 did not go out on a new connection after the refused upload',
        expected: 'r2 on a new connection',
        seen: `${describeConns(obs)}; driver: r2 ${describeLine(obs, 'r2')}`,
        level: 'MUST',
      });
    if (l.status !== 413)
      fail({
        summary:
          l.error !== undefined
            ? 'the client reported a connection error instead of the 413 the server sent'
            : `the client reported status ${l.status} instead of the 413`,
        expected: 'status 413 for r1: the server answered before it closed',
        seen: `${describeLine(obs, 'r1')}; ${sent} arrived`,
      });
    if (done || bytes >= UPLOAD_LIMIT)
      fail({
        summary: `the client went on uploading after the 413 + close: ${sent} arrived`,
        expected: `the upload to stop soon after the 413 (under ${UPLOAD_LIMIT / 1024 / 1024} MiB of the ${UPLOAD_BYTES / 1024 / 1024} MiB body)`,
        seen: `${sent} arrived on ${up.label}${done ? ' (the whole body)' : ''}; ${describeConns(obs)}`,
      });
    const end =
      up.clientRstAt !== undefined
        ? 'reset'
        : up.clientFinAt !== undefined
          ? 'closed (FIN)'
          : 'did not close';
    return satisfied(
      `r1 reported 413; the upload stopped after ${sent}; the client ${end} ${up.label}; r2 on ${next.conn.label}: ${describeConns(obs)}`,
    );
  },
});

/** Client scenarios of area `close`. */
export const closeClient: ClientScenario[] = [
  closeSaid('client-close-response-close', [['Connection', 'close']], '"Connection: close"', ['CLOSE-09']),
  ...CLOSE_TOKENS.map((v) =>
    closeSaid(`client-close-token-${v.id}`, v.headers, v.label, ['CLOSE-04', 'CLOSE-09']),
  ),
  requestClose,
  closeDelimited('client-close-delimited', [], 'no length', false),
  closeDelimited(
    'client-close-delimited-false-keep-alive',
    [['Connection', 'keep-alive']],
    'a false Connection: keep-alive',
    false,
  ),
  closeDelimited(
    'client-close-delimited-unknown-coding',
    [['Transfer-Encoding', 'gzip']],
    'Transfer-Encoding: gzip over raw bytes',
    true,
  ),
  earlyRefusal,
];
