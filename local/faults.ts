/**
 * Fault injection for the local stack (ENCRATA_FAULTS, README "Configuration"; docs/operations.md
 * "Fault injection"): one AWS SDK middleware, added to every SDK client the functions use in this
 * process, that fails a share of DynamoDB and SQS calls the way a flaky network does. Local only:
 * nothing under functions/ knows about it, and the CDK stack never sets the variable (an infra test
 * asserts both).
 *
 * The middleware sits inside the SDK's retry loop (finalizeRequest, after the retry middleware), so
 * an injected fault is retried by the SDK as a real one would be, and only repeated faults (or an
 * exhausted retry quota) reach the code. A share `lost` of the faults happens *after* the call took
 * effect — the answer is lost, as on a timed-out connection — so a retried write runs twice.
 */
import { SQSClient } from '@aws-sdk/client-sqs';

export interface FaultPlan {
  /** Share of DynamoDB calls (0–1) that fail. */
  dynamodb: number;
  /** Share of SQS calls (0–1) that fail. */
  sqs: number;
  /** Share of the injected faults (0–1) that happen after the call succeeded (a lost answer). @default 0 */
  lost: number;
  /** Seed of the fault sequence, for a repeatable run. @default - random */
  seed: number | undefined;
}

export interface FaultCounts {
  calls: number;
  /** Faults injected before the call (it never happened). */
  failed: number;
  /** Faults injected after the call took effect (its answer was lost). */
  lost: number;
}

export type FaultService = 'dynamodb' | 'sqs';

/** mulberry32: a small seeded generator, so a seeded run injects the same sequence. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An error the SDK's retry strategy treats as transient (a reset connection), named as injected. */
export function injectedFault(service: FaultService, operation: string, lost: boolean): Error {
  const what = lost ? 'answer lost after the call succeeded' : 'connection reset';
  return Object.assign(new Error(`injected fault (ENCRATA_FAULTS): ${service} ${operation}: ${what}`), {
    name: 'TimeoutError',
    code: 'ECONNRESET',
    $metadata: {},
  });
}

type Next = (args: unknown) => Promise<unknown>;
type Middleware = (next: Next, context: { commandName?: string }) => Next;

/** The middleware itself: decides per call, with `random`, whether and when to fail it. */
export function faultMiddleware(
  service: FaultService,
  plan: FaultPlan,
  random: () => number,
  counts: FaultCounts,
): Middleware {
  return (next, context) => async (args) => {
    counts.calls++;
    const operation = context.commandName?.replace(/Command$/, '') ?? 'call';
    if (random() >= plan[service]) return next(args);
    if (random() < plan.lost) {
      await next(args);
      counts.lost++;
      throw injectedFault(service, operation, true);
    }
    counts.failed++;
    throw injectedFault(service, operation, false);
  };
}

export interface InstalledFaults {
  counts: Record<FaultService, FaultCounts>;
  uninstall(): void;
}

interface SdkClient {
  config: { serviceId?: string };
  middlewareStack: object;
  send(...args: unknown[]): Promise<unknown>;
}

/**
 * Adds the middleware to every SDK client of this process on its next call (clients made before
 * included: the functions build theirs once per container), except `exempt` ones — the stack's
 * event source mappings, which on AWS are Lambda's, not this code's. Returns the counts.
 */
export function installFaults(plan: FaultPlan, options: { exempt?: object[] } = {}): InstalledFaults {
  const random = plan.seed === undefined ? Math.random : seededRandom(plan.seed);
  // Read at every call, so uninstalling also quiets the middleware already in clients' stacks.
  const live: FaultPlan = { ...plan };
  const counts: Record<FaultService, FaultCounts> = {
    dynamodb: { calls: 0, failed: 0, lost: 0 },
    sqs: { calls: 0, failed: 0, lost: 0 },
  };
  const exempt = new WeakSet<object>(options.exempt ?? []);
  const equipped = new WeakSet<object>();
  // Every generated client (and lib-dynamodb's document client) inherits `send` from smithy's Client.
  const base = Object.getPrototypeOf(SQSClient.prototype) as SdkClient;
  const original = base.send;
  base.send = function send(this: SdkClient, ...args: unknown[]) {
    const stack = this.middlewareStack;
    if (!exempt.has(this) && !equipped.has(stack)) {
      equipped.add(stack);
      const service =
        this.config.serviceId === 'DynamoDB' ? 'dynamodb' : this.config.serviceId === 'SQS' ? 'sqs' : null;
      if (service && live[service] > 0) {
        (stack as { add(middleware: Middleware, options: object): void }).add(
          faultMiddleware(service, live, random, counts[service]),
          { step: 'finalizeRequest', priority: 'low', name: 'encrataFaultInjection', override: true },
        );
      }
    }
    return original.apply(this, args);
  };
  return {
    counts,
    uninstall: () => {
      base.send = original;
      live.dynamodb = 0;
      live.sqs = 0;
    },
  };
}
