// Client mode, area `http10`: how a client treats HTTP/1.0 responses and what it
// sends when it speaks HTTP/1.0. No reuse after a 1.0 response without the
// keep-alive token, whatever else it carries (KA10-09, KA10-04 client half), or
// after a 1.0 response with Transfer-Encoding (KA10-07 client half); the token
// matched case-insensitively (KA10-06 client half); 1.0 keep-alive with and
// without a length (KA10-10); request bodies framed with Content-Length toward
// HTTP/1.0 (KA10-11); the Keep-Alive request header only with its token, and no
// Proxy-Connection (KA10-08 client half, KA10-12).

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
import { buildResponse, chunkedBody, type HeaderList } from '../../harness/wire/build.js';
import { connectionOptions, fieldValue, fieldValues, type HttpRequest } from '../../harness/wire/parse.js';
import type { ReceivedRequest } from '../../harness/wire/server.js';

/** r2's pause after r1 completed: a client that closes "after reading the response" has done so by then. */
const GAP_MS = 200;

/** After the driver exits, watch this long for FINs still on their way (evidence only). */
const settle = (t: { timeoutMs: number }) => Math.min(300, t.timeoutMs);

const ms = (t: number) => `${Math.round(t)} ms`;

/** r1 GET /a, then r2 GET /b GAP_MS later. */
const TWO: ClientPlan = {
  requests: [
    { id: 'r1', path: '/a' },
    { id: 'r2', path: '/b', delayMs: GAP_MS },
  ],
};

/** An HTTP/1.0 200 whose body names the path, with these header fields and a Content-Length. */
const http10 = (path: string, headers: HeaderList): Reply => ({
  response: buildResponse({
    version: '1.0',
    status: 200,
    headers: [['Content-Type', 'text/plain'], ...headers],
    body: `ok ${path}`,
  }),
});

/** The reply for a path from the table, else the default HTTP/1.1 answer. */
const byPath =
  (table: Record<string, Reply>): Script =>
  (req) =>
    table[req.msg.target] ?? ok(`ok ${req.msg.target}`);

/** The step reported a 200 whose body is `body`, or a MUST violation. */
function reported(obs: ClientObservation, id: string, body: string): void {
  const l = obs.line(id);
  if (l?.status === 200 && l.body === body) return;
  fail({
    summary: l
      ? `the client did not report the response to ${id} correctly`
      : `the client never finished ${id}`,
    expected: `status 200 and body ${JSON.stringify(body)} for ${id}`,
    seen: `${describeLine(obs, id)}; connections: ${describeConns(obs)}`,
    level: 'MUST',
  });
}

/** The first arrival of a step, or a violation. */
function first(obs: ClientObservation, id: string): ReceivedRequest {
  const a = obs.arrivals(id)[0];
  if (a) return a;
  return fail({
    summary: `${id} never reached the server`,
    expected: `the client to send ${id}`,
    seen: `${describeConns(obs)}; driver: ${describeLine(obs, id)}`,
    level: 'MUST',
  });
}

/**
 * After `req`'s response (`why`), the client may send nothing more on its
 * connection (MUST): r2 goes on a new connection. It should also close that
 * connection itself once it has read the response, before r2 goes out GAP_MS
 * later (SHOULD, derived: RFC 9112 §9.3 says the connection closes after this
 * response; the server is not obliged to, and a client that waits for it holds
 * a dead connection). Returns what happened, for the finding.
 */
function notReused(obs: ClientObservation, req: ReceivedRequest, why: string): string {
  const c = req.conn;
  const after = c.requests.filter((r) => r.index > req.index);
  if (after.length > 0 || c.partialBytes > 0 || c.parseError)
    fail({
      summary: `the client reused ${c.label} after ${why}`,
      expected: `no further request on ${c.label}: after ${why} the connection does not persist`,
      seen: `${after.length ? after.map((r) => `${r.msg.method} ${r.msg.target}`).join(', ') : `${c.partialBytes} more bytes`} on ${c.label}; ${describeConns(obs)}`,
    });
  const next = obs.arrivals('r2').find((r) => r.conn !== c);
  if (!next)
    fail({
      summary: `r2 did not go out on a new connection after ${why}`,
      expected: 'r2 on a new connection',
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
      level: 'SHOULD',
    });
  return `r2 went on ${next.conn.label}; the client closed ${c.label} (${how}) ${ms(endAt - req.at)} after r1 arrived, before r2`;
}

// ---- KA10-09, KA10-04 and KA10-07 (client halves): no reuse ------------------------------

/** r1 is answered with `reply` and the harness leaves the connection open: the client must not reuse it. */
function noReuse(spec: {
  id: string;
  rfc: string;
  covers: string[];
  title: string;
  reply: Reply;
  why: string;
  /** r1 may be reported as an error instead (faulty framing the client may refuse) */
  errorAcceptable?: boolean;
}): ClientScenario {
  return clientScenario({
    id: spec.id,
    area: 'http10',
    level: 'MUST',
    rfc: spec.rfc,
    covers: spec.covers,
    title: spec.title,
    plan: TWO,
    script: byPath({ '/a': spec.reply }),
    settleMs: settle,
    check(obs) {
      const l = obs.line('r1');
      let r1Seen = '';
      if (spec.errorAcceptable && l?.error !== undefined)
        r1Seen = `r1 reported as an error (acceptable for faulty framing): ${JSON.stringify(l.error.slice(0, 120))}; `;
      else reported(obs, 'r1', 'ok /a');
      const how = notReused(obs, first(obs, 'r1'), spec.why);
      reported(obs, 'r2', 'ok /b');
      return satisfied(`${r1Seen}${how}: ${describeConns(obs)}`);
    },
  });
}

const noKeepAlive = noReuse({
  id: 'client-http10-response-no-keep-alive',
  rfc: 'RFC 9112 §9.3',
  covers: ['KA10-09'],
  title:
    'an HTTP/1.0 response without the keep-alive option ends the connection even if the server leaves it open',
  reply: http10('/a', []),
  why: 'an HTTP/1.0 response without keep-alive',
});

const keepAliveHeaderOnly = noReuse({
  id: 'client-http10-keep-alive-header-without-token',
  rfc: 'RFC 9112 §9.3; RFC 9110 §7.6.1',
  covers: ['KA10-04', 'KA10-09'],
  title:
    'a Keep-Alive header on an HTTP/1.0 response without the keep-alive connection option does not make it persistent',
  reply: http10('/a', [['Keep-Alive', 'timeout=5']]),
  why: 'an HTTP/1.0 response with Keep-Alive: timeout=5 but no keep-alive token',
});

const chunkedHttp10 = noReuse({
  id: 'client-http10-transfer-encoding-response',
  rfc: 'RFC 9112 §6.1',
  covers: ['KA10-07'],
  title:
    'an HTTP/1.0 response with Transfer-Encoding has faulty framing: its connection is not reused, even with keep-alive',
  reply: {
    response: Buffer.concat([
      Buffer.from(
        'HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n',
        'latin1',
      ),
      chunkedBody(['ok ', '/a']),
    ]),
  },
  why: 'an HTTP/1.0 response with Transfer-Encoding: chunked and Connection: keep-alive',
  errorAcceptable: true,
});

// ---- KA10-06 (client half): the token in any case, in a list -----------------------------

/**
 * r1 is answered HTTP/1.0 with `Connection: keep-alive`, r2 HTTP/1.0 with the
 * variant, r3 HTTP/1.1: whether r2 goes on r1's connection is the client's
 * decision for the lower-case token, whether r3 goes on r2's connection its
 * decision for the variant. Both must be the same; declining 1.0 keep-alive
 * altogether is allowed (RFC 9112 §9.3: MAY).
 */
function tokenCase(variant: string, value: string): ClientScenario {
  return clientScenario({
    id: `client-http10-keep-alive-token-${variant}`,
    area: 'http10',
    level: 'MUST',
    rfc: 'RFC 9110 §7.6.1',
    covers: ['KA10-06'],
    title: `an HTTP/1.0 response with "Connection: ${value}" is as persistent to the client as one with "keep-alive"`,
    plan: {
      requests: [
        { id: 'r1', path: '/a' },
        { id: 'r2', path: '/b', delayMs: GAP_MS },
        { id: 'r3', path: '/c', delayMs: GAP_MS },
      ],
    },
    script: byPath({
      '/a': http10('/a', [['Connection', 'keep-alive']]),
      '/b': http10('/b', [['Connection', value]]),
    }),
    settleMs: settle,
    check(obs): Finding {
      for (const [id, path] of [
        ['r1', '/a'],
        ['r2', '/b'],
        ['r3', '/c'],
      ] as const)
        reported(obs, id, `ok ${path}`);
      const [a, b, c] = [first(obs, 'r1'), first(obs, 'r2'), first(obs, 'r3')];
      const lower = a.conn === b.conn;
      const other = b.conn === c.conn;
      const said = (keep: boolean) => (keep ? 'reused the connection' : 'did not reuse the connection');
      if (lower !== other)
        fail({
          summary: `the client ${said(lower)} after "Connection: keep-alive" but ${said(other)} after "Connection: ${value}"`,
          expected: `the same decision after both HTTP/1.0 responses (connection options are case-insensitive, and may come in a list)`,
          seen: describeConns(obs),
        });
      if (!lower)
        return measured(
          `the client does not reuse connections after HTTP/1.0 keep-alive responses (allowed), with either spelling: ${describeConns(obs)}`,
        );
      return satisfied(
        `the client reused the connection after both "keep-alive" and "${value}": ${describeConns(obs)}`,
      );
    },
  });
}

// ---- KA10-10: HTTP/1.0 keep-alive with and without a length -------------------------------

const keepAliveWithLength = clientScenario({
  id: 'client-http10-keep-alive-reuse',
  area: 'http10',
  level: 'INFO',
  rfc: 'RFC 9112 §9.3',
  covers: ['KA10-10'],
  title:
    'whether the client reuses a connection after an HTTP/1.0 keep-alive response with a Content-Length (measurement)',
  plan: TWO,
  script: byPath({ '/a': http10('/a', [['Connection', 'keep-alive']]) }),
  check(obs) {
    reported(obs, 'r1', 'ok /a');
    reported(obs, 'r2', 'ok /b');
    const a = first(obs, 'r1');
    const b = first(obs, 'r2');
    return measured(
      a.conn === b.conn
        ? `the client reused the connection after an HTTP/1.0 keep-alive response with a length: ${describeConns(obs)}`
        : `the client opened a new connection after an HTTP/1.0 keep-alive response with a length (allowed: persistence with HTTP/1.0 is optional): ${describeConns(obs)}`,
      a.conn === b.conn ? 'reused' : 'not reused',
    );
  },
});

const NO_LENGTH_BODY = ['this HTTP/1.0 body has no length, ', 'so it ends only when the server closes.'];

const keepAliveNoLength = clientScenario({
  id: 'client-http10-keep-alive-no-length',
  area: 'http10',
  level: 'MUST',
  rfc: 'RFC 9112 §6.3',
  covers: ['KA10-10'],
  title: 'an HTTP/1.0 keep-alive response without a length is read to EOF and its connection is not reused',
  plan: TWO,
  // the body in two writes 200 ms apart, then FIN a moment later
  script: byPath({
    '/a': {
      pieces: [
        `HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nConnection: keep-alive\r\n\r\n${NO_LENGTH_BODY[0]}`,
        NO_LENGTH_BODY[1]!,
      ],
      pieceDelayMs: 200,
      after: 'half-close',
      afterDelayMs: 100,
    },
  }),
  settleMs: settle,
  check(obs) {
    const body = NO_LENGTH_BODY.join('');
    const l = obs.line('r1');
    if (l?.status !== 200 || l.body !== body)
      fail({
        summary: l
          ? 'the client did not report the whole body of the HTTP/1.0 keep-alive response without a length'
          : 'the client never finished r1 (it did not take the FIN as the end of the body)',
        expected: `status 200 and the body ${JSON.stringify(body)} (everything up to the server's FIN)`,
        seen: `${describeLine(obs, 'r1')}; connections: ${describeConns(obs)}`,
      });
    const a = first(obs, 'r1');
    const again = a.conn.requests.filter((r) => r.index > a.index);
    if (again.length > 0 || a.conn.partialBytes > 0)
      fail({
        summary: `the client wrote on ${a.conn.label} after its close-delimited response`,
        expected: `nothing more on ${a.conn.label}: its response ended with the connection`,
        seen: describeConns(obs),
      });
    const next = obs.arrivals('r2').find((r) => r.conn !== a.conn);
    if (!next)
      fail({
        summary: 'r2 did not go out on a new connection',
        expected: 'r2 on a new connection',
        seen: `${describeConns(obs)}; driver: r2 ${describeLine(obs, 'r2')}`,
      });
    reported(obs, 'r2', 'ok /b');
    return satisfied(`r1 reported with its whole body; r2 on ${next.conn.label}: ${describeConns(obs)}`);
  },
});

// ---- KA10-11: request bodies toward HTTP/1.0 ------------------------------------------------

const POST_BODY = 'hello';

/** The POST step arrived with Content-Length 5, no Transfer-Encoding, and its body; else a violation. */
function framedByLength(obs: ClientObservation, id: string, toward: string): Finding {
  const post = first(obs, id);
  const m = post.msg;
  const te = fieldValue(m.headers, 'transfer-encoding');
  const cl = fieldValues(m.headers, 'content-length');
  if (te !== undefined)
    fail({
      summary: `the client sent a request body with Transfer-Encoding: ${te} ${toward}`,
      expected: `the body framed with Content-Length: ${POST_BODY.length}, no Transfer-Encoding`,
      seen: `${m.method} ${m.target} ${m.version} with Transfer-Encoding: ${te}${cl.length ? ` and Content-Length: ${cl.join(', ')}` : ''}; ${describeConns(obs)}`,
    });
  if (cl.length === 0 || m.body.toString('latin1') !== POST_BODY)
    fail({
      summary: `the client did not frame its request body with Content-Length ${toward}`,
      expected: `Content-Length: ${POST_BODY.length} and the body ${JSON.stringify(POST_BODY)}`,
      seen: `${m.method} ${m.target} ${m.version}, Content-Length ${cl.length ? cl.join(', ') : 'absent'}, body ${JSON.stringify(m.body.toString('latin1').slice(0, 60))}; ${describeConns(obs)}`,
    });
  const l = obs.line(id);
  if (l?.status !== 200)
    fail({
      summary: `the client did not report the response to ${id}`,
      expected: `status 200 for ${id}`,
      seen: `${describeLine(obs, id)}; ${describeConns(obs)}`,
    });
  return satisfied(
    `${m.method} ${m.target} ${m.version} with Content-Length: ${cl.join(', ')} and no Transfer-Encoding: ${describeConns(obs)}`,
  );
}

const postHttp10 = clientScenario({
  id: 'client-http10-request-body-length',
  area: 'http10',
  level: 'MUST NOT',
  rfc: 'RFC 9112 §6.1',
  covers: ['KA10-11'],
  title: 'a client speaking HTTP/1.0 frames its request body with Content-Length, never chunked',
  plan: {
    httpVersion: '1.0',
    requests: [
      { id: 'r1', method: 'POST', path: '/a', headers: { 'Content-Type': 'text/plain' }, body: POST_BODY },
    ],
  },
  script: (req) => http10(req.msg.target, [['Connection', 'keep-alive']]),
  check(obs) {
    return framedByLength(obs, 'r1', 'in an HTTP/1.0 request');
  },
});

const postAfterHttp10 = clientScenario({
  id: 'client-http10-request-body-after-http10-response',
  area: 'http10',
  level: 'MUST NOT',
  rfc: 'RFC 9112 §6.1',
  covers: ['KA10-11'],
  title:
    'after an HTTP/1.0 response, a client frames its next request body with Content-Length, never chunked',
  plan: {
    requests: [
      { id: 'r1', path: '/a' },
      {
        id: 'r2',
        method: 'POST',
        path: '/b',
        headers: { 'Content-Type': 'text/plain' },
        body: POST_BODY,
        delayMs: 100,
      },
    ],
  },
  script: (req) => http10(req.msg.target, [['Connection', 'keep-alive']]),
  check(obs) {
    reported(obs, 'r1', 'ok /a');
    return framedByLength(obs, 'r2', 'to a server that answered HTTP/1.0');
  },
});

// ---- KA10-08 (client half) and KA10-12: the headers a client sends ------------------------

/** Requests that carry a Keep-Alive header without the keep-alive connection option. */
const unpaired = (m: HttpRequest) =>
  fieldValue(m.headers, 'keep-alive') !== undefined && !connectionOptions(m.headers).has('keep-alive');

const shown = (r: ReceivedRequest) =>
  `${r.msg.method} ${r.msg.target} on ${r.conn.label} (Connection: ${fieldValue(r.msg.headers, 'connection') ?? 'absent'}, Keep-Alive: ${fieldValue(r.msg.headers, 'keep-alive') ?? 'absent'})`;

/**
 * Fails (MUST, RFC 9110 §7.6.1: the sender of a connection-specific field lists its name in
 * Connection) on a request with Keep-Alive but no keep-alive token, as an old proxy forwarding it sends.
 */
function keepAlivePaired(obs: ClientObservation): ReceivedRequest[] {
  if (obs.received.length === 0)
    fail({ summary: 'no request reached the server', expected: 'the plan', seen: describeConns(obs) });
  const bad = obs.received.filter((r) => unpaired(r.msg));
  if (bad.length > 0)
    fail({
      summary: `the client sent a Keep-Alive header without the keep-alive connection option (${bad.length} of ${obs.received.length} requests)`,
      expected:
        'Keep-Alive only together with "keep-alive" in Connection (RFC 9110 §7.6.1: the sender MUST list the field in Connection, and a recipient ignores it otherwise)',
      seen: bad.map(shown).join('; '),
      level: 'MUST',
    });
  return obs.received.filter((r) => fieldValue(r.msg.headers, 'keep-alive') !== undefined);
}

const pairedHttp10 = clientScenario({
  id: 'client-http10-keep-alive-header-paired',
  area: 'http10',
  level: 'MUST',
  rfc: 'RFC 9110 §7.6.1',
  covers: ['KA10-08'],
  title:
    'a client speaking HTTP/1.0 sends a Keep-Alive header only together with the keep-alive connection option',
  plan: {
    httpVersion: '1.0',
    requests: [
      { id: 'r1', path: '/a' },
      { id: 'r2', path: '/b', delayMs: 100 },
      { id: 'r3', method: 'POST', path: '/c', body: POST_BODY, delayMs: 100 },
    ],
  },
  script: (req) =>
    http10(req.msg.target, [
      ['Connection', 'keep-alive'],
      ['Keep-Alive', 'timeout=5, max=100'],
    ]),
  check(obs) {
    const withHeader = keepAlivePaired(obs);
    const tokens = obs.received.filter((r) => connectionOptions(r.msg.headers).has('keep-alive')).length;
    if (withHeader.length === 0)
      return measured(
        `the client sends no Keep-Alive header (nothing to pair); ${tokens} of ${obs.received.length} requests carried the keep-alive token: ${obs.received.map(shown).join('; ')}`,
      );
    return satisfied(
      `every Keep-Alive header came with the keep-alive token: ${withHeader.map(shown).join('; ')}`,
    );
  },
});

const legacyHeaders = clientScenario({
  id: 'client-http10-legacy-request-headers',
  area: 'http10',
  level: 'INFO',
  rfc: 'RFC 9112 Appendix C.2.2',
  covers: ['KA10-12', 'KA10-08'],
  title: 'whether the client sends Proxy-Connection, or a Keep-Alive header without its connection option',
  plan: {
    requests: [
      { id: 'r1', path: '/a' },
      { id: 'r2', method: 'POST', path: '/b', body: POST_BODY, delayMs: 100 },
    ],
  },
  check(obs) {
    keepAlivePaired(obs);
    const proxy = obs.received.filter((r) => fieldValue(r.msg.headers, 'proxy-connection') !== undefined);
    if (proxy.length > 0)
      return measured(
        `the client sends Proxy-Connection to an origin server (discouraged: RFC 9112 Appendix C.2.2): ${proxy
          .map(
            (r) =>
              `${r.msg.method} ${r.msg.target}: Proxy-Connection: ${fieldValue(r.msg.headers, 'proxy-connection')}`,
          )
          .join('; ')}`,
      );
    const keepAlive = obs.received.filter((r) => fieldValue(r.msg.headers, 'keep-alive') !== undefined);
    return satisfied(
      `no Proxy-Connection${keepAlive.length ? `; Keep-Alive sent with its token: ${keepAlive.map(shown).join('; ')}` : ', no Keep-Alive header'} on ${obs.received.length} requests`,
    );
  },
});

/** Client scenarios of area `http10`. */
export const http10Client: ClientScenario[] = [
  noKeepAlive,
  keepAliveHeaderOnly,
  chunkedHttp10,
  tokenCase('mixed-case', 'Keep-Alive'),
  tokenCase('upper-case', 'KEEP-ALIVE'),
  tokenCase('in-list', 'x-foo, keep-alive'),
  keepAliveWithLength,
  keepAliveNoLength,
  postHttp10,
  postAfterHttp10,
  pairedHttp10,
  legacyHeaders,
];
