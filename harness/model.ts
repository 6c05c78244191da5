// The vocabulary shared by the engine, the suites and the reports.

/** The eight areas (docs/cli.md); the keys are fixed, the order is the report order. */
export const AREAS = {
  http10: 'HTTP/1.0 requests and responses, Connection: keep-alive, the Keep-Alive header',
  persistence: 'HTTP/1.1 default persistence: sequential exchanges on one connection',
  pipelining: 'several requests sent before their responses; ordering, splitting, limits',
  chunked: 'chunked transfer coding: sizes, extensions, last-chunk, trailers',
  close: 'Connection: close from either side, tear-down, lingering close',
  timeouts: 'idle timeouts, graceful close, Keep-Alive: timeout/max, stale connections, retries',
  framing:
    'message length rules: Content-Length, HEAD/204/304, CL+TE, invalid CL, unread bodies, 100-continue',
  upgrade:
    'Upgrade and WebSocket: a declined upgrade keeps the connection, the 101 hand-over, WebSocket ping, pong and close on a kept connection',
} as const;

export type Area = keyof typeof AREAS;
export const AREA_KEYS = Object.keys(AREAS) as Area[];

/** server: the harness is the client; client: the harness is the server; proxy: the harness is both, around an intermediary */
export type Role = 'server' | 'client' | 'proxy';

/** Report order of the roles (JUnit suites, HTML sections): areas are ordered within each. */
export const ROLE_ORDER: Record<Role, number> = { server: 0, client: 100, proxy: 200 };

/** The strongest BCP 14 keyword of the rule; INFO for measurements and non-normative advice. */
export type Level = 'MUST' | 'MUST NOT' | 'SHOULD' | 'SHOULD NOT' | 'MAY' | 'INFO';

export type Outcome = 'pass' | 'fail' | 'warn' | 'info' | 'skip' | 'error';

/** What a scenario concluded. `outcome.ts` alone turns this into an Outcome. */
export type Finding =
  | { kind: 'satisfied'; summary: string }
  | {
      kind: 'violated';
      summary: string;
      expected: string;
      seen: string;
      /** a rule's secondary level, e.g. the SHOULD part of a MUST scenario */
      level?: Level;
    }
  | { kind: 'measured'; summary: string; value?: string | number }
  | { kind: 'notApplicable'; reason: string }
  /** the precondition broke (cannot connect, driver crashed): not a conformance verdict */
  | { kind: 'harnessError'; reason: string };

export const satisfied = (summary: string): Finding => ({ kind: 'satisfied', summary });
export const violated = (v: { summary: string; expected: string; seen: string; level?: Level }): Finding => ({
  kind: 'violated',
  ...v,
});
export const measured = (summary: string, value?: string | number): Finding =>
  value === undefined ? { kind: 'measured', summary } : { kind: 'measured', summary, value };
export const notApplicable = (reason: string): Finding => ({ kind: 'notApplicable', reason });
export const harnessError = (reason: string): Finding => ({ kind: 'harnessError', reason });

/** The static description of a scenario, everything but its behaviour. */
export interface ScenarioInfo {
  /** stable, unique, kebab-case; never positional */
  id: string;
  role: Role;
  area: Area;
  level: Level;
  /** e.g. 'RFC 9112 §9.3.2' */
  rfc: string;
  /** requirement ids from REQUIREMENTS.md */
  covers: string[];
  title: string;
}

export interface Scenario<Ctx> extends ScenarioInfo {
  /** extra run time this scenario needs beyond the default budget, derived from the config */
  budgetMs?: (cfg: TimingConfig) => number;
  /**
   * Cross-cutting rules this scenario owns (e.g. 'PERSIST-02'): what other
   * scenarios see of these rules on their connections is reported here, once.
   */
  owns?: string[];
  /** 'tls': meaningful only over TLS (https targets); skipped elsewhere */
  transport?: 'tls';
  /**
   * Its verdict depends on what else the target is doing (many connections at once, a
   * deep pipeline): a verdict other than pass reached beside other scenarios is replaced
   * by the verdict of a rerun after the batch, with nothing else running.
   */
  alone?: boolean;
  run(ctx: Ctx): Promise<Finding>;
}

export interface TimingConfig {
  /** the longest a single read waits */
  timeoutMs: number;
  /** the longest any scenario waits for a peer's idle timeout */
  idleMaxMs: number;
}

/** One timestamped thing that happened on the wire, or a note the scenario made. */
export interface WireEvent {
  /** ms since the scenario started */
  t: number;
  /** connection label, e.g. 'c1'; '' for scenario-level notes */
  conn: string;
  type:
    | 'connect'
    | 'send'
    | 'recv'
    | 'fin-recv'
    | 'fin-sent'
    | 'rst'
    | 'timeout'
    | 'error'
    | 'note'
    | 'closed';
  bytes?: Buffer;
  text?: string;
}

/**
 * A verdict about time (a read that timed out, a hang, a late close) or one
 * reached while the harness was stalled is run again alone before it stands.
 */
export interface Confirmation {
  /** the first verdict, reached beside other scenarios */
  first: { outcome: Outcome; reason: string };
  /** how many other scenarios ran during the first run */
  beside: number;
  /** 'confirmed': failed again alone; 'passed': not reproduced alone; 'inconclusive': the harness was stalled alone too */
  rerun: 'confirmed' | 'passed' | 'inconclusive';
  /** one sentence for every report */
  note: string;
}

export interface Result {
  scenario: ScenarioInfo;
  outcome: Outcome;
  finding: Finding;
  /** the level the outcome was judged at (a finding can lower or raise the scenario's level) */
  level: Level;
  startedAt: number;
  durationMs: number;
  events: WireEvent[];
  /** ms during which the harness itself was stalled (a busy machine) while the scenario ran */
  stalledMs?: number;
  /** set when the verdict was checked by a run alone */
  confirmation?: Confirmation;
  /** a failure listed as known in the expectations (--expect): the reason given there */
  expected?: string;
}

/** What a run was: the header of every report. */
export interface RunInfo {
  mode: Role;
  target: string;
  startedAt: string;
  wallMs: number;
  strict: boolean;
  timeoutMs: number;
  idleMaxMs: number;
  /** scenarios run at once */
  concurrency?: number;
  version: string;
  /** why the run ended early, if it did */
  cutShort?: string;
  /** with expectations (--expect): the listed scenarios that ran and did not fail */
  nowPassing?: string[];
}
