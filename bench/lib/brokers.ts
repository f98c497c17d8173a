/**
 * Which drivers a bus suite can run: every driver of the roadmap that @fsbus/transport loads and
 * whose broker @fsbus/testkit can start on loopback. Drivers still being written are listed as
 * missing, with the reason, instead of failing the run.
 */
import * as testkit from '@fsbus/testkit';
import { DRIVER_NAMES, loadDriver } from '@fsbus/transport';

/** SPEC §4, in the order the tables list them. */
export const ROADMAP_DRIVERS = ['nats', 'amqp', 'redis', 'mqtt', 'kafka', 'zmq'] as const;

export interface BrokerHandle {
  readonly url: string;
  stop(): Promise<void>;
}

interface Starter {
  start(): Promise<BrokerHandle>;
}

/** testkit export names that start each driver's broker (`startNatsServer`, `startRabbitMq`, `startRedis`, …). */
const STARTER_NAMES: Readonly<Record<string, RegExp>> = {
  nats: /^startNats(Server)?$/,
  amqp: /^start(RabbitMq|Rabbit|Amqp)(Server|Broker)?$/i,
  redis: /^startRedis(Server)?$/i,
  mqtt: /^start(Mosquitto|Mqtt)(Server|Broker)?$/i,
  kafka: /^startKafka(Server|Broker)?$/i,
};

/**
 * ZeroMQ is brokerless (mod_event_zmq style): the agent binds its ROUTER and PUB on the URL's
 * two ports, clients connect to them. "Starting the broker" is picking two free ports.
 */
const zmqStarter: Starter = {
  start: async () => {
    const commands = await testkit.freePort();
    const events = await testkit.freePort();
    return { url: `zmq://127.0.0.1:${commands}?events=${events}`, stop: () => Promise.resolve() };
  },
};

type AnyStart = (options?: Record<string, unknown>) => Promise<unknown>;

function isHandle(value: unknown): value is BrokerHandle {
  return typeof value === 'object' && value !== null && typeof (value as BrokerHandle).url === 'string' && typeof (value as BrokerHandle).stop === 'function';
}

function starterFor(driver: string): Starter | undefined {
  if (driver === 'zmq') return zmqStarter;
  const pattern = STARTER_NAMES[driver];
  if (pattern === undefined) return undefined;
  const entry = Object.entries(testkit as Record<string, unknown>).find(([name, v]) => pattern.test(name) && typeof v === 'function');
  if (entry === undefined) return undefined;
  const fn = entry[1] as AnyStart;
  return {
    start: async () => {
      const handle = await fn();
      if (!isHandle(handle)) throw new Error(`testkit ${entry[0]}() returned no {url, stop}`);
      return handle;
    },
  };
}

export interface DriverPlan {
  available: Array<{ driver: string; starter: Starter }>;
  missing: Array<{ driver: string; reason: string }>;
}

/** Splits the roadmap into drivers that can run now and drivers that cannot (with why). */
export async function planDrivers(only?: readonly string[]): Promise<DriverPlan> {
  const plan: DriverPlan = { available: [], missing: [] };
  for (const driver of ROADMAP_DRIVERS) {
    if (only !== undefined && !only.includes(driver)) continue;
    if (!DRIVER_NAMES.includes(driver)) {
      plan.missing.push({ driver, reason: 'not in @fsbus/transport yet' });
      continue;
    }
    try {
      await loadDriver(driver);
    } catch (err) {
      plan.missing.push({ driver, reason: `does not load: ${(err as Error).message.split('\n')[0] ?? ''}` });
      continue;
    }
    const starter = starterFor(driver);
    if (starter === undefined) {
      plan.missing.push({ driver, reason: 'no broker starter in @fsbus/testkit yet' });
      continue;
    }
    plan.available.push({ driver, starter });
  }
  return plan;
}

interface Unmeasured {
  driver: string;
  reason: string;
}

/**
 * Why the run fails, one line per driver: one that failed during the run, named in `--only` or
 * not (its broker was here: a fault, not this machine's make-up), and one named in `--only` that
 * is missing here or no driver at all. A driver not named whose broker is not installed is only
 * listed in the report with its reason.
 */
export function unmeasuredFailures(suite: string, only: readonly string[] | undefined, measured: readonly string[], missing: readonly Unmeasured[], failed: readonly Unmeasured[]): string[] {
  const lines: string[] = [];
  for (const { driver, reason } of failed) {
    lines.push(`${suite}: ${driver}${only?.includes(driver) === true ? ' (named in --only)' : ''} was not measured: ${reason}`);
  }
  for (const driver of only ?? []) {
    if (measured.includes(driver) || failed.some((f) => f.driver === driver)) continue;
    const reason = missing.find((m) => m.driver === driver)?.reason ?? `not a driver (known: ${ROADMAP_DRIVERS.join(', ')})`;
    lines.push(`${suite}: ${driver} (named in --only) was not measured: ${reason}`);
  }
  return lines;
}

/** Prints `unmeasuredFailures` to stderr and, if there is any, makes the exit code 1 (after the report is out). */
export function failUnmeasured(suite: string, only: readonly string[] | undefined, measured: readonly string[], missing: readonly Unmeasured[], failed: readonly Unmeasured[]): void {
  const lines = unmeasuredFailures(suite, only, measured, missing, failed);
  for (const line of lines) console.error(line);
  if (lines.length > 0) process.exitCode = 1;
}
