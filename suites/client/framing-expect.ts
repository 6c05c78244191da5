import { fail } from '../../harness/check.js';
import {
  arrivalOf,
  type ClientObservation,
  type ClientScenario,
  clientScenario,
  describeConns,
  describeLine,
  ok,
  type PlanStep,
  type Reply,
  type Script,
} from '../../harness/client-context.js';
import { measured, satisfied } from '../../harness/model.js';
import { fieldValue, type HttpRequest } from '../../harness/wire/parse.js';
import type { ServerConn } from '../../harness/wire/server.js';
import { escapeLine } from '../../harness/wire/transcript.js';
import { answerR1, expectR2, expectResult, expectReused, noHang, twoRequests } from './steps.js';

// ---- FRAME-17: bytes beyond a response, or on an idle connection ----------------

/** r1's response: a 3-byte body, so a surplus response right behind it is easy to see. */
const R1_OK = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nok\n';
/** The response nobody asked for: the client must never hand it out. */
const EVIL = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\nevil';

/** `r1 GET /a; r2 GET /b +500ms`: r2 comes well after the unsolicited bytes (sent 100 ms after r1's response). */
const SURPLUS_PLAN = {
  requests: [
    { id: 'r1', path: '/a' },
    { id: 'r2', path: '/b', delayMs: 500 },
  ],
};

/** r1 gets the variant's reply, r2 (and anything else) the body `good`. */
const surplusScript =
  (reply: Reply): Script =>
  (req) =>
    req.msg.target === '/a' ? reply : ok('good');

/** r1 was answered correctly: a status must come with the 3-byte body. */
function r1Answered(obs: ClientObservation, what: string): void {
  noHang(obs, 'r1', what);
  if (obs.line('r1')?.error === undefined) expectResult(obs, 'r1', 200, 'ok\n', what);
}

/** FRAME-17 A/B: the surplus response must never become r2's answer; the connection should go. */
function surplus(key: string, label: string, reply: Reply): ClientScenario {
  return clientScenario({
    id: `client-surplus-${key}`,
    area: 'framing',
    level: 'MUST NOT',
    rfc: 'RFC 9112 §9.2',
    covers: ['FRAME-17'],
    title: `${label} is not taken as the response to the next request`,
    plan: SURPLUS_PLAN,
    script: surplusScript(reply),
    check(obs) {
      const what = `r1's response followed by ${label}`;
      r1Answered(obs, what);
      noHang(obs, 'r2', `r2 after ${label}`);
      const l2 = obs.line('r2');
      if (l2?.body === 'evil')
        fail({
          summary: `the client handed out the unsolicited response ("evil") as the answer to r2`,
          expected:
            'the bytes beyond r1\'s response discarded (RFC 9112 §6.3, §9.2), and r2 answered "good" by the server',
          seen: `r2: ${describeLine(obs, 'r2')}; connections: ${describeConns(obs)}`,
        });
      if (l2?.status !== 200 || l2.body !== 'good')
        fail({
          summary: `the client did not report the server's answer to r2 after ${label}`,
          expected:
            'status 200 and body "good" for r2: the client drops the connection that carried surplus bytes and uses a new one (RFC 9112 §9.2)',
          seen: `r2: ${describeLine(obs, 'r2')}; connections: ${describeConns(obs)}`,
          level: 'SHOULD',
        });
      const r1 = arrivalOf(obs, 'r1');
      const r2 = arrivalOf(obs, 'r2');
      if (r2.conn === r1.conn)
        fail({
          summary: `the client reused ${r1.conn.label} after ${label}`,
          expected:
            'r2 on a new connection: once bytes beyond a response have arrived, message delimitation on that connection is ambiguous (RFC 9112 §9.2: the client SHOULD close it)',
          seen: describeConns(obs),
          level: 'SHOULD',
        });
      return satisfied(`r2 answered "good" on a new connection: ${describeConns(obs)}`);
    },
  });
}

// ---- FRAME-18: interim responses before the final one ----------------------------

const FINAL_A = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nok /a';
const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n';

/** FRAME-18: r1 (a GET without Expect) gets 1xx responses first, each written 50 ms after the previous one. */
function interim(key: string, label: string, interims: string[]): ClientScenario {
  return clientScenario({
    id: `client-interim-${key}`,
    area: 'framing',
    level: 'MUST',
    rfc: 'RFC 9110 §15.2',
    covers: ['FRAME-18'],
    title: `${label} before the final response is parsed and skipped`,
    plan: twoRequests(),
    script: answerR1({ pieces: [...interims, FINAL_A], pieceDelayMs: 50 }),
    check(obs) {
      const what = `a final 200 preceded by ${label} (the request carried no Expect)`;
      expectResult(obs, 'r1', 200, 'ok /a', what);
      expectR2(obs);
      return (
        expectReused(obs, `${label} and the final response`) ??
        satisfied(`r1 reported as the final 200, r2 correct on the same connection: ${describeConns(obs)}`)
      );
    },
  });
}

// ---- FRAME-19: request framing --------------------------------------------------

const framingOf = (m: HttpRequest): string => {
  const cl = fieldValue(m.headers, 'content-length');
  const te = fieldValue(m.headers, 'transfer-encoding');
  return [cl !== undefined ? `Content-Length: ${cl}` : '', te !== undefined ? `Transfer-Encoding: ${te}` : '']
    .filter(Boolean)
    .join(', ');
};

const requestFraming = clientScenario({
  id: 'client-request-framing',
  area: 'framing',
  level: 'MUST',
  rfc: 'RFC 9112 §6.3',
  covers: ['FRAME-19'],
  title:
    'request bodies are framed, by Content-Length when their length is known; a GET carries no Content-Length',
  plan: {
    requests: [
      { id: 'r1', method: 'POST', path: '/a', headers: { 'content-type': 'text/plain' }, body: 'hello' },
      { id: 'r2', method: 'POST', path: '/b', headers: { 'content-type': 'text/plain' }, body: '' },
      { id: 'r3', path: '/c' },
    ],
  },
  check(obs) {
    const r1 = arrivalOf(obs, 'r1');
    // MUST: a body goes out with Content-Length or chunked; otherwise the server sees its bytes as the next request.
    if (r1.msg.framing.kind === 'none')
      fail({
        summary: "r1's 5-byte body went out with neither Content-Length nor Transfer-Encoding",
        expected: 'a valid Content-Length (or chunked) on a request with a body (RFC 9112 §6.3)',
        seen: `r1 POST /a without framing header: the server read a bodiless POST, then the body bytes as the start of the next request; ${describeConns(obs)}`,
      });
    if (r1.msg.body.toString('latin1') !== 'hello')
      fail({
        summary: `r1's body arrived as ${JSON.stringify(r1.msg.body.toString('latin1').slice(0, 40))}, not "hello"`,
        expected: 'the 5-byte body "hello", framed so that the server reads exactly it',
        seen: `r1 with ${framingOf(r1.msg)}; ${describeConns(obs)}`,
      });
    for (const [id, path] of [
      ['r1', '/a'],
      ['r2', '/b'],
      ['r3', '/c'],
    ] as const)
      expectResult(obs, id, 200, `ok ${path}`, `the answer to ${id}`);
    if (r1.msg.framing.kind === 'chunked')
      fail({
        summary: "r1's body of known length (5 bytes) went out chunked",
        expected:
          'Content-Length: 5: a client SHOULD use a valid Content-Length when it knows the length in advance, since some servers answer chunked requests with 411 (RFC 9112 §6.3)',
        seen: `r1 POST /a with ${framingOf(r1.msg)}`,
        level: 'SHOULD',
      });
    const r2 = arrivalOf(obs, 'r2');
    if (r2.msg.framing.kind !== 'content-length')
      fail({
        summary: `the empty POST r2 went out ${r2.msg.framing.kind === 'chunked' ? 'chunked' : 'without Content-Length'}`,
        expected:
          'Content-Length: 0 on a POST without content: a user agent SHOULD send Content-Length for a method that defines content, even 0 (RFC 9110 §8.6; RFC 9112 §6.3)',
        seen: `r2 POST /b with ${framingOf(r2.msg) || 'no framing header'}`,
        level: 'SHOULD',
      });
    const r3 = arrivalOf(obs, 'r3');
    const cl3 = fieldValue(r3.msg.headers, 'content-length');
    if (cl3 !== undefined)
      fail({
        summary: `the GET r3 carried Content-Length: ${escapeLine(cl3, 40)}`,
        expected:
          'no Content-Length on a request without content whose method anticipates none (RFC 9110 §8.6: SHOULD NOT)',
        seen: `r3 GET /c with ${framingOf(r3.msg)}`,
        level: 'SHOULD NOT',
      });
    return satisfied(
      `r1: ${framingOf(r1.msg)}; r2: ${framingOf(r2.msg)}; r3: ${framingOf(r3.msg) || 'no framing header'}`,
    );
  },
});

// ---- 100-continue -------------------------------------------------------------

const hasContinue = (m: HttpRequest): boolean =>
  (fieldValue(m.headers, 'expect') ?? '').split(',').some((v) => v.trim().toLowerCase() === '100-continue');

/** EXPECT-06: no 100-continue expectation on requests without content. */
const expectNoContent = clientScenario({
  id: 'client-expect-no-content',
  area: 'framing',
  level: 'MUST NOT',
  rfc: 'RFC 9110 §10.1.1',
  covers: ['EXPECT-06'],
  title: 'requests without content carry no Expect: 100-continue',
  plan: {
    requests: [
      { id: 'r1', path: '/a' },
      { id: 'r2', method: 'POST', path: '/b', headers: { 'content-type': 'text/plain' }, body: '' },
      { id: 'r3', method: 'DELETE', path: '/c' },
    ],
  },
  check(obs) {
    for (const r of obs.received) {
      if (!hasContinue(r.msg)) continue;
      if (r.msg.framing.kind === 'chunked' || r.msg.body.length > 0) continue;
      fail({
        summary: `${r.msg.method} ${r.msg.target} carried Expect: 100-continue without content`,
        expected: 'Expect: 100-continue only on requests that include content (RFC 9110 §10.1.1)',
        seen: `${r.msg.method} ${r.msg.target} with Expect: ${escapeLine(fieldValue(r.msg.headers, 'expect') ?? '', 60)} and ${framingOf(r.msg) || 'no framing header'}; ${describeConns(obs)}`,
      });
    }
    for (const step of obs.plan.requests) arrivalOf(obs, step.id);
    return satisfied(`no Expect: 100-continue on GET, an empty POST or DELETE: ${describeConns(obs)}`);
  },
});

/** The upload of the 100-continue scenarios: large enough that clients using Expect for large bodies (curl > 1 MiB) do. */
const UPLOAD_BYTES = 2 * 1024 * 1024;
let uploadText: string | undefined;
let uploadBytes: Buffer | undefined;
/** built on first use: the suite is imported by every command */
const uploadString = (): string => {
  uploadText ??= '0123456789abcdef'.repeat(UPLOAD_BYTES / 16);
  return uploadText;
};
const upload = (): Buffer => {
  uploadBytes ??= Buffer.from(uploadString(), 'latin1');
  return uploadBytes;
};

const uploadStep = (): PlanStep => ({
  id: 'r1',
  method: 'POST',
  path: '/up',
  headers: { 'content-type': 'application/octet-stream' },
  get body() {
    return uploadString();
  },
});

/** How far the bytes after an upload's header section are the announced body. */
interface BodyRead {
  /** body bytes received that match the upload */
  got: number;
  /** the whole body arrived (Content-Length reached, or a last-chunk) */
  complete: boolean;
  /** offset (after the header section) where the bytes stop being the body, if they do */
  brokenAt?: number;
}

/** Checks the bytes after an upload's header section against the upload, framed by Content-Length or chunked. */
function readBody(after: Buffer, chunked: boolean): BodyRead {
  const want = upload();
  /** the first index in [0, n) where after[raw + i] differs from want[from + i], or -1 */
  const differs = (raw: number, from: number, n: number): number => {
    for (let i = 0; i < n; i++) if (after[raw + i] !== want[from + i]) return i;
    return -1;
  };
  if (!chunked) {
    const n = Math.min(after.length, want.length);
    const i = differs(0, 0, n);
    return i >= 0 ? { got: i, complete: false, brokenAt: i } : { got: n, complete: n === want.length };
  }
  let p = 0;
  let got = 0;
  for (;;) {
    const e = after.indexOf('\r\n', p);
    if (e < 0) return { got, complete: false };
    const size = /^([0-9a-fA-F]{1,8})[ \t]*(?:;.*)?$/.exec(after.toString('latin1', p, e));
    if (!size) return { got, complete: false, brokenAt: p };
    const n = Number.parseInt(size[1]!, 16);
    // a last-chunk ends a chunked body wherever it comes: the framing stays self-delimiting
    if (n === 0) return { got, complete: true };
    const start = e + 2;
    if (got + n > want.length) return { got, complete: false, brokenAt: p };
    const have = Math.min(n, after.length - start);
    const i = differs(start, got, have);
    if (i >= 0) return { got: got + i, complete: false, brokenAt: start + i };
    got += have;
    const crlf = start + n;
    if (have < n || after.length < crlf + 2) return { got, complete: false };
    if (after[crlf] !== 0x0d || after[crlf + 1] !== 0x0a) return { got, complete: false, brokenAt: crlf };
    p = crlf + 2;
  }
}

/** What one connection carried of a request for `/up`: its header section, and how much of the body followed. */
interface Upload {
  conn: ServerConn;
  expect: boolean;
  chunked: boolean;
  /** when the header section was complete */
  headAt: number;
  /** when the first byte after the header section arrived */
  bodyAt?: number;
  /** the bytes after the header section */
  after: Buffer;
  read: BodyRead;
}

/** The first request for `/up` on each connection, read from the raw bytes (it may never have completed). */
function uploads(obs: ClientObservation): Upload[] {
  const out: Upload[] = [];
  for (const conn of obs.conns) {
    const stream = Buffer.concat(conn.bytesIn.map((c) => c.bytes));
    const start = stream.indexOf('POST /up ');
    if (start < 0 || /[^\r\n]/.test(stream.toString('latin1', 0, start))) continue;
    const end = stream.indexOf('\r\n\r\n', start);
    if (end < 0) continue;
    const headEnd = end + 4;
    const head = `${stream.toString('latin1', start, end)}\r\n`;
    let at = 0;
    let headAt: number | undefined;
    let bodyAt: number | undefined;
    for (const c of conn.bytesIn) {
      const next = at + c.bytes.length;
      if (next >= headEnd && headAt === undefined) headAt = c.at;
      if (next > headEnd && bodyAt === undefined) bodyAt = c.at;
      at = next;
    }
    const after = stream.subarray(headEnd);
    const chunked = /\r\ntransfer-encoding:[^\r]*chunked/i.test(head);
    out.push({
      conn,
      expect: /\r\nexpect:[ \t]*100-continue[ \t]*\r\n/i.test(head),
      chunked,
      headAt: headAt ?? 0,
      bodyAt,
      after,
      read: readBody(after, chunked),
    });
  }
  return out;
}

const kib = (n: number) => `${(n / 1024).toFixed(0)} KiB`;

/**
 * EXPECT-08: after the header section of an upload, a connection carries the
 * whole announced body or nothing more (the client closes it); never the next
 * request while the server still reads body bytes.
 */
function bodyOrClose(obs: ClientObservation, ups: Upload[], after: string): void {
  for (const u of ups) {
    if (u.read.brokenAt === undefined) continue;
    const next = u.after.toString('latin1', u.read.brokenAt, u.read.brokenAt + 200);
    const request = /^[A-Z]+ \S+ HTTP\/\d\.\d/.exec(next)?.[0];
    const framing = u.chunked ? 'chunked body' : 'body its Content-Length announced';
    fail({
      summary: request
        ? `the client sent its next request (${escapeLine(request, 60)}) on ${u.conn.label} after ${kib(u.read.got)} of the ${kib(UPLOAD_BYTES)} ${framing}`
        : `the bytes after the upload's header section on ${u.conn.label} stop being the ${framing} after ${u.read.got} bytes of it`,
      expected: `after ${after}: the whole ${u.chunked ? 'chunked body (up to its last-chunk)' : `${UPLOAD_BYTES}-byte body`}, or a FIN; the server is still reading the body (RFC 9112 §9.3: the announced length frames the connection; RFC 2616 §8.2.2 spelt out that a client that stops sending a body closes)`,
      seen: `at byte ${u.read.brokenAt} after the header section: "${escapeLine(next.slice(0, 60), 80)}"; ${u.expect ? 'the request carried Expect: 100-continue; ' : ''}${describeConns(obs)}`,
      level: 'MUST',
    });
  }
}

/** EXPECT-07 A: the client waits a bounded time for a 100 that never comes. */
const expectWait = clientScenario({
  id: 'client-expect-wait-bounded',
  area: 'framing',
  level: 'SHOULD NOT',
  rfc: 'RFC 9110 §10.1.1',
  covers: ['EXPECT-07'],
  title: 'a client that sends Expect: 100-continue sends the body after a bounded wait when no 100 comes',
  plan: { requests: [uploadStep()] },
  // never a 100: the request is answered once its body is complete
  script: (req) => ok(`ok ${req.msg.target}`),
  check(obs) {
    const ups = uploads(obs);
    const first = ups[0];
    if (!first)
      fail({
        summary: 'the POST never reached the server',
        expected: 'r1 POST /up',
        seen: describeConns(obs),
        level: 'MUST',
      });
    if (!first.expect) {
      noHang(obs, 'r1', 'a 2 MiB POST');
      return measured(
        `the client sends no Expect: 100-continue on a 2 MiB POST, so the wait for a 100 does not apply: ${describeConns(obs)}`,
      );
    }
    const limit = obs.timing.timeoutMs;
    if (first.bodyAt === undefined || first.bodyAt - first.headAt > limit)
      fail({
        summary:
          first.bodyAt === undefined
            ? 'the client sent Expect: 100-continue and never sent the body without a 100'
            : `the client sent the body ${Math.round(first.bodyAt - first.headAt)} ms after its header section, longer than the ${limit} ms read timeout`,
        expected: `the body within ${limit} ms (the --timeout) without a 100: a client SHOULD NOT wait for an indefinite period (RFC 9110 §10.1.1; curl waits 1 s)`,
        seen: `r1: ${describeLine(obs, 'r1')}; ${kib(first.read.got)} of the body arrived on ${first.conn.label}; ${describeConns(obs)}`,
      });
    expectResult(obs, 'r1', 200, 'ok /up', 'the answer to the POST once its body arrived');
    return measured(
      `the client sent Expect: 100-continue and, without a 100, started the body ${Math.round(first.bodyAt - first.headAt)} ms after its header section`,
      Math.round(first.bodyAt - first.headAt),
    );
  },
});

/** EXPECT-07 B: a 417 to an Expect request; the client repeats it without the expectation. */
const expect417 = clientScenario({
  id: 'client-expect-417-retry',
  area: 'framing',
  level: 'SHOULD',
  rfc: 'RFC 9110 §10.1.1',
  covers: ['EXPECT-07', 'EXPECT-08'],
  title: 'after a 417 the client repeats the request without Expect: 100-continue',
  plan: { requests: [uploadStep()] },
  early(head) {
    if (!hasContinue(head)) return undefined;
    return {
      response: {
        status: 417,
        headers: [['Content-Type', 'text/plain']],
        body: 'no 100-continue here',
      },
    };
  },
  check(obs) {
    const ups = uploads(obs);
    if (ups.length === 0)
      fail({
        summary: 'the POST never reached the server',
        expected: 'r1 POST /up',
        seen: describeConns(obs),
        level: 'MUST',
      });
    if (!ups.some((u) => u.expect)) {
      noHang(obs, 'r1', 'a 2 MiB POST');
      return measured(
        `the client sends no Expect: 100-continue on a 2 MiB POST, so no 417 was sent: ${describeConns(obs)}`,
      );
    }
    bodyOrClose(obs, ups, 'the 417 (no close)');
    noHang(obs, 'r1', 'a POST answered 417');
    const again = obs.received.filter(
      (r) => r.msg.method === 'POST' && r.msg.target === '/up' && !hasContinue(r.msg),
    );
    const l = obs.line('r1');
    if (again.length === 0 || l?.status !== 200)
      fail({
        summary:
          again.length === 0
            ? 'after the 417 the client did not repeat the request without Expect'
            : 'the client repeated the request without Expect but did not report its answer',
        expected:
          'the same POST again without Expect: 100-continue (on the same connection after the body, or on a new one), and its 200 reported (RFC 9110 §10.1.1)',
        seen: `r1: ${describeLine(obs, 'r1')}; requests for /up: ${ups.map((u) => `${u.conn.label} ${u.expect ? 'with' : 'without'} Expect, ${kib(u.read.got)} of body`).join('; ')}; ${describeConns(obs)}`,
      });
    const retry = again[0]!;
    if (!retry.msg.body.equals(upload()))
      fail({
        summary: 'the repeated request did not carry the original body',
        expected: `the ${kib(UPLOAD_BYTES)} body of r1`,
        seen: `${kib(retry.msg.body.length)} on ${retry.conn.label}`,
        level: 'MUST',
      });
    return satisfied(
      `after the 417 the client repeated r1 without Expect on ${retry.conn.label} and reported its 200: ${describeConns(obs)}`,
    );
  },
});

/** EXPECT-08: an early 401 without close; the connection carries the whole announced body, or nothing more. */
const earlyFinal = clientScenario({
  id: 'client-early-final-body',
  area: 'framing',
  level: 'MUST',
  rfc: 'RFC 9112 §9.3',
  covers: ['EXPECT-08'],
  title:
    'after a final response that arrives before the body, the client sends the whole body or closes, never the next request',
  plan: { requests: [uploadStep(), { id: 'r2', path: '/b', delayMs: 100 }] },
  early(head) {
    if (head.method !== 'POST') return undefined;
    return {
      response: {
        status: 401,
        headers: [
          ['Content-Type', 'text/plain'],
          ['WWW-Authenticate', 'Basic realm="keepalive-spec"'],
        ],
        body: 'unauthorized',
      },
    };
  },
  settleMs: (t) => Math.min(500, t.timeoutMs),
  check(obs) {
    const ups = uploads(obs);
    if (ups.length === 0)
      fail({
        summary: 'the POST never reached the server',
        expected: 'r1 POST /up',
        seen: describeConns(obs),
      });
    bodyOrClose(obs, ups, 'the early 401 (no close)');
    noHang(obs, 'r1', 'a POST answered 401 before its body');
    expectR2(obs);
    const r2 = arrivalOf(obs, 'r2');
    const up = ups[0]!;
    const how = up.read.complete
      ? `the client sent the whole body on ${up.conn.label}`
      : `the client stopped after ${kib(up.read.got)} of the body and did not reuse ${up.conn.label}`;
    return satisfied(
      `${how}${up.expect ? ' (with Expect: 100-continue)' : ''}; r2 on ${r2.conn.label}; r1: ${describeLine(obs, 'r1')}`,
    );
  },
});

/** Client scenarios of area `framing`: surplus bytes, 1xx, request framing, 100-continue. */
export const expectClient: ClientScenario[] = [
  surplus('same-write', "a second response written together with r1's", { response: R1_OK + EVIL }),
  surplus('unsolicited', "an unsolicited response 100 ms after r1's", {
    pieces: [R1_OK, EVIL],
    pieceDelayMs: 100,
  }),
  clientScenario({
    id: 'client-surplus-crlf',
    area: 'framing',
    level: 'SHOULD',
    rfc: 'RFC 9112 §9.2',
    covers: ['FRAME-17'],
    title: 'empty lines received on an idle connection are discarded, not taken for a broken response',
    plan: SURPLUS_PLAN,
    script: surplusScript({ pieces: [R1_OK, '\r\n\r\n'], pieceDelayMs: 100 }),
    check(obs) {
      const what = "r1's response followed 100 ms later by `\\r\\n\\r\\n`";
      r1Answered(obs, what);
      noHang(obs, 'r2', 'r2 after empty lines on an idle connection');
      const l2 = obs.line('r2');
      if (l2?.status !== 200 || l2.body !== 'good')
        fail({
          summary: 'the client did not report the answer to r2 after empty lines on the idle connection',
          expected:
            'status 200 and body "good" for r2: CRLFs on an idle connection can be discarded (RFC 9112 §9.2, §2.2), or the connection dropped',
          seen: `r2: ${describeLine(obs, 'r2')}; connections: ${describeConns(obs)}`,
        });
      const r1 = arrivalOf(obs, 'r1');
      const r2 = arrivalOf(obs, 'r2');
      return satisfied(
        `r2 answered "good" ${r2.conn === r1.conn ? `on the same connection (the CRLFs were discarded)` : 'on a new connection'}: ${describeConns(obs)}`,
      );
    },
  }),
  interim('100', 'an unsolicited `100 Continue`', [CONTINUE]),
  interim('100-twice', 'two `100 Continue` responses', [CONTINUE, CONTINUE]),
  interim('103', 'a `103 Early Hints` with a Link header', [
    'HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload; as=style\r\n\r\n',
  ]),
  interim('102', 'a `102 Processing`', ['HTTP/1.1 102 Processing\r\n\r\n']),
  requestFraming,
  expectNoContent,
  expectWait,
  expect417,
  earlyFinal,
];
