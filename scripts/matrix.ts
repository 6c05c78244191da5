// The compliance matrix: npm run matrix [-- --roles server,client,proxy] [--only name,name]
//   (--server-only, --client-only, --proxy-only: one role)
//
// Runs the server suite against every installed server target, the client suite
// against every installed client driver and the proxy suite against every installed
// intermediary, one target at a time (real programs compete for the CPU), through
// the built CLI. A role not run this time keeps the columns of its last run (the
// JSON in out/matrix/, with that run's date), so the documents stay whole. Writes
//   docs/matrix.md    targets x scenarios, outcome symbols, versions, date
//   docs/matrix.html  the same, with every failure and warning's evidence and transcript
//   docs/findings.md  the notable findings, explained, each with its transcript from this run
// and keeps each run's JSON in out/matrix/.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import { AREA_KEYS, type Outcome, type Role } from '../harness/model.js';
import { VERSION } from '../harness/version.js';
import { escapeHtml } from '../reports/html.js';
import { OUTCOMES } from '../reports/symbols.js';
import { CLIENT_TARGETS } from '../targets/clients/index.js';
import { SERVER_TARGETS } from '../targets/index.js';
import { PROXY_TARGETS } from '../targets/proxies/index.js';

const { values } = parseArgs({
  options: {
    'server-only': { type: 'boolean', default: false },
    'client-only': { type: 'boolean', default: false },
    'proxy-only': { type: 'boolean', default: false },
    roles: { type: 'string' },
    only: { type: 'string' },
  },
});
const ROOT = join(import.meta.dirname, '..');
const CLI = join(ROOT, 'dist', 'cli', 'cli.js');
const OUT = join(ROOT, 'out', 'matrix');
const DOCS = join(ROOT, 'docs');
mkdirSync(OUT, { recursive: true });

interface RunResult {
  id: string;
  title: string;
  area: string;
  level: string;
  rfc: string;
  covers: string[];
  outcome: Outcome;
  judgedLevel: string;
  finding: { kind: string; summary?: string; reason?: string; expected?: string; seen?: string };
  transcript: Array<{ t: number; conn: string; type: string; text?: string; data?: string; length?: number }>;
}

interface Column {
  role: Role;
  name: string;
  version: string;
  description: string;
  results: Map<string, RunResult>;
  wallMs: number;
  /** the day it ran (a column kept from an earlier run says so) */
  date: string;
  /** the run was cut short: the target died (the scenarios after it are skips) */
  died?: string;
}

const ROLES: Role[] = ['server', 'client', 'proxy'];
const HEADING: Record<Role, string> = {
  server: 'Servers',
  client: 'Clients',
  proxy: 'Intermediaries (proxy mode)',
};

function targetsOf(role: Role) {
  return role === 'server' ? SERVER_TARGETS : role === 'client' ? CLIENT_TARGETS : PROXY_TARGETS;
}

async function runTarget(role: Role, name: string, description: string): Promise<Column> {
  const json = join(OUT, `${role}-${name}.json`);
  const args = [CLI, role, '--target', name, '--json', json, '--quiet'];
  if (role !== 'client') args.push('--target-idle', '2');
  const t0 = Date.now();
  const r = await execa('node', args, {
    reject: false,
    env: { CI: 'true', NO_COLOR: '1' },
    timeout: 600_000,
  });
  // A target that dies during the run is a finding too: its column keeps what ran, and says why it ends.
  const report = (existsSync(json) ? JSON.parse(readFileSync(json, 'utf8')) : undefined) as
    | { results: RunResult[]; target: string; cutShort?: string }
    | undefined;
  if (r.exitCode === 2 && !report?.cutShort) throw new Error(`${role} ${name}: ${r.stderr.trim()}`);
  if (!report) throw new Error(`${role} ${name}: no report written`);
  const version =
    targetsOf(role)
      .find((t) => t.name === name)
      ?.version?.() ?? 'unknown';
  console.log(
    `${role} ${name} (${version}): ${Object.entries(countOf(report.results))
      .map(([k, v]) => `${v} ${k}`)
      .join(', ')} in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );
  return {
    role,
    name,
    version,
    description,
    results: new Map(report.results.map((x) => [x.id, x])),
    wallMs: Date.now() - t0,
    date: new Date().toISOString().slice(0, 10),
    ...(report.cutShort ? { died: report.cutShort } : {}),
  };
}

/** The column of an earlier run of this target, from its JSON in out/matrix/, if there is one. */
function keptColumn(role: Role, name: string, description: string): Column | undefined {
  const json = join(OUT, `${role}-${name}.json`);
  if (!existsSync(json)) return undefined;
  const report = JSON.parse(readFileSync(json, 'utf8')) as {
    results: RunResult[];
    startedAt: string;
    wallMs: number;
    cutShort?: string;
  };
  return {
    role,
    name,
    version:
      targetsOf(role)
        .find((t) => t.name === name)
        ?.version?.() ?? 'unknown',
    description,
    results: new Map(report.results.map((x) => [x.id, x])),
    wallMs: report.wallMs,
    date: report.startedAt.slice(0, 10),
    ...(report.cutShort ? { died: report.cutShort } : {}),
  };
}

function countOf(results: RunResult[]): Record<string, number> {
  const c: Record<string, number> = {};
  for (const r of results) c[r.outcome] = (c[r.outcome] ?? 0) + 1;
  return c;
}

const anchor = (c: Column, id: string) => `${c.role}-${c.name}-${id}`.replace(/[^a-zA-Z0-9_.-]/g, '_');
const NOTABLE: ReadonlySet<Outcome> = new Set(['fail', 'warn', 'error']);

function markdown(columns: Column[], date: string): string {
  const out: string[] = [
    '# Compliance matrix',
    '',
    `Generated by \`npm run matrix\` on ${date} with keepalive-spec ${VERSION} (Node ${process.versions.node}, Debian packages). Do not edit by hand.`,
    'Each cell is the outcome of one scenario against one target, without `--strict`:',
    Object.entries(OUTCOMES)
      .map(([o, v]) => `${v.symbol} ${o}`)
      .join(' · ') +
      '. Failures, warnings and harness errors link to their evidence and transcript in [matrix.html](matrix.html).',
    '',
    'Built-in server targets and intermediaries run with a 2 s idle timeout. A failure is the program breaking the cited rule on the wire; each one was checked against its transcript before publishing.',
    '',
  ];
  for (const role of ROLES) {
    const cols = columns.filter((c) => c.role === role);
    if (cols.length === 0) continue;
    const dates = [...new Set(cols.map((c) => c.date))].join(', ');
    out.push(`## ${HEADING[role]}`, '', `Run on ${dates}.`, '');
    if (role === 'proxy')
      out.push(
        'In proxy mode the harness is both the client and the origin of the intermediary, configured by its built-in target to forward to the harness; a verdict compares what the two hops carried.',
        '',
      );
    out.push('| target | version | pass | fail | warn | info | skip |', '|---|---|---|---|---|---|---|');
    for (const c of cols) {
      const n = countOf([...c.results.values()]);
      out.push(
        `| \`${c.name}\` | ${c.version} | ${n.pass ?? 0} | ${n.fail ?? 0} | ${n.warn ?? 0} | ${n.info ?? 0} | ${n.skip ?? 0} |`,
      );
    }
    out.push('');
    for (const [name, why] of Object.entries(HELD_BACK))
      if (targetsOf(role).some((t) => t.name === name))
        out.push(`- \`${name}\` is left out of this table: ${why}.`, '');
    for (const c of cols.filter((c) => c.died))
      out.push(
        `- \`${c.name}\` died during the run (${c.died}): the scenarios not run by then are skips, and the verdicts of those running as it died (connections refused or cut) are consequences of the crash, not findings of their own.`,
        '',
      );
    const ids = orderedIds(cols);
    out.push(`| scenario | ${cols.map((c) => `\`${c.name}\``).join(' | ')} |`);
    out.push(`|---|${cols.map(() => ':-:').join('|')}|`);
    for (const id of ids) {
      const cells = cols.map((c) => {
        const r = c.results.get(id);
        if (!r) return ' ';
        const sym = OUTCOMES[r.outcome].symbol;
        return NOTABLE.has(r.outcome) ? `[${sym}](matrix.html#${anchor(c, id)})` : sym;
      });
      out.push(`| \`${id}\` | ${cells.join(' | ')} |`);
    }
    out.push('');
  }
  return `${out.join('\n')}\n`;
}

function orderedIds(cols: Column[]): string[] {
  const all = new Map<string, RunResult>();
  for (const c of cols) for (const r of c.results.values()) if (!all.has(r.id)) all.set(r.id, r);
  return [...all.values()]
    .sort((a, b) => AREA_KEYS.indexOf(a.area as never) - AREA_KEYS.indexOf(b.area as never))
    .map((r) => r.id);
}

function transcriptText(r: RunResult): string {
  return r.transcript
    .map((e) => {
      const head = `${e.t.toFixed(1).padStart(8)} ms ${(e.conn || '--').padEnd(4)} `;
      if (e.data !== undefined)
        return `${head}${e.type === 'send' ? '>' : '<'} ${e.data.replace(/\n(?!$)/g, `\n${' '.repeat(head.length + 2)}`)}`;
      return `${head}${e.type}${e.text ? `: ${e.text}` : ''}`;
    })
    .join('\n');
}

function html(columns: Column[], date: string): string {
  const sections: string[] = [];
  for (const role of ROLES) {
    const cols = columns.filter((c) => c.role === role);
    if (cols.length === 0) continue;
    const ids = orderedIds(cols);
    const head = cols
      .map(
        (c) =>
          `<th title="${escapeHtml(c.description)}">${escapeHtml(c.name)}<br><small>${escapeHtml(c.version)}</small></th>`,
      )
      .join('');
    const rows = ids
      .map((id) => {
        const cells = cols
          .map((c) => {
            const r = c.results.get(id);
            if (!r) return '<td></td>';
            const o = OUTCOMES[r.outcome];
            const text = `${o.symbol}`;
            return NOTABLE.has(r.outcome)
              ? `<td class="${r.outcome}"><a href="#${anchor(c, id)}">${text}</a></td>`
              : `<td class="${r.outcome}" title="${escapeHtml(r.finding.summary ?? r.finding.reason ?? '')}">${text}</td>`;
          })
          .join('');
        return `<tr><th><code>${escapeHtml(id)}</code></th>${cells}</tr>`;
      })
      .join('\n');
    sections.push(
      `<h2>${HEADING[role]}</h2><table class="m"><tr><th>scenario</th>${head}</tr>${rows}</table>`,
    );
    const details = cols
      .flatMap((c) =>
        [...c.results.values()]
          .filter((r) => NOTABLE.has(r.outcome))
          .map(
            (
              r,
            ) => `<details id="${anchor(c, r.id)}" class="${r.outcome}"><summary><b>${escapeHtml(c.name)}</b> · <code>${escapeHtml(r.id)}</code> · ${OUTCOMES[r.outcome].word} · ${escapeHtml(r.covers.join(', '))} ${escapeHtml(r.rfc)} ${escapeHtml(r.judgedLevel)}</summary>
<p>${escapeHtml(r.finding.summary ?? r.finding.reason ?? '')}</p>
${r.finding.expected ? `<p><b>expected:</b> ${escapeHtml(r.finding.expected)}<br><b>seen:</b> ${escapeHtml(r.finding.seen ?? '')}</p>` : ''}
<pre>${escapeHtml(transcriptText(r))}</pre></details>`,
          ),
      )
      .join('\n');
    sections.push(`<h3>Evidence: ${HEADING[role].toLowerCase()}</h3>${details}`);
  }
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>keepalive-spec compliance matrix</title>
<style>body{font:13px system-ui,sans-serif;margin:1em}table.m{border-collapse:collapse}table.m td,table.m th{border:1px solid #d0d7de;padding:2px 6px;text-align:center}
table.m th:first-child{text-align:left}td.pass{color:#1a7f37}td.fail{background:#ffebe9;color:#cf222e;font-weight:bold}td.warn{background:#fff8c5;color:#9a6700}
td.info{color:#0969da}td.skip{color:#8c959f}td.error{color:#8250df}details{border:1px solid #d0d7de;margin:4px 0;padding:4px}details.fail{border-color:#cf222e}
pre{background:#f6f8fa;padding:6px;overflow:auto;max-height:30em;font-size:11px}:target{outline:3px solid #0969da}</style></head><body>
<h1>keepalive-spec compliance matrix</h1><p>Generated on ${escapeHtml(date)} with keepalive-spec ${escapeHtml(VERSION)}. Without --strict. Hover a cell for its finding; failures and warnings link to their transcript.</p>
${sections.join('\n')}</body></html>\n`;
}

/** target x area: counts of non-passing outcomes, for the README. */
function areaTable(columns: Column[], role: Role): string {
  const cols = columns.filter((c) => c.role === role);
  const areas = AREA_KEYS.filter((a) => cols.some((c) => [...c.results.values()].some((r) => r.area === a)));
  const lines = [
    `| ${role === 'server' ? 'server' : role === 'client' ? 'client driver' : 'intermediary'} | ${areas.join(' | ')} |`,
    `|---|${areas.map(() => ':-:').join('|')}|`,
  ];
  for (const c of cols) {
    const cells = areas.map((a) => {
      const rs = [...c.results.values()].filter((r) => r.area === a);
      const n = countOf(rs);
      const bad = (['fail', 'warn', 'error'] as const)
        .filter((o) => n[o])
        .map((o) => `${n[o]} ${OUTCOMES[o].symbol}`);
      return bad.length ? bad.join(' ') : `${OUTCOMES.pass.symbol}`;
    });
    lines.push(`| \`${c.name}\` (${c.version}) | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

/** Replace the text between <!-- matrix:NAME --> and <!-- /matrix:NAME --> in the README. */
function updateReadme(name: string, body: string): void {
  const file = join(ROOT, 'README.md');
  const text = readFileSync(file, 'utf8');
  const re = new RegExp(`(<!-- matrix:${name} -->\\n)[\\s\\S]*?(<!-- /matrix:${name} -->)`);
  if (!re.test(text)) return;
  writeFileSync(file, text.replace(re, `$1${body}\n$2`));
}

/** Findings worth explaining, each shown with its finding and transcript from this run. */
const NOTABLE_FINDINGS: Array<{ role: Role; target: string; id: string; why: string }> = [
  {
    role: 'server',
    target: 'haproxy',
    id: 'frame-cl-huge-2pow64',
    why: 'HAProxy reads `Content-Length: 18446744073709551617` (2^64 + 1) as 1: it forwards the POST, then answers the pipelined GET on the same connection. A front end and a back end that disagree on such a length is a request-smuggling setup.',
  },
  {
    role: 'server',
    target: 'gunicorn-gthread',
    id: 'pipe-order-mixed',
    why: "gunicorn's gthread worker answers the first of several pipelined requests and never the ones it read along with it; the connection then idles until its keep-alive timeout. Most of its other failures are this one defect.",
  },
  {
    role: 'server',
    target: 'h2o',
    id: 'frame-cl-te',
    why: 'With both Content-Length and Transfer-Encoding, h2o answers 405 and keeps parsing the bytes that follow (the `G` becomes part of a `GGET` request) instead of closing (RFC 9112 §6.1).',
  },
  {
    role: 'server',
    target: 'caddy',
    id: 'frame-cl-te',
    why: "Go's net/http (Caddy) keeps the connection after a request with Content-Length and Transfer-Encoding; RFC 9112 §6.1 requires the close.",
  },
  {
    role: 'server',
    target: 'apache',
    id: 'http10-te-closes',
    why: 'Apache processes an HTTP/1.0 request with Transfer-Encoding and keeps the connection (RFC 9112 §6.1: such framing is faulty, close after it).',
  },
  {
    role: 'server',
    target: 'node-http',
    id: 'http10-te-closes',
    why: "Node 20.20.2's http server does the same as Apache here, although an earlier observation had it closing.",
  },
  {
    role: 'server',
    target: 'python-http-1.1',
    id: 'frame-unread-body-get',
    why: "Python's http.server ignores the body of a GET, so the bytes of that body are parsed as the next request.",
  },
  {
    role: 'server',
    target: 'nginx',
    id: 'chunk-bad-lf-size-line',
    why: 'nginx accepts a bare LF ending a chunk-size line (a SHOULD-level deviation: RFC 9112 §2.2 asks for 400 and close).',
  },
  {
    role: 'server',
    target: 'node-http',
    id: 'upgrade-declined-pipelined',
    why: "Node 20's http server answers a request that offers an Upgrade it has no listener for, then never reads the request written behind it in the same segment: that request is never answered, and the connection ends only at a timeout (sent after the answer, the same request is served).",
  },
  {
    role: 'server',
    target: 'node-ws',
    id: 'upgrade-http10-ignored',
    why: 'The ws package (8.23.1, on Node 20), uvicorn with websockets 10.4, Caddy 2.6 and nginx 1.22 with its documented WebSocket recipe all switch an HTTP/1.0 request to WebSocket (101, in HTTP/1.1), where RFC 9110 §7.8 says a server MUST ignore Upgrade in an HTTP/1.0 request.',
  },
  {
    role: 'server',
    target: 'node-ws',
    id: 'upgrade-expect-100-before-101',
    why: 'ws (Node emits `upgrade` at the header section) and uvicorn answer a handshake that asked for `100-continue` with the 101 at once, where RFC 9110 §7.8 requires the 100 first: a client waiting for the 100 before it sends its body never sends it. HAProxy drops the upgrade of a request with a body; Caddy sends two 100s, then the 101.',
  },
  {
    role: 'server',
    target: 'nginx',
    id: 'upgrade-not-in-connection-ignored',
    why: "nginx's documented WebSocket recipe (`proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection $connection_upgrade`, the map keyed on Upgrade alone) turns a request with `Upgrade: websocket` but `Connection: keep-alive` into a handshake upstream: the 101 comes back to a client that never offered an upgrade (RFC 6455 §4.2.1, RFC 9110 §7.8). Apache 2.4's `ProxyPass ... upgrade=websocket` and lighttpd 1.4's mod_proxy with upgrade enabled do the same; Apache, to the same handshake in HTTP/1.0, gives no response at all (15 s and more).",
  },
  {
    role: 'server',
    target: 'uvicorn',
    id: 'ws-frame-behind-handshake',
    why: 'uvicorn (websockets 10.4) and Caddy lose a WebSocket frame that arrives in the same segment as the handshake: no pong after the 101. A client must wait for the 101 (RFC 6455 §4.1), so this is a warning, but behind a proxy the two can coalesce.',
  },
  {
    role: 'client',
    target: 'curl',
    id: 'client-surplus-unsolicited',
    why: "curl 7.88.1 takes an unsolicited response that arrived on an idle connection as the answer to its next request, and reports `evil` as r2's body (response-queue poisoning, RFC 9112 §9.2).",
  },
  {
    role: 'client',
    target: 'curl',
    id: 'client-no-retry-post-fin',
    why: 'curl resends a POST on a new connection when the reused connection closed before any response byte: the "riskier approach" RFC 9110 §9.2.2 names (a warning, SHOULD NOT).',
  },
  {
    role: 'client',
    target: 'curl',
    id: 'client-expect-417-retry',
    why: 'After a 417 without close, curl withholds the announced 2 MiB body and sends the POST again, now with its body, on the same connection: the server, still owed the first body, reads the new request as body bytes (RFC 2616 §8.2.2: a client that stops sending an announced body must close).',
  },
  {
    role: 'client',
    target: 'node-fetch',
    id: 'client-interim-100',
    why: 'undici (Node\'s fetch) fails a request whose response starts with an unsolicited `100 Continue` ("bad response"); RFC 9110 §15.2 requires clients to parse 1xx they did not ask for.',
  },
  {
    role: 'client',
    target: 'node-http',
    id: 'client-chunk-ext-bws',
    why: "Node's parser (llhttp) rejects whitespace around a chunk extension's `;` (`5 ; foo = bar`), which RFC 9112 §7.1.1 allows (BWS).",
  },
  {
    role: 'client',
    target: 'python-http-client',
    id: 'client-interim-103',
    why: "Python's http.client skips only `100`; a `103 Early Hints` is handed out as the final response.",
  },
  {
    role: 'client',
    target: 'python-http-client',
    id: 'client-http10-keep-alive-header-without-token',
    why: 'http.client keeps an HTTP/1.0 connection when the response has a `Keep-Alive` header but no `keep-alive` connection option (RFC 2068 §19.7.1.1: such a header is ignored).',
  },
  {
    role: 'client',
    target: 'wget',
    id: 'client-close-token-list-last',
    why: 'wget honours `Connection: close` only when it is the whole value: `x-foo, close` leaves it reusing the connection.',
  },
  {
    role: 'client',
    target: 'node-http',
    id: 'client-http10-transfer-encoding-response',
    why: 'Every real client tested reuses the connection after an `HTTP/1.0` response with `Transfer-Encoding: chunked` and `Connection: keep-alive`; RFC 9112 §6.1 (new in 9112) requires closing it.',
  },
  {
    role: 'client',
    target: 'python-requests',
    id: 'client-tls-close-notify',
    why: "requests (urllib3), Python's http.client, Node's fetch (undici) and wget end a TLS connection with a bare TCP FIN, no closure alert, where RFC 9112 §9.8 says clients MUST send one: the server cannot tell the client's close from a truncation. node:http, ws and curl send it.",
  },
  {
    role: 'client',
    target: 'node-http',
    id: 'client-tls-incomplete-close-delimited',
    why: 'Every client tested except wget hands out a close-delimited body over TLS that ended with a bare TCP FIN (no closure alert) as a complete 200: an attacker who can inject a FIN truncates the body unnoticed. RFC 9112 §9.8: such a response "is complete only if a valid closure alert has been received"; §8: the client MUST record it as incomplete.',
  },
  {
    role: 'client',
    target: 'python-http-client',
    id: 'client-discard-body-not-reused',
    why: "Python's http.client, asked to close a response whose body the application did not read, sends the next request on the same connection: the rest of the old body is then read as the new response (`LineTooLong`). Its documentation leaves reading the whole body to the application; RFC 9112 §9.3 puts it on the client that reuses the connection. requests, node:http and fetch take a new connection.",
  },
  {
    role: 'proxy',
    target: 'h2o-proxy',
    id: 'proxy-pipe-origin-dies-get',
    why: 'H2O 2.2.5 aborts (`on_error_before_head: Assertion !client->_can_keepalive failed`, SIGABRT) when the origin closes a pooled upstream connection as a request arrives on it: one origin that drops a connection takes the whole proxy down. The run was cut short there; the scenarios not run by then are skips or harness errors, not findings.',
  },
  {
    role: 'proxy',
    target: 'squid-proxy',
    id: 'proxy-frame-204-with-body',
    why: 'Squid 5.7 keeps the upstream connection after a 204 that the origin followed with stray bytes, and hands those bytes to the next client request as its response: one misbehaving origin response poisons the pool for another client (RFC 9112 §6.3).',
  },
  {
    role: 'proxy',
    target: 'caddy-proxy',
    id: 'proxy-smug-cl-te',
    why: "Caddy (Go's net/http) reads a request with both Content-Length and Transfer-Encoding by its chunked coding, then takes the bytes after the empty chunked body as the client's next request and forwards it, where RFC 9112 §6.1 requires closing the connection: a front end that honours the Content-Length would have passed those bytes as body. Squid and Traffic Server do the same.",
  },
  {
    role: 'proxy',
    target: 'nginx-proxy-keepalive',
    id: 'proxy-frame-conflicting-cl-response',
    why: 'nginx 1.22 relays a response with `Content-Length: 5` and `Content-Length: 6` as a 200 with the second length, where RFC 9112 §6.3 requires a 502 and closing the upstream connection; Apache relays it with the first length, so two proxies in a row can disagree on where the response ends.',
  },
  {
    role: 'proxy',
    target: 'nginx-proxy',
    id: 'proxy-hop-connection-named',
    why: 'nginx, HAProxy, H2O, lighttpd and Traffic Server forward a field that the client named in `Connection` (RFC 9110 §7.6.1: an intermediary MUST remove it); nginx replaces the Connection header itself but not the fields it lists.',
  },
  {
    role: 'proxy',
    target: 'trafficserver-proxy',
    id: 'proxy-1xx-103-with-final',
    why: "Traffic Server 9.2.9 forwards a 103 Early Hints that arrives alone, and drops one that arrives in the same segment as the final response (3 of 3 runs each way): whether a client sees the hints depends on how the origin's writes were packed. RFC 9110 §15.2: a proxy MUST forward 1xx responses. Varnish 7.1 forwards no 103 at all.",
  },
  {
    role: 'proxy',
    target: 'squid-proxy',
    id: 'proxy-http10-origin-te-not-reused',
    why: 'Squid 5.7, Varnish 7.1 and Traffic Server 9.2 send the next request on an upstream connection whose last response was HTTP/1.0 with `Transfer-Encoding: chunked` and `Connection: keep-alive`; RFC 9112 §6.1 requires treating that framing as faulty and closing the connection after the message, because an HTTP/1.0 hop may have mangled it.',
  },
  {
    role: 'proxy',
    target: 'haproxy-proxy',
    id: 'proxy-http10-keep-alive-closes',
    why: 'Every real proxy tested except H2O (and tinyproxy, which closes every connection) keeps the connection of an HTTP/1.0 client that asks for keep-alive, which RFC 9112 §9.3 forbids a proxy (MUST NOT maintain a persistent connection with an HTTP/1.0 client): the rule dates from proxies that forwarded Connection blindly, and current proxies ignore it.',
  },
];

function excerpt(r: RunResult, max = 45): string {
  const lines = transcriptText(r).split('\n');
  const cut = lines.map((l) => (l.length > 160 ? `${l.slice(0, 157)}...` : l));
  return cut.length > max
    ? [...cut.slice(0, max), `... ${cut.length - max} more lines in matrix.html`].join('\n')
    : cut.join('\n');
}

function findingsMarkdown(columns: Column[], date: string): string {
  const out = [
    '# Notable findings',
    '',
    `Generated by \`npm run matrix\` on ${date}: each finding with what this run saw, as recorded on the wire.`,
    'The full transcripts are in [matrix.html](matrix.html).',
    '',
  ];
  for (const n of NOTABLE_FINDINGS) {
    const col = columns.find((c) => c.role === n.role && c.name === n.target);
    const r = col?.results.get(n.id);
    out.push(`## \`${n.target}\` · \`${n.id}\``, '', n.why, '');
    if (!col || !r) {
      out.push('(not run in this matrix: the target was not installed)', '');
      continue;
    }
    const o = OUTCOMES[r.outcome];
    out.push(
      `Outcome in this run: **${o.word}** (${r.covers.join(', ')}, ${r.rfc}, ${r.judgedLevel}).${r.outcome === 'pass' || r.outcome === 'info' ? ' Not reproduced in this run.' : ''}`,
      '',
    );
    if (r.finding.expected) out.push(`- expected: ${r.finding.expected}`, `- seen: ${r.finding.seen}`, '');
    else out.push(`- ${r.finding.summary ?? r.finding.reason ?? ''}`, '');
    out.push('```', excerpt(r), '```', '');
  }
  return `${out.join('\n')}\n`;
}

/**
 * Targets run but not published: their verdicts are not yet one failure per root cause, and a
 * failure here must mean a broken rule. Each is named in matrix.md with the reason.
 */
const HELD_BACK: Record<string, string> = {
  'tinyproxy-proxy':
    'tinyproxy closes every client connection after one response without `Connection: close` (proxy-idle-no-silent-close); many proxy scenarios send their follow-up on the same connection and do not yet tell that one fault apart from the rule they test, so its column would repeat it some 30 times',
};

const only = values.only?.split(',');
const wanted = (name: string) =>
  !name.startsWith('faulty:') && !(name in HELD_BACK) && (!only || only.includes(name));
const roles: Role[] = values.roles
  ? (values.roles.split(',') as Role[])
  : values['server-only']
    ? ['server']
    : values['client-only']
      ? ['client']
      : values['proxy-only']
        ? ['proxy']
        : ROLES;
const columns: Column[] = [];
for (const role of ROLES)
  for (const t of targetsOf(role).filter((t) => wanted(t.name))) {
    if (!roles.includes(role)) {
      const kept = keptColumn(role, t.name, t.description);
      if (kept) columns.push(kept);
      continue;
    }
    if (t.installed && !t.installed()) {
      console.log(`${role} ${t.name}: not installed (${t.install ?? t.requires}), left out`);
      continue;
    }
    columns.push(await runTarget(role, t.name, t.description));
  }
const date = new Date().toISOString().slice(0, 10);
writeFileSync(join(DOCS, 'matrix.md'), markdown(columns, date));
writeFileSync(join(DOCS, 'matrix.html'), html(columns, date));
if (!only) {
  writeFileSync(join(DOCS, 'findings.md'), findingsMarkdown(columns, date));
  updateReadme('servers', areaTable(columns, 'server'));
  updateReadme('clients', areaTable(columns, 'client'));
  updateReadme('proxies', areaTable(columns, 'proxy'));
}
console.log('docs/matrix.md and docs/matrix.html written');
