// Area `framing`, the responses that end at their header section: HEAD (FRAME-11),
// 304, 204 and 1xx (FRAME-12). A body the server sends anyway is not part of the
// response, so a client reads it as the start of the next one: the scenarios look
// at the exact bytes after the empty line of such a response.

import {
  describeRead,
  describeResponse,
  expectResponse,
  fail,
  saysClose,
  skip,
} from '../../harness/check.js';
import { satisfied } from '../../harness/model.js';
import type { ServerCtx, ServerScenario } from '../../harness/server-context.js';
import type { Req } from '../../harness/wire/build.js';
import type { Conn, ReadResult } from '../../harness/wire/conn.js';
import { fieldValue, fieldValues, type HttpResponse } from '../../harness/wire/parse.js';
import { expectClosedAfter } from './steps.js';

// ---- shared steps (also used by expect.ts) -----------------------------------------------

const STATUS_LINE = Buffer.from('HTTP/1.', 'latin1');

/** Text from the wire, cut to `max` characters; the reports escape it. */
export function clip(text: string | Buffer, max = 60): string {
  const t = typeof text === 'string' ? text : text.toString('latin1');
  return t.length > max ? `${t.slice(0, max)}... (${t.length - max} more)` : t;
}

/** The bytes that followed `res` on the wire (up to now), or undefined if `res` cannot be located. */
function bytesAfter(c: Conn, res: HttpResponse): Buffer | undefined {
  const all = c.receivedBytes();
  const at = all.indexOf(res.raw);
  return at < 0 ? undefined : all.subarray(at + res.raw.length);
}

function lengthOf(res: HttpResponse, name = 'content-length'): string | undefined {
  const v = [...new Set(fieldValues(res.headers, name))];
  return v.length ? v.join(', ') : undefined;
}

/**
 * Read what follows a response that ends at its header section (HEAD, 204, 304, 1xx) and
 * fail if the next bytes on the wire are not a status line: whatever came there is content
 * the server sent although the response has none, and a client takes it for the next response.
 */
export async function afterBodiless(
  c: Conn,
  res: HttpResponse,
  what: string,
  next: string,
): Promise<ReadResult> {
  const r = await c.readResponse();
  const after = bytesAfter(c, res);
  if (!after || after.length === 0) return r;
  const head = after.subarray(0, STATUS_LINE.length);
  if (STATUS_LINE.subarray(0, head.length).equals(head)) return r;
  const nextStatus = after.indexOf(STATUS_LINE);
  const extra = nextStatus >= 0 ? after.subarray(0, nextStatus) : after;
  const cl = lengthOf(res);
  const te = lengthOf(res, 'transfer-encoding');
  const announced =
    cl !== undefined
      ? ` (its own header says Content-Length: ${clip(cl, 40)}${Number(cl) === extra.length ? ', exactly this many bytes' : ''})`
      : te !== undefined
        ? ` (its own header says Transfer-Encoding: ${clip(te, 40)})`
        : '';
  fail({
    summary: `${what} was followed by ${extra.length} bytes of content before the next status line`,
    expected: `${what} to end at the empty line after its header section, the next bytes being "HTTP/1." of the response to ${next}`,
    seen:
      `${describeResponse(res)}${announced}, then ${extra.length} bytes that are not a status line: ` +
      `"${clip(extra.toString('latin1'), 120)}"` +
      (nextStatus >= 0
        ? `, and only then "HTTP/1."; a client reads those bytes as the start of the response to ${next}`
        : `; the response to ${next} could not be read: ${describeRead(r)}`),
  });
}

/** Send requests in one write, or fail. */
export async function sendAll(c: Conn, reqs: Req[]): Promise<void> {
  const sent = await c.send(reqs);
  if (!sent.ok)
    fail({
      summary: `could not send ${reqs.map((r) => r.label).join(' + ')}`,
      expected: 'the connection to accept the requests',
      seen: `the write failed: ${sent.error}`,
    });
}

/**
 * After a bodiless response that said `close`: the connection must end with nothing after it.
 * Returns a summary for a satisfied finding.
 */
async function closedCleanly(ctx: ServerCtx, c: Conn, res: HttpResponse, what: string): Promise<string> {
  const r = await afterBodiless(c, res, what, 'nothing (the response ended the connection)');
  if (r.type === 'response')
    fail({
      summary: `a response came after ${what}, which ended the connection`,
      expected: 'no bytes after a response that says close',
      seen: `${describeResponse(res)}, then ${describeResponse(r.response)}`,
    });
  const end = await expectClosedAfter(
    ctx,
    c,
    res,
    'after a response that ended the connection (close, or HTTP/1.0)',
  );
  return `${what} ended at its header section, then the connection closed as announced (${end.text})`;
}

// ---- FRAME-11: HEAD ---------------------------------------------------------------------

interface HeadVariant {
  id: string;
  what: string;
  path: (ctx: ServerCtx) => string;
  /** compare the Content-Length of HEAD and GET (not for error pages, whose text may vary) */
  compareLength: boolean;
}

function headScenario(v: HeadVariant): ServerScenario {
  return {
    id: v.id,
    role: 'server',
    area: 'framing',
    level: 'MUST NOT',
    rfc: 'RFC 9110 §9.3.2',
    covers: ['FRAME-11'],
    title: `a response to HEAD of ${v.what} carries no content, so the pipelined GET's response follows it directly`,
    async run(ctx) {
      const path = v.path(ctx);
      const c = await ctx.connect();
      const head = ctx.head(path);
      const get = ctx.get(path);
      await sendAll(c, [head, get]);
      const h = expectResponse(await c.readResponse(), head.label);
      const what = `the ${h.status} response to ${head.label}`;
      if (saysClose(h)) return satisfied(await closedCleanly(ctx, c, h, what));
      const g = expectResponse(await afterBodiless(c, h, what, get.label), get.label);
      const hl = lengthOf(h);
      const note = hl === undefined ? 'HEAD response without Content-Length' : `Content-Length ${hl} on both`;
      if (hl === undefined || !v.compareLength || g.framing.kind !== 'content-length')
        return satisfied(
          `no bytes after the HEAD response's header section; ${describeResponse(g)} followed`,
        );
      if (h.status !== g.status)
        return satisfied(
          `no bytes after the HEAD response's header section (HEAD ${h.status}, GET ${g.status}: lengths not compared)`,
        );
      if (Number(hl) !== g.framing.length || !/^\d+$/.test(hl))
        fail({
          summary: `the HEAD response says Content-Length: ${clip(hl, 40)}, the GET response has ${g.framing.length} bytes`,
          expected: `no Content-Length on the HEAD response, or the GET's (${g.framing.length}) (RFC 9110 section 8.6)`,
          seen: `${describeResponse(h)}; ${describeResponse(g)}`,
        });
      return satisfied(`no bytes after the HEAD response's header section; ${note}`);
    },
  };
}

// ---- FRAME-12: 304 ----------------------------------------------------------------------

interface ConditionalVariant {
  id: string;
  validator: 'ETag' | 'Last-Modified';
  condition: 'If-None-Match' | 'If-Modified-Since';
}

function conditionalScenario(v: ConditionalVariant): ServerScenario {
  return {
    id: v.id,
    role: 'server',
    area: 'framing',
    level: 'MUST NOT',
    rfc: 'RFC 9110 §15.4.5',
    covers: ['FRAME-12'],
    title: `a 304 to ${v.condition} carries no content, and a Content-Length on it is the 200's`,
    async run(ctx) {
      const c1 = await ctx.connect();
      const first = ctx.get();
      await sendAll(c1, [first]);
      const ok = expectResponse(await c1.readResponse(), first.label);
      if (ok.status !== 200) skip(`${first.label} was answered ${ok.status}, not 200: no validator to use`);
      const validator = fieldValue(ok.headers, v.validator);
      if (!validator) skip(`the 200 response to ${first.label} carries no ${v.validator}`);
      const okLength = ok.framing.kind === 'content-length' ? ok.framing.length : ok.body.length;
      // A fresh connection, so the 304 is the first response on it.
      const c = await ctx.connect();
      const cond = ctx.get(ctx.path, [[v.condition, validator]]);
      const next = ctx.get(ctx.missingPath());
      await sendAll(c, [cond, next]);
      const nm = expectResponse(await c.readResponse(), `${cond.label} with ${v.condition}`);
      if (nm.status !== 304)
        skip(`${cond.label} with ${v.condition}: ${clip(validator, 60)} was answered ${nm.status}, not 304`);
      const what = `the 304 response to ${cond.label} with ${v.condition}`;
      const summary = saysClose(nm)
        ? await closedCleanly(ctx, c, nm, what)
        : `${what} was followed directly by ${describeResponse(expectResponse(await afterBodiless(c, nm, what, next.label), next.label))}`;
      const cl = lengthOf(nm);
      if (cl !== undefined && (!/^\d+$/.test(cl) || Number(cl) !== okLength))
        fail({
          summary: `the 304 says Content-Length: ${clip(cl, 40)}, the 200 has ${okLength} bytes`,
          expected: `no Content-Length on the 304, or the 200's (${okLength}) (RFC 9110 section 8.6)`,
          seen: `${describeResponse(nm)}; earlier ${describeResponse(ok)}`,
        });
      return satisfied(`${summary}${cl !== undefined ? ` (Content-Length ${cl}, as on the 200)` : ''}`);
    },
  };
}

// ---- FRAME-12: 204 ----------------------------------------------------------------------

const noContent: ServerScenario = {
  id: 'frame-204-no-body',
  role: 'server',
  area: 'framing',
  level: 'MUST NOT',
  rfc: 'RFC 9110 §8.6',
  covers: ['FRAME-12'],
  owns: ['FRAME-12'],
  title: 'a 204 carries no Content-Length, no Transfer-Encoding and no content',
  async run(ctx) {
    const path = ctx.resource('noContentPath');
    const c = await ctx.connect();
    const get = ctx.get(path);
    const next = ctx.get(ctx.missingPath());
    await sendAll(c, [get, next]);
    const res = expectResponse(await c.readResponse(), get.label);
    if (res.status !== 204) skip(`${get.label} was answered ${res.status}, not 204`);
    for (const [name, rule] of [
      ['Content-Length', 'RFC 9110 section 8.6'],
      ['Transfer-Encoding', 'RFC 9112 section 6.1'],
    ] as const) {
      const value = lengthOf(res, name);
      if (value !== undefined)
        fail({
          summary: `the 204 response carries ${name}: ${clip(value, 40)}`,
          expected: `no ${name} in a 204 response (${rule})`,
          seen: describeResponse(res) + `, with ${name}: ${clip(value, 40)}`,
        });
    }
    const what = `the 204 response to ${get.label}`;
    if (saysClose(res)) return satisfied(await closedCleanly(ctx, c, res, what));
    const after = expectResponse(await afterBodiless(c, res, what, next.label), next.label);
    return satisfied(`no Content-Length or Transfer-Encoding; ${describeResponse(after)} followed directly`);
  },
};

// ---- FRAME-12: 1xx ----------------------------------------------------------------------

/** A 1xx response with Content-Length or Transfer-Encoding, described; undefined if it has neither. */
export function interimFraming(res: HttpResponse): string | undefined {
  const found = ['Content-Length', 'Transfer-Encoding']
    .map((n) => [n, lengthOf(res, n)] as const)
    .filter(([, value]) => value !== undefined)
    .map(([n, value]) => `${n}: ${clip(value!, 40)}`);
  return found.length ? found.join(', ') : undefined;
}

const interim: ServerScenario = {
  id: 'frame-1xx-no-cl-te',
  role: 'server',
  area: 'framing',
  level: 'MUST NOT',
  rfc: 'RFC 9112 §6.1',
  covers: ['FRAME-12'],
  title: 'a 1xx response (here 100 Continue) carries no Content-Length and no Transfer-Encoding',
  async run(ctx) {
    const path = ctx.target.resources.postPath ?? ctx.path;
    const c = await ctx.connect();
    const post = ctx.request({
      method: 'POST',
      target: path,
      headers: [
        ['Expect', '100-continue'],
        ['Content-Length', '5'],
      ],
    });
    await sendAll(c, [post]);
    const waitMs = Math.max(ctx.timing.timeoutMs, 2000);
    const seen: HttpResponse[] = [];
    let r = await c.readResponse({ keepInterim: true, timeoutMs: waitMs });
    if (r.type === 'response' && r.response.interim) {
      seen.push(r.response);
      // The body, then any further 1xx up to the final response.
      await c.send('hello');
      for (;;) {
        r = await c.readResponse({ keepInterim: true });
        if (r.type !== 'response' || !r.response.interim) break;
        seen.push(r.response);
      }
    }
    if (seen.length === 0)
      skip(
        r.type === 'response'
          ? `${post.label} with Expect: 100-continue was answered ${r.response.status} without a 1xx response`
          : `no 1xx response to ${post.label} with Expect: 100-continue within ${waitMs} ms (${describeRead(r)})`,
      );
    for (const res of seen) {
      const bad = interimFraming(res);
      if (bad)
        fail({
          summary: `a ${res.status} interim response carries ${bad}`,
          expected:
            'no Content-Length (RFC 9110 section 8.6) and no Transfer-Encoding (RFC 9112 section 6.1) in a 1xx response',
          seen: `${res.version} ${res.status} ${clip(res.reason, 40)} with ${bad}`,
        });
    }
    return satisfied(`${seen.map((x) => x.status).join(', ')} without Content-Length or Transfer-Encoding`);
  },
};

export const bodyless: ServerScenario[] = [
  headScenario({
    id: 'frame-head-no-body',
    what: 'the default resource',
    path: (ctx) => ctx.path,
    compareLength: true,
  }),
  headScenario({
    id: 'frame-head-chunked-no-body',
    what: 'a chunked resource',
    path: (ctx) => ctx.resource('chunkedPath'),
    compareLength: true,
  }),
  headScenario({
    id: 'frame-head-404-no-body',
    what: 'a missing resource (404)',
    path: (ctx) => ctx.missingPath(),
    compareLength: false,
  }),
  conditionalScenario({ id: 'frame-304-etag-no-body', validator: 'ETag', condition: 'If-None-Match' }),
  conditionalScenario({
    id: 'frame-304-date-no-body',
    validator: 'Last-Modified',
    condition: 'If-Modified-Since',
  }),
  noContent,
  interim,
];
