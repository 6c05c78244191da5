// The command line: argv -> options -> run -> reports -> exit status
// (0 no failure, 1 failure, 2 usage or target error, 130 interrupted).

import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import {
  type Expectation,
  readExpectations,
  updatedExpectations,
  writeExpectations,
} from '../api/expect-file.js';
import {
  runClientSuite,
  runProxySuite,
  runServerSuite,
  type SuiteOptions,
  type SuiteRun,
  TargetError,
  UsageError,
} from '../api/run.js';
import { onInterrupt } from '../harness/interrupt.js';
import { AREA_KEYS, AREAS, type Area, type Role } from '../harness/model.js';
import { exitCodeOf } from '../harness/outcome.js';
import type { Reporter } from '../harness/reporter.js';
import { defaultConcurrency } from '../harness/runner.js';
import { VERSION } from '../harness/version.js';
import { ConsoleReporter } from '../reports/console.js';
import { htmlReporter, jsonReporter, junitReporter } from '../reports/files.js';
import { githubReporter } from '../reports/github.js';
import { coverage, coverageMarkdown } from '../suites/coverage.js';
import { allScenarios, selectScenarios } from '../suites/index.js';
import { CLIENT_TARGETS } from '../targets/clients/index.js';
import { SERVER_TARGETS } from '../targets/index.js';
import { PROXY_TARGETS } from '../targets/proxies/index.js';

interface CommonOptions {
  junit?: string;
  json?: string;
  html?: string;
  /** extra report formats: github */
  report?: string[];
  area?: Area[];
  grep?: RegExp;
  exclude?: RegExp;
  /** known failures, JSON or YAML */
  expect?: string;
  updateExpect: boolean;
  strict: boolean;
  idleMax: number;
  timeout: number;
  /** unset: sized to the machine and the mode (defaultConcurrency), or what a built-in target asks for */
  concurrency?: number;
  quiet: boolean;
  verbose: boolean;
}

interface ClientOptions extends CommonOptions {
  target?: string;
  driver?: string;
}

interface ServerOptions extends CommonOptions {
  target?: string;
  launch?: string;
  insecure: boolean;
  path?: string;
  chunkedPath?: string;
  postPath?: string;
  largePath?: string;
  noContentPath?: string;
  slowPath?: string;
  echoPath?: string;
  wsPath?: string;
  targetIdle: number;
  startupTimeout: number;
}

interface ProxyOptions extends CommonOptions {
  target?: string;
  launch?: string;
  config?: string;
  originPort?: number;
  targetIdle: number;
  startupTimeout: number;
}

const positiveInt = (what: string) => (v: string) => {
  if (!/^\d+$/.test(v) || Number(v) < 1)
    throw new InvalidArgumentError(`${what} must be a positive whole number`);
  return Number(v);
};
const positiveSeconds = (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number of seconds');
  return n;
};
const areaList = (v: string): Area[] => {
  const list = v
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  const bad = list.filter((a) => !AREA_KEYS.includes(a as Area));
  if (bad.length || list.length === 0)
    throw new InvalidArgumentError(
      `unknown area ${bad.join(', ') || '(none)'}; areas are ${AREA_KEYS.join(', ')}`,
    );
  return list as Area[];
};
const regex = (v: string) => {
  try {
    return new RegExp(v, 'i');
  } catch (e) {
    throw new InvalidArgumentError(`not a valid regular expression: ${(e as Error).message}`);
  }
};
const REPORT_FORMATS = ['github'];
const reportList = (v: string): string[] => {
  const list = v
    .split(',')
    .map((f) => f.trim())
    .filter(Boolean);
  const bad = list.filter((f) => !REPORT_FORMATS.includes(f));
  if (bad.length || list.length === 0)
    throw new InvalidArgumentError(
      `unknown report format ${bad.join(', ') || '(none)'}; formats are ${REPORT_FORMATS.join(', ')} (files: --junit, --json, --html)`,
    );
  return list;
};
const resourcePath = (v: string) => {
  if (!v.startsWith('/')) throw new InvalidArgumentError('must be a path starting with /');
  return v;
};

function addCommonOptions(cmd: Command): Command {
  return cmd
    .option('--junit <file>', 'write the JUnit XML report to <file>')
    .option('--json <file>', 'write the full results, with transcripts, as JSON to <file>')
    .addOption(
      new Option(
        '--html <file>',
        'write a self-contained HTML report to <file> (summary by area, transcripts, connection timelines)',
      ),
    )
    .option('--area <a,b>', `run only these areas: ${AREA_KEYS.join(', ')}`, areaList)
    .option('--grep <regex>', 'run only scenarios whose id or title matches (case-insensitive)', regex)
    .option('--exclude <regex>', 'leave out scenarios whose id or title matches (case-insensitive)', regex)
    .option(
      '--report <formats>',
      'extra report formats, comma-separated: github (annotations and a job summary; on by itself when GITHUB_ACTIONS=true)',
      reportList,
    )
    .option('--strict', 'SHOULD-level violations count as failures', false)
    .option(
      '--expect <file>',
      'known failures (JSON or YAML list of {id, reason}): they do not fail the run; one that passes is named',
    )
    .option(
      '--update-expect',
      'write the --expect file from this run: its failures, with reasons kept',
      false,
    )
    .option(
      '--idle-max <seconds>',
      'the longest any scenario waits for a peer idle timeout',
      positiveSeconds,
      10,
    )
    .option(
      '--timeout <ms>',
      'the longest a single read waits before the scenario fails',
      positiveInt('--timeout'),
      3000,
    )
    .option(
      '--concurrency <n>',
      `scenarios run at once (default here: server ${defaultConcurrency('server')}, client ${defaultConcurrency('client')}, proxy ${defaultConcurrency('proxy')}, from the ${availableParallelism()} cores; less for built-in targets with few workers)`,
      positiveInt('--concurrency'),
    )
    .option('--quiet', 'print failures and the summary only', false)
    .option('--verbose', 'print the transcript of every scenario', false);
}

/** The report formats asked for, console first so that its summary can name the files. */
function reportersFor(o: CommonOptions): Reporter[] {
  const github = o.report?.includes('github') || process.env.GITHUB_ACTIONS === 'true';
  return [
    ...(o.junit ? [junitReporter(o.junit)] : []),
    ...(o.json ? [jsonReporter(o.json)] : []),
    ...(o.html ? [htmlReporter(o.html)] : []),
    ...(github ? [githubReporter()] : []),
    new ConsoleReporter({ quiet: o.quiet, verbose: o.verbose }),
  ];
}

/** Ctrl-C and SIGTERM abort the run (the API writes the reports at once); then the exit status. */
async function runMode(run: (common: SuiteOptions) => Promise<SuiteRun>, o: CommonOptions): Promise<number> {
  if (o.quiet && o.verbose) throw new UsageError('--quiet and --verbose exclude each other');
  if (o.updateExpect && !o.expect)
    throw new UsageError('--update-expect needs --expect <file>: the file it writes');
  const known = o.expect ? knownFailures(o.expect, o.updateExpect) : undefined;
  const ac = new AbortController();
  const runOver = onInterrupt((sig) => {
    const why = `interrupted (${sig})`;
    process.stderr.write(`keepalive-spec: ${why}: stopping the run (${sig} again to stop at once)\n`);
    ac.abort(new Error(why));
  });
  try {
    const end = await run({
      ...(o.area ? { areas: o.area } : {}),
      ...(o.grep ? { grep: o.grep } : {}),
      ...(o.exclude ? { exclude: o.exclude } : {}),
      strict: o.strict,
      timeoutMs: o.timeout,
      idleMaxMs: o.idleMax * 1000,
      ...(o.concurrency ? { concurrency: o.concurrency } : {}),
      signal: ac.signal,
      reporters: reportersFor(o),
      ...(known ? { expected: known } : {}),
    });
    for (const u of end.unwritten) process.stderr.write(`keepalive-spec: cannot write a report: ${u}\n`);
    if (end.cutShort) process.stderr.write(`keepalive-spec: run cut short: ${end.cutShort.reason}\n`);
    if (o.updateExpect && o.expect && !end.cutShort) {
      const list = updatedExpectations(end.results, known ?? []);
      writeExpectations(o.expect, list);
      process.stdout.write(
        `expectations written: ${o.expect} (${list.length} known failure${list.length === 1 ? '' : 's'})\n`,
      );
      // Every failure is now a known one.
      return end.unwritten.length
        ? 2
        : exitCodeOf(end.results.filter((r) => r.outcome !== 'fail').map((r) => r.outcome));
    }
    return end.exitCode;
  } finally {
    runOver();
  }
}

/** The --expect file's list; ids that are no scenario are said (a typo, or a scenario renamed). */
function knownFailures(file: string, creating: boolean): Expectation[] {
  if (creating && !existsSync(file)) return [];
  const list = readExpectations(file);
  const ids = new Set(allScenarios().map((s) => s.id));
  for (const e of list)
    if (!ids.has(e.id))
      process.stderr.write(
        `keepalive-spec: ${file}: ${e.id} is not a scenario id (see: keepalive-spec list)\n`,
      );
  return list;
}

async function runServer(url: string | undefined, o: ServerOptions): Promise<number> {
  return runMode(
    (common) =>
      runServerSuite({
        ...common,
        ...(url !== undefined ? { url } : {}),
        ...(o.target !== undefined ? { target: o.target } : {}),
        ...(o.launch !== undefined ? { launch: o.launch } : {}),
        insecure: o.insecure,
        targetIdleMs: o.targetIdle * 1000,
        startupTimeoutMs: o.startupTimeout,
        resources: {
          path: o.path,
          chunkedPath: o.chunkedPath,
          postPath: o.postPath,
          largePath: o.largePath,
          noContentPath: o.noContentPath,
          slowPath: o.slowPath,
          echoPath: o.echoPath,
          wsPath: o.wsPath,
        },
      }),
    o,
  );
}

async function runClient(o: ClientOptions): Promise<number> {
  return runMode(
    (common) =>
      runClientSuite({
        ...common,
        ...(o.target !== undefined ? { target: o.target } : {}),
        ...(o.driver !== undefined ? { driver: o.driver } : {}),
      }),
    o,
  );
}

async function runProxy(url: string | undefined, o: ProxyOptions): Promise<number> {
  return runMode(
    (common) =>
      runProxySuite({
        ...common,
        ...(url !== undefined ? { url } : {}),
        ...(o.originPort !== undefined ? { originPort: o.originPort } : {}),
        ...(o.target !== undefined ? { target: o.target } : {}),
        ...(o.launch !== undefined ? { launch: o.launch } : {}),
        ...(o.config !== undefined ? { config: o.config } : {}),
        targetIdleMs: o.targetIdle * 1000,
        startupTimeoutMs: o.startupTimeout,
      }),
    o,
  );
}

const ROLES = ['server', 'client', 'proxy'];

function checkRole(role: string | undefined): Role | undefined {
  if (role !== undefined && !ROLES.includes(role))
    throw new UsageError(`unknown role ${JSON.stringify(role)}; use server, client or proxy`);
  return role as Role | undefined;
}

function listScenarios(role: string | undefined, o: { json: boolean }): number {
  checkRole(role);
  const list = selectScenarios({ role: role as Role | undefined });
  if (o.json) {
    const rows = list.map(({ id, role, area, level, rfc, title, covers }) => ({
      id,
      role,
      area,
      level,
      rfc,
      title,
      covers,
    }));
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return 0;
  }
  let area = '';
  for (const s of list) {
    if (`${s.role}.${s.area}` !== area) {
      area = `${s.role}.${s.area}`;
      process.stdout.write(`\n${area}: ${AREAS[s.area]}\n`);
    }
    process.stdout.write(
      `  ${s.id.padEnd(34)} ${s.level.padEnd(10)} ${s.rfc.padEnd(18)} ${s.title}  [${s.covers.join(', ')}]\n`,
    );
  }
  process.stdout.write(`\n${list.length} scenarios\n`);
  return 0;
}

function printCoverage(role: string | undefined, o: { json: boolean; markdown: boolean }): number {
  checkRole(role);
  const rows = coverage(allScenarios(), role as Role | undefined);
  if (o.json) {
    const out = rows.map((r) => ({
      id: r.requirement.id,
      role: r.role,
      level: r.requirement.level,
      area: r.requirement.area,
      title: r.requirement.title,
      scenarios: r.scenarios,
      ...(r.reason ? { uncovered: r.reason } : {}),
    }));
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    return 0;
  }
  if (o.markdown) {
    process.stdout.write(coverageMarkdown(rows, 'keepalive-spec coverage --markdown'));
    return 0;
  }
  for (const r of rows) {
    const what = r.scenarios.length ? r.scenarios.join(', ') : `NOT COVERED: ${r.reason}`;
    process.stdout.write(`${r.requirement.id.padEnd(11)} ${r.role.padEnd(7)} ${what}\n`);
  }
  const covered = rows.filter((r) => r.scenarios.length).length;
  process.stdout.write(`\n${covered} of ${rows.length} requirement rows covered\n`);
  return 0;
}

interface TargetRow {
  name: string;
  role: Role;
  description: string;
  requires: string | null;
  /** client drivers: how to install what they need, and whether it is installed */
  install?: string | null;
  installed?: boolean;
}

/** `  name  description…`, the description word-wrapped to the terminal (100 columns when not a terminal). */
function wrapRow(name: string, text: string): string {
  const width = Math.max(60, Math.min(process.stdout.columns ?? 100, 120)) - 1;
  const indent = 2 + 28 + 1;
  const out: string[] = [];
  let line = `  ${name.padEnd(28)}`;
  for (const word of text.split(/\s+/)) {
    if (line.length + 1 + word.length > width && line.length > indent) {
      out.push(line);
      line = ' '.repeat(indent - 1);
    }
    line += ` ${word}`;
  }
  out.push(line);
  return out.join('\n');
}

function listTargets(o: { json: boolean }): number {
  const rows: TargetRow[] = [
    ...SERVER_TARGETS.map((t) => ({
      name: t.name,
      role: 'server' as const,
      description: t.description,
      requires: t.requires ?? null,
      install: t.install ?? null,
      installed: t.installed ? t.installed() : true,
    })),
    ...PROXY_TARGETS.map((t) => ({
      name: t.name,
      role: 'proxy' as const,
      description: t.description,
      requires: t.requires ?? null,
      install: t.install ?? null,
      installed: t.installed ? t.installed() : true,
    })),
    ...CLIENT_TARGETS.map((t) => ({
      name: t.name,
      role: 'client' as const,
      description: t.description,
      requires: t.requires ?? null,
      install: t.install ?? null,
      installed: t.installed ? t.installed() : true,
    })),
  ];
  if (o.json) {
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return 0;
  }
  const print = (role: string, heading: string) => {
    process.stdout.write(heading);
    for (const r of rows.filter((x) => x.role === role)) {
      let needs = r.requires ? ` (needs ${r.requires})` : '';
      if (r.requires && r.installed !== undefined)
        needs = r.installed
          ? ` (needs ${r.requires}: installed)`
          : ` (needs ${r.requires}: NOT INSTALLED${r.install ? `; Debian/Ubuntu: ${r.install}` : ''})`;
      process.stdout.write(`${wrapRow(r.name, `${r.description}${needs}`)}\n`);
    }
  };
  print('server', 'server targets (keepalive-spec server --target <name>):\n');
  print('client', '\nclient drivers (keepalive-spec client --target <name>):\n');
  print('proxy', '\nintermediaries (keepalive-spec proxy --target <name>):\n');
  return 0;
}

function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('keepalive-spec')
    .description(
      'Conformance suite for HTTP/1.x persistent connections (servers, clients and proxies): keep-alive, pipelining, chunked, close, timeouts, framing.',
    )
    .version(VERSION)
    .showSuggestionAfterError(true)
    .addHelpText(
      'after',
      `
Exit status: 0 no failure, 1 at least one failure, 2 usage error or the target
could not be reached or started (one-line reason on stderr), 130 interrupted.

Examples:
  keepalive-spec server --target reference
  keepalive-spec server http://127.0.0.1:8080/ --junit out/junit.xml
  keepalive-spec server --launch "python3 -m http.server {port}" --area persistence,pipelining
  keepalive-spec client --target curl
  keepalive-spec proxy --target nginx-proxy --junit out/proxy.xml
  keepalive-spec list server --json`,
    );

  const server = addCommonOptions(
    program
      .command('server')
      .description('test a server: the harness is the client')
      .argument('[url]', 'the server to test: http://host:port[/path] or https://...')
      .option('--target <name>', 'start a built-in target, test it, stop it (see: keepalive-spec targets)')
      .option('--launch <cmd>', 'start any server command; {port} in it is replaced by a free port')
      .option('--insecure', 'skip TLS certificate checks for https:// URLs', false)
      .option('--path <path>', 'the resource requested (default: the URL path, or /)', resourcePath)
      .option('--chunked-path <path>', 'a resource that answers with a chunked body', resourcePath)
      .option(
        '--post-path <path>',
        'a resource that accepts a POST body (default: the URL path)',
        resourcePath,
      )
      .option(
        '--large-path <path>',
        'the largest resource, for flow-control scenarios (default: the URL path)',
        resourcePath,
      )
      .option('--no-content-path <path>', 'a resource that answers 204', resourcePath)
      .option(
        '--slow-path <path>',
        'a resource that takes a while to answer (pipelining order)',
        resourcePath,
      )
      .option(
        '--echo-path <path>',
        'a resource that echoes a POST body (truncated-body checks)',
        resourcePath,
      )
      .option(
        '--ws-path <path>',
        'a resource that speaks WebSocket (the upgrade area: handshake, ping, close)',
        resourcePath,
      )
      .option('--target-idle <seconds>', 'idle timeout of a built-in target', positiveSeconds, 2)
      .option(
        '--startup-timeout <ms>',
        'how long a launched server may take to accept connections',
        positiveInt('--startup-timeout'),
        10_000,
      ),
  );
  server.addHelpText(
    'after',
    `
The target is exactly one of <url>, --target or --launch. Scenarios that need a
particular kind of resource use the URL path unless an option names another;
where the target offers none they are skipped with the reason, never failed.`,
  );
  server.action(async (url: string | undefined, o: ServerOptions) => setExit(await runServer(url, o)));

  addCommonOptions(
    program
      .command('client')
      .description('test an HTTP client through a driver: the harness is the server')
      .option('--target <name>', 'a built-in client driver')
      .option('--driver <cmd>', 'any client driver command (driver protocol v1, see README)'),
  ).action(async (o: ClientOptions) => setExit(await runClient(o)));

  const proxy = addCommonOptions(
    program
      .command('proxy')
      .description(
        'test an intermediary (reverse proxy, gateway): the harness is its client and its origin, and compares both hops',
      )
      .argument('[url]', 'a proxy already running (with --origin-port): http://host:port/')
      .option(
        '--origin-port <n>',
        'with <url>: the port on 127.0.0.1 the proxy forwards to; the harness listens there as the origin',
        positiveInt('--origin-port'),
      )
      .option(
        '--target <name>',
        'start a built-in intermediary, test it, stop it (see: keepalive-spec targets)',
      )
      .option(
        '--launch <cmd>',
        'start any proxy command; {port} is where it must listen, {origin} the host:port it must forward to',
      )
      .option(
        '--config <template>',
        'with --launch: a config file template; its {port}, {origin} and {dir} are filled in, {config} in the command is the filled copy, {dir} its temporary directory',
      )
      .option('--target-idle <seconds>', 'idle timeout of a built-in intermediary', positiveSeconds, 2)
      .option(
        '--startup-timeout <ms>',
        'how long a launched proxy may take to accept connections',
        positiveInt('--startup-timeout'),
        10_000,
      ),
  );
  proxy.addHelpText(
    'after',
    `
The proxy is exactly one of <url> --origin-port N, --target or --launch. The harness
starts its origin first, then checks that one GET goes through the proxy to the
origin and back before any scenario runs. Every scenario marks its paths with a
nonce (/ksp-<nonce>/...), so scenarios can share the proxy and the origin at once.

Examples:
  keepalive-spec proxy --target reference-proxy
  keepalive-spec proxy --launch "my-proxy --listen 127.0.0.1:{port} --upstream {origin}"
  keepalive-spec proxy --launch "nginx -p {dir} -c {config} -g 'daemon off;'" --config nginx.conf.tmpl
  keepalive-spec proxy http://127.0.0.1:8080/ --origin-port 9090`,
  );
  proxy.action(async (url: string | undefined, o: ProxyOptions) => setExit(await runProxy(url, o)));

  program
    .command('list')
    .description('list every scenario: id, role, area, level, RFC section, title')
    .argument('[role]', 'server, client or proxy')
    .option('--json', 'print a JSON array', false)
    .action((role: string | undefined, o: { json: boolean }) => setExit(listScenarios(role, o)));

  program
    .command('coverage')
    .description('every requirement id with the scenarios that cover it, and why the others are not covered')
    .argument('[role]', 'server, client or proxy')
    .option('--json', 'print a JSON array', false)
    .option('--markdown', 'print the table as Markdown (docs/coverage.md)', false)
    .action((role: string | undefined, o: { json: boolean; markdown: boolean }) =>
      setExit(printCoverage(role, o)),
    );

  program
    .command('targets')
    .description('list the built-in server targets, client drivers and intermediaries')
    .option('--json', 'print a JSON array', false)
    .action((o: { json: boolean }) => setExit(listTargets(o)));

  for (const cmd of [program, ...program.commands]) {
    cmd.exitOverride();
    cmd.configureOutput({
      writeErr: (s) => process.stderr.write(s),
      outputError: (s, write) => write(`keepalive-spec: ${s.replace(/^error: /, '').trim()}\n`),
    });
  }
  return program;
}

export async function main(argv: string[]): Promise<number> {
  let code = 0;
  const program = buildProgram((c) => {
    code = c;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (
        e.code === 'commander.helpDisplayed' ||
        e.code === 'commander.version' ||
        e.code === 'commander.help'
      )
        return 0;
      return 2;
    }
    if (e instanceof UsageError || e instanceof TargetError) {
      process.stderr.write(`keepalive-spec: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}
