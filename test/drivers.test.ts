// The built-in drivers for real clients (targets/clients/), each run through the
// harness's own runDriver against a tiny local server of this test. A driver
// whose program is not installed is skipped. Node drivers run compiled: `npm run build`.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { execa } from 'execa';
import { WebSocketServer } from 'ws';
import { type DriverPlan, type DriverRun, type PlanRequest, runDriver } from '../harness/launch/driver.js';
import { freePort } from '../harness/launch/ports.js';
import { TEST_CERT, TEST_KEY } from '../harness/wire/test-cert.js';
import { Transcript } from '../harness/wire/transcript.js';
import { CLIENT_TARGETS, findClientTarget } from '../targets/clients/index.js';

const DRIVERS = [
  'node-http',
  'node-fetch',
  'curl',
  'wget',
  'python-http-client',
  'python-requests',
  'node-ws',
  'python-websockets',
  'node-websocket',
];
/** The drivers whose client opens WebSockets; every other one exits 3 on a WebSocket step. */
const WEBSOCKET_DRIVERS = ['node-ws', 'python-websockets', 'node-websocket'];
/** WebSocket clients with no ping of their own (the browser API): a step's ping is not sent. */
const NO_CLIENT_PING = ['node-websocket'];
const CLI = join(import.meta.dirname, '..', 'dist', 'cli', 'cli.js');

interface Arrival {
  method: string;
  path: string;
  version: string;
  body: string;
  /** the client's port: one per connection */
  port: number;
  at: number;
  answeredAt?: number;
}

/** Answers `ok <path>` (plus the request body, if any) with Content-Length, keeping the connection. */
class TinyServer {
  readonly arrivals: Arrival[] = [];
  private readonly server: http.Server;
  private readonly handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const a: Arrival = {
        method: req.method ?? '',
        path: req.url ?? '',
        version: req.httpVersion,
        body: Buffer.concat(chunks).toString('utf8'),
        port: req.socket.remotePort ?? 0,
        at: performance.now(),
      };
      this.arrivals.push(a);
      const body = `ok ${a.path}${a.body ? ` ${a.body}` : ''}`;
      // /slow/...: held a while, so that concurrent requests are seen in flight together
      if (a.path.startsWith('/slow/')) await new Promise((resolve) => setTimeout(resolve, 300));
      res.writeHead(a.path === '/missing' ? 404 : 200, { 'Content-Type': 'text/plain', 'X-Tiny': 'yes' });
      // /big: 256 KiB, for a body the client abandons
      res.end(a.path === '/big' ? 'x'.repeat(256 * 1024) : body, () => {
        a.answeredAt = performance.now();
      });
    });
  };
  base = '';
  /** WebSocket messages received, each echoed back as `echo <message>` */
  readonly wsMessages: string[] = [];

  constructor(readonly secure = false) {
    this.server = secure
      ? https.createServer({ key: TEST_KEY, cert: TEST_CERT }, this.handler)
      : http.createServer(this.handler);
    const wss = new WebSocketServer({ server: this.server });
    wss.on('connection', (ws) => {
      ws.on('message', (m) => {
        this.wsMessages.push(m.toString());
        ws.send(`echo ${m.toString()}`);
      });
      ws.ping('tiny-ping');
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.base = `${this.secure ? 'https' : 'http'}://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  arrival(path: string): Arrival {
    const a = this.arrivals.find((x) => x.path === path);
    if (!a)
      throw new Error(`${path} never arrived; arrivals: ${this.arrivals.map((x) => x.path).join(', ')}`);
    return a;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

function plan(requests: PlanRequest[], more: Partial<DriverPlan> = {}): DriverPlan {
  return { version: 1, httpVersion: '1.1', concurrent: false, requests, ...more };
}

async function drive(name: string, p: DriverPlan): Promise<DriverRun> {
  const run = await runDriver(findClientTarget(name)!.command(), p, {
    deadlineMs: 20_000,
    signal: new AbortController().signal,
    transcript: new Transcript(),
  });
  expect(run.timedOut, `${name} timed out; stderr: ${run.stderr}`).to.equal(false);
  return run;
}

function expectOk(run: DriverRun, id: string, body: string, status = 200): void {
  const line = run.lines.get(id);
  expect(line, `no line for ${id}: problems ${run.problems.join('; ')}; stderr ${run.stderr}`).to.not.equal(
    undefined,
  );
  expect(line!.error, `${id}: ${line!.error}`).to.equal(undefined);
  expect(line!.status).to.equal(status);
  expect(line!.body).to.equal(body);
  if (line!.headers) expect(line!.headers['x-tiny']).to.equal('yes');
}

describe('built-in client drivers', function () {
  this.timeout(30_000);

  it('are all registered', () => {
    for (const name of DRIVERS) expect(findClientTarget(name), name).to.not.equal(undefined);
    for (const t of CLIENT_TARGETS.filter((t) => t.installed)) expect(t.requires, t.name).to.be.a('string');
  });

  for (const name of DRIVERS) {
    describe(name, () => {
      let server: TinyServer;
      before(function () {
        const t = findClientTarget(name)!;
        if (t.installed && !t.installed()) this.skip();
      });
      beforeEach(async () => {
        server = new TinyServer();
        await server.start();
      });
      afterEach(async () => server?.stop());

      it('runs sequential steps, reusing the connection across a delay that it honours', async () => {
        const run = await drive(
          name,
          plan([
            { id: 'r1', method: 'GET', url: `${server.base}/a` },
            { id: 'r2', method: 'GET', url: `${server.base}/b?q=1`, delayMs: 300 },
            { id: 'r3', method: 'GET', url: `${server.base}/missing` },
          ]),
        );
        expect(run.problems, run.stderr).to.deep.equal([]);
        expect(run.exitCode).to.equal(0);
        expectOk(run, 'r1', 'ok /a');
        expectOk(run, 'r2', 'ok /b?q=1');
        expectOk(run, 'r3', 'ok /missing', 404);
        const [a, b] = [server.arrival('/a'), server.arrival('/b?q=1')];
        expect(b.at - a.answeredAt!, 'the pause before r2').to.be.at.least(280);
        // (r3 follows r2 at once: undici may then take a second connection of its pool, which is its own behaviour)
        expect(b.port, 'r2 reuses the connection of r1 across the pause').to.equal(a.port);
      });

      it('sends each step with its method, headers and body', async () => {
        const run = await drive(
          name,
          plan([
            {
              id: 'p',
              method: 'POST',
              url: `${server.base}/p`,
              headers: { 'content-type': 'text/plain' },
              body: 'hello',
            },
            { id: 'h', method: 'HEAD', url: `${server.base}/h` },
            { id: 'd', method: 'DELETE', url: `${server.base}/d` },
          ]),
        );
        expect(run.problems, run.stderr).to.deep.equal([]);
        expectOk(run, 'p', 'ok /p hello');
        expectOk(run, 'h', '');
        expectOk(run, 'd', 'ok /d');
        expect(server.arrivals.map((x) => `${x.method} ${x.path} ${x.body}`)).to.deep.equal([
          'POST /p hello',
          'HEAD /h ',
          'DELETE /d ',
        ]);
      });

      it('reports a refused connection as an error line and exits 0', async () => {
        const port = await freePort();
        const run = await drive(
          name,
          plan([
            { id: 'bad', method: 'GET', url: `http://127.0.0.1:${port}/x` },
            { id: 'good', method: 'GET', url: `${server.base}/y` },
          ]),
        );
        expect(run.problems, run.stderr).to.deep.equal([]);
        expect(run.lines.get('bad')?.error).to.be.a('string').and.not.equal('');
        expectOk(run, 'good', 'ok /y');
      });

      it('issues concurrent steps at once', async () => {
        const ids = ['c1', 'c2', 'c3'];
        const run = await drive(
          name,
          plan(
            ids.map((id) => ({ id, method: 'GET', url: `${server.base}/slow/${id}` })),
            { concurrent: true },
          ),
        );
        expect(run.problems, run.stderr).to.deep.equal([]);
        for (const id of ids) expectOk(run, id, `ok /slow/${id}`);
        const firstAnswer = Math.min(...server.arrivals.map((x) => x.answeredAt!));
        expect(
          server.arrivals.every((x) => x.at < firstAnswer),
          'all three in flight before any answer',
        ).to.equal(true);
      });

      it('opens a WebSocket for a websocket step (message, ping, close), or exits 3 at once', async () => {
        const run = await drive(
          name,
          plan([
            {
              id: 'w',
              method: 'GET',
              url: `${server.base.replace('http', 'ws')}/ws`,
              websocket: { text: 'hi', ping: 'p1', waitMs: 300, close: true },
            },
          ]),
        );
        if (!WEBSOCKET_DRIVERS.includes(name)) {
          expect(run.unsupported, `${name} exits 3: ${run.stderr}`).to.equal(true);
          expect(run.stderr.trim().split('\n').pop()).to.match(/websocket/i);
          expect(server.arrivals, 'nothing sent before exit 3').to.deep.equal([]);
          return;
        }
        expect(run.problems, run.stderr).to.deep.equal([]);
        const line = run.lines.get('w')!;
        expect(line.error, line.error).to.equal(undefined);
        expect(line.status).to.equal(101);
        expect(line.messages).to.deep.equal(['echo hi']);
        expect(line.pong).to.equal(NO_CLIENT_PING.includes(name) ? undefined : 'p1');
        expect(server.wsMessages).to.deep.equal(['hi']);
      });

      it('abandons a body for discardBody (the line has the status, no body), or exits 3 at once', async () => {
        const run = await drive(
          name,
          plan([
            { id: 'big', method: 'GET', url: `${server.base}/big`, discardBody: true },
            { id: 'after', method: 'GET', url: `${server.base}/after` },
          ]),
        );
        if (run.unsupported) {
          expect(['curl', 'wget'], `${name} exits 3: ${run.stderr}`).to.include(name);
          expect(run.stderr.trim().split('\n').pop()).to.match(/body/i);
          return;
        }
        expect(run.problems, run.stderr).to.deep.equal([]);
        expect(run.lines.get('big')?.status).to.equal(200);
        expect(run.lines.get('big')?.body ?? '').to.have.length.below(256 * 1024);
      });

      it('speaks HTTP/1.0 when asked, or exits 3 at once', async () => {
        const run = await drive(
          name,
          plan([{ id: 'old', method: 'GET', url: `${server.base}/old` }], { httpVersion: '1.0' }),
        );
        if (run.unsupported) {
          expect(server.arrivals, 'nothing sent before exit 3').to.deep.equal([]);
          return;
        }
        expect(run.problems, run.stderr).to.deep.equal([]);
        expectOk(run, 'old', 'ok /old');
        expect(server.arrival('/old').version).to.equal('1.0');
      });
    });
  }

  describe("over TLS (the plan's tls field: the test certificate as CA)", () => {
    let server: TinyServer;
    let dir: string;
    let ca: string;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'keepalive-spec-test-ca-'));
      ca = join(dir, 'ca.pem');
      writeFileSync(ca, TEST_CERT);
    });
    after(() => rmSync(dir, { recursive: true, force: true }));
    beforeEach(async () => {
      server = new TinyServer(true);
      await server.start();
    });
    afterEach(async () => server?.stop());

    for (const name of DRIVERS)
      it(`${name}: https:// steps${WEBSOCKET_DRIVERS.includes(name) ? ' and a wss:// step' : ''}`, async function () {
        const t = findClientTarget(name)!;
        if (t.installed && !t.installed()) this.skip();
        const steps: PlanRequest[] = [
          { id: 'r1', method: 'GET', url: `${server.base}/a` },
          { id: 'r2', method: 'GET', url: `${server.base}/b` },
        ];
        if (WEBSOCKET_DRIVERS.includes(name))
          steps.push({
            id: 'w',
            method: 'GET',
            url: `${server.base.replace('https', 'wss')}/ws`,
            websocket: { text: 'tls', waitMs: 200, close: true },
          });
        const run = await drive(name, plan(steps, { tls: { ca, insecure: true } }));
        expect(run.problems, run.stderr).to.deep.equal([]);
        expectOk(run, 'r1', 'ok /a');
        expectOk(run, 'r2', 'ok /b');
        if (WEBSOCKET_DRIVERS.includes(name))
          expect(run.lines.get('w')?.messages).to.deep.equal(['echo tls']);
      });
  });

  it('`targets --json` says whether each client driver is installed and how to install it', async () => {
    const r = await execa(process.execPath, [CLI, 'targets', '--json'], { reject: false });
    const rows = JSON.parse(r.stdout) as Array<{
      name: string;
      role: string;
      installed?: boolean;
      install?: string | null;
    }>;
    for (const name of DRIVERS) {
      const row = rows.find((x) => x.role === 'client' && x.name === name);
      expect(row, name).to.not.equal(undefined);
      expect(row!.installed, name).to.be.a('boolean');
    }
    expect(rows.find((x) => x.name === 'python-requests')!.install).to.contain('python3-requests');
  });

  it('`client --target curl` without curl on PATH exits 2 with what to install', async () => {
    const r = await execa(process.execPath, [CLI, 'client', '--target', 'curl'], {
      reject: false,
      env: { PATH: '/nonexistent', CI: 'true', NO_COLOR: '1' },
      extendEnv: false,
    });
    expect(r.exitCode, r.stderr).to.equal(2);
    expect(r.stderr).to.match(/needs curl.*not installed.*apt-get install curl/);
    expect(r.stderr.trim().split('\n')).to.have.length(1);
  });
});
