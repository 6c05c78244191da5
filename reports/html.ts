// A self-contained HTML report: summary by area, every scenario with its rule,
// RFC section, finding and transcript, and a connection timeline per scenario
// (one lane per connection, drawn to scale). Everything the target sent is
// escaped; the page carries no script at all, so a hostile target cannot run any.

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { AREA_KEYS, AREAS, type Outcome, type Result, ROLE_ORDER, type WireEvent } from '../harness/model.js';
import { formatTranscript } from '../harness/wire/transcript.js';
import type { RunInfo } from './json.js';
import { countOutcomes, OUTCOME_ORDER, OUTCOMES } from './symbols.js';
import { confirmationLine, findingLine, ruleLine } from './text.js';

const COLORS: Record<Outcome, string> = {
  pass: '#1a7f37',
  fail: '#cf222e',
  warn: '#9a6700',
  info: '#0969da',
  skip: '#6e7781',
  error: '#8250df',
};

/** Escape text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const badge = (o: Outcome) =>
  `<span class="badge" style="background:${COLORS[o]}">${OUTCOMES[o].symbol} ${OUTCOMES[o].word}</span>`;

/** Proxy mode's upstream connections (u1, u2, ...): the origin's hop, drawn below the client's. */
const upstreamLane = (lane: string) => /^u\d+$/.test(lane);

/**
 * One lane per connection: sends above the line, receipts below, FIN/RST as marks, to scale.
 * In proxy mode the client's hop (c1, ...) and the origin's hop (u1, ...) are two bands on one clock.
 */
export function timelineSvg(events: readonly WireEvent[]): string {
  const wire = events.filter((e) => e.conn && e.type !== 'note');
  const seen = [...new Set(wire.map((e) => e.conn))];
  const lanes = [...seen.filter((l) => !upstreamLane(l)), ...seen.filter(upstreamLane)];
  if (lanes.length === 0) return '';
  const twoHops = lanes.some(upstreamLane) && lanes.some((l) => !upstreamLane(l));
  const end = Math.max(1, ...events.map((e) => e.t));
  const W = 900;
  const left = 90;
  const laneH = 28;
  const gap = twoHops ? 14 : 0;
  const H = lanes.length * laneH + 24 + gap;
  const x = (t: number) => left + (t / end) * (W - left - 10);
  const parts: string[] = [];
  const firstUp = lanes.findIndex(upstreamLane);
  if (twoHops) {
    const yDiv = 14 + firstUp * laneH + gap / 2;
    parts.push(`<line x1="0" y1="${yDiv}" x2="${W}" y2="${yDiv}" class="hop"/>`);
    parts.push(`<text x="${W - 10}" y="${yDiv - 3}" class="axis" text-anchor="end">client ↔ proxy</text>`);
    parts.push(`<text x="${W - 10}" y="${yDiv + 11}" class="axis" text-anchor="end">proxy ↔ origin</text>`);
  }
  lanes.forEach((lane, i) => {
    const y = 14 + i * laneH + laneH / 2 + (twoHops && i >= firstUp ? gap : 0);
    const laneEvents = wire.filter((e) => e.conn === lane);
    const first = laneEvents[0]?.t ?? 0;
    const last = laneEvents[laneEvents.length - 1]?.t ?? first;
    parts.push(`<text x="4" y="${y + 4}" class="lane">${escapeHtml(lane.slice(0, 14))}</text>`);
    parts.push(`<line x1="${x(first)}" y1="${y}" x2="${x(last)}" y2="${y}" class="life"/>`);
    for (const e of laneEvents) {
      const px = x(e.t).toFixed(1);
      const title = `<title>${escapeHtml(`${e.t.toFixed(1)} ms ${e.type}${e.bytes ? ` ${e.bytes.length} bytes` : ''}${e.text ? `: ${e.text}` : ''}`.slice(0, 300))}</title>`;
      if (e.type === 'send')
        parts.push(`<rect x="${px}" y="${y - 10}" width="3" height="9" class="send">${title}</rect>`);
      else if (e.type === 'recv')
        parts.push(`<rect x="${px}" y="${y + 1}" width="3" height="9" class="recv">${title}</rect>`);
      else if (e.type === 'fin-recv' || e.type === 'fin-sent')
        parts.push(
          `<path d="M${px} ${y - 9} v18" class="${e.type === 'fin-recv' ? 'finr' : 'fins'}">${title}</path>`,
        );
      else if (e.type === 'rst') parts.push(`<text x="${px}" y="${y + 5}" class="rst">✕${title}</text>`);
      else if (e.type === 'timeout')
        parts.push(`<circle cx="${px}" cy="${y}" r="4" class="tmo">${title}</circle>`);
      else if (e.type === 'connect')
        parts.push(`<circle cx="${px}" cy="${y}" r="3" class="conn">${title}</circle>`);
    }
  });
  parts.push(`<text x="${left}" y="${H - 2}" class="axis">0 ms</text>`);
  parts.push(`<text x="${W - 10}" y="${H - 2}" class="axis" text-anchor="end">${end.toFixed(0)} ms</text>`);
  return `<svg class="timeline" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="connection timeline">${parts.join('')}</svg>`;
}

function scenarioBlock(r: Result): string {
  const s = r.scenario;
  const f = r.finding;
  const rows: Array<[string, string]> = [
    ['rule', `${s.covers.join(', ')} · ${s.rfc} · ${r.level}`],
    ['result', findingLine(f)],
  ];
  if (f.kind === 'violated') rows.push(['expected', f.expected], ['seen', f.seen]);
  const confirmed = confirmationLine(r);
  if (confirmed) rows.push(['rerun', confirmed]);
  if (r.expected) rows.push(['known failure', r.expected]);
  const table = rows.map(([k, v]) => `<tr><th>${k}</th><td>${escapeHtml(v)}</td></tr>`).join('');
  const open = r.outcome === 'fail' || r.outcome === 'error' ? ' open' : '';
  const transcript = r.events.length
    ? `<pre class="transcript">${escapeHtml(formatTranscript(r.events))}</pre>`
    : '';
  return `<details class="scenario ${r.outcome}" id="${escapeHtml(s.id)}"${open}>
<summary>${badge(r.outcome)} <code>${escapeHtml(s.id)}</code> ${escapeHtml(s.title)} ${confirmed ? '<span class="rerun">rerun alone</span> ' : ''}<span class="dur">${(r.durationMs / 1000).toFixed(2)} s</span></summary>
<table class="facts">${table}</table>
${timelineSvg(r.events)}
${transcript}
</details>`;
}

export function htmlReport(info: RunInfo, results: Result[]): string {
  const counts = countOutcomes(results.map((r) => r.outcome));
  const groups = new Map<string, Result[]>();
  const order = (r: Result) => ROLE_ORDER[r.scenario.role] + AREA_KEYS.indexOf(r.scenario.area);
  for (const r of [...results].sort((a, b) => order(a) - order(b))) {
    const key = `${r.scenario.role}.${r.scenario.area}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const summaryRows = [...groups]
    .map(([key, list]) => {
      const c = countOutcomes(list.map((r) => r.outcome));
      const cells = OUTCOME_ORDER.map((o) => `<td class="${c[o] ? o : 'zero'}">${c[o] || ''}</td>`).join('');
      return `<tr><th><a href="#area-${key}">${key}</a></th>${cells}</tr>`;
    })
    .join('');
  const failures = results
    .filter((r) => r.outcome === 'fail' || r.outcome === 'error')
    .map(
      (r) =>
        `<li>${badge(r.outcome)} <a href="#${escapeHtml(r.scenario.id)}"><code>${escapeHtml(r.scenario.id)}</code></a> ${escapeHtml(findingLine(r.finding))} <small>[${escapeHtml(ruleLine(r))}]</small></li>`,
    )
    .join('');
  const sections = [...groups]
    .map(([key, list]) => {
      const area = key.split('.')[1] as keyof typeof AREAS;
      return `<section id="area-${key}"><h2>${key}</h2><p class="area">${escapeHtml(AREAS[area])}</p>${list.map(scenarioBlock).join('\n')}</section>`;
    })
    .join('\n');
  const title = `keepalive-spec ${info.mode} report: ${info.target}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:0 auto;max-width:1100px;padding:1em 1.5em;color:#1f2328}
h1{font-size:1.4em;margin:.2em 0}h2{font-size:1.15em;margin:1.6em 0 .3em;border-bottom:1px solid #d0d7de}
.meta{color:#57606a}.area{color:#57606a;margin:.2em 0 .6em}
table.summary{border-collapse:collapse;margin:.8em 0}table.summary td,table.summary th{border:1px solid #d0d7de;padding:.2em .7em;text-align:center}
table.summary th{text-align:left}td.zero{color:#d0d7de}td.fail{color:${COLORS.fail};font-weight:bold}td.error{color:${COLORS.error};font-weight:bold}
td.warn{color:${COLORS.warn}}td.pass{color:${COLORS.pass}}td.info{color:${COLORS.info}}td.skip{color:${COLORS.skip}}
.badge{display:inline-block;min-width:4.6em;color:#fff;border-radius:4px;padding:0 .4em;font-size:.8em;font-weight:600;text-align:center}
details.scenario{border:1px solid #d0d7de;border-radius:6px;margin:.35em 0;padding:.3em .6em}
details.scenario.fail{border-color:${COLORS.fail}}details.scenario.error{border-color:${COLORS.error}}
summary{cursor:pointer}.dur{color:#6e7781;float:right}
table.facts th{text-align:left;vertical-align:top;color:#57606a;padding-right:1em;font-weight:500}table.facts td{word-break:break-word}
pre.transcript{background:#f6f8fa;padding:.6em;overflow:auto;max-height:32em;font-size:12px;line-height:1.35}
svg.timeline{background:#fbfbfc;border:1px solid #eaeef2;margin:.4em 0}
.hop{stroke:#8c959f;stroke-dasharray:4 3}
.lane{font:11px ui-monospace,monospace;fill:#57606a}.axis{font:10px sans-serif;fill:#8c959f}
.life{stroke:#d0d7de;stroke-width:1}.send{fill:#0969da}.recv{fill:#1a7f37}.finr{stroke:#cf222e;stroke-width:2}
.fins{stroke:#8250df;stroke-width:2;stroke-dasharray:3 2}.rst{font:bold 13px sans-serif;fill:#cf222e;text-anchor:middle}
.tmo{fill:none;stroke:#9a6700;stroke-width:1.5}.conn{fill:#57606a}
.legend span{margin-right:1.2em}
</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="meta">keepalive-spec ${escapeHtml(info.version)} · started ${escapeHtml(info.startedAt)} · ${(info.wallMs / 1000).toFixed(1)} s · --timeout ${info.timeoutMs} ms · --idle-max ${info.idleMaxMs / 1000} s${info.strict ? ' · --strict' : ''}${info.cutShort ? ` · <strong>cut short: ${escapeHtml(info.cutShort)}</strong>` : ''}</p>
<p>${results.length} scenarios: ${OUTCOME_ORDER.filter((o) => counts[o])
    .map((o) => `${badge(o)} ${counts[o]}`)
    .join(' ')}</p>
<table class="summary"><tr><th>area</th>${OUTCOME_ORDER.map((o) => `<th>${o}</th>`).join('')}</tr>${summaryRows}</table>
${failures ? `<h2>Failures and harness errors</h2><ul>${failures}</ul>` : ''}
<p class="legend">Timeline: <span style="color:#0969da">▮ bytes sent by the harness</span><span style="color:#1a7f37">▮ bytes received</span><span style="color:#cf222e">| FIN received</span><span style="color:#8250df">¦ FIN sent</span><span style="color:#cf222e">✕ RST</span><span style="color:#9a6700">○ timeout</span>. Times in ms since the scenario started.</p>
${sections}
</body>
</html>
`;
}

export function writeHtml(file: string, info: RunInfo, results: Result[]): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, htmlReport(info, results));
}
