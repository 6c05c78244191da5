import { Parser } from '../../../harness/wire/parse.js';
import {
  type Connection,
  type Line,
  type Plan,
  type PlanRequest,
  ReferenceClient,
} from '../../clients/reference-client.js';
import type { FaultyClient } from './types.js';

/** Closes every connection after one exchange, without saying so. */
class NoReuseSilent extends ReferenceClient {
  protected override reusable(_c: Connection): boolean {
    return false;
  }
  protected override keepAfter(): boolean {
    return false;
  }
}

/** Sends Connection: close on every request (a client that does not persist, and says so). */
class NoReuseAnnounced extends ReferenceClient {
  override perform(req: PlanRequest): Promise<Line> {
    return super.perform({ ...req, headers: { ...req.headers, Connection: 'close' } });
  }
}

/** Issues a concurrent plan at once but labels each response with the next request id in issue order, as it completes. */
class CompletionOrderLabels extends ReferenceClient {
  override async runPlan(plan: Plan, emit: (line: Line) => void): Promise<void> {
    if (!plan.concurrent) return super.runPlan(plan, emit);
    const ids = plan.requests.map((r) => r.id);
    let next = 0;
    return super.runPlan(plan, (line) => emit({ ...line, id: ids[next++] ?? line.id }));
  }
}

/** Abandons a body by handing its connection back to the pool at once, the rest of the body unread. */
class DiscardedBodyReused extends ReferenceClient {
  protected override abandonBody(c: Connection): void {
    c.abandoned = true;
    c.parser = new Parser({ kind: 'response', lenient: true });
  }
  /** The abandoned body's bytes arriving while the connection is idle are not taken for a stray response. */
  override onIdleData(c: Connection, chunk: Buffer): void {
    if (c.abandoned) return;
    super.onIdleData(c, chunk);
  }
}

export const persistenceClientFaults: FaultyClient[] = [
  {
    name: 'no-reuse-silent',
    breaks: ['client-reuse-sequential', 'client-close-announced'],
    description: 'closes every connection after one exchange without Connection: close',
    client: NoReuseSilent,
  },
  {
    name: 'no-reuse-announced',
    breaks: ['client-reuse-sequential'],
    description: 'does not persist: Connection: close on every request',
    client: NoReuseAnnounced,
  },
  {
    name: 'completion-order-labels',
    breaks: ['client-concurrent-connections'],
    description: 'pairs the responses to concurrent requests with requests in completion order',
    client: CompletionOrderLabels,
  },
  {
    name: 'discarded-body-reused',
    breaks: ['client-discard-body-not-reused'],
    description: 'hands a connection whose response body it abandoned back to the pool, the rest unread',
    client: DiscardedBodyReused,
  },
];
