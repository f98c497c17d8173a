/**
 * Control API routes that drive the call core (SimCore.control): call generation, one inbound
 * call, the channel list, event injection, endpoint behaviour, gateways, digits, api latency,
 * hupall. Running generators and injectors are kept by id so another request can stop them.
 */
import { randomUUID } from 'node:crypto';
import type { Simulator } from '../simulator.js';
import { SimConfigError } from '../listener/errors.js';
import { num, str, type JsonObject, type Route } from './json.js';

interface Handle {
  stop(): void;
  readonly done: Promise<number>;
}

const running = new WeakMap<Simulator, Map<string, Handle>>();

function handles(sim: Simulator): Map<string, Handle> {
  let map = running.get(sim);
  if (map === undefined) running.set(sim, (map = new Map<string, Handle>()));
  return map;
}

function keep(sim: Simulator, handle: Handle): { id: string } {
  const id = randomUUID();
  // Kept until stopped, so a finished run can still be asked how much it produced.
  handles(sim).set(id, handle);
  return { id };
}

function optionalNum(body: JsonObject, key: string): number | undefined {
  return body[key] === undefined ? undefined : num(body, key);
}

function stringRecord(body: JsonObject, key: string): Record<string, string> | undefined {
  const v = body[key];
  if (v === undefined) return undefined;
  if (v === null || typeof v !== 'object' || Array.isArray(v) || Object.values(v).some((x) => typeof x !== 'string')) {
    throw new SimConfigError(`'${key}' must be an object of strings`);
  }
  return v as Record<string, string>;
}

type Answer = 'answer' | 'busy' | 'no-answer' | `error:${string}`;

function answerOf(text: string): Answer {
  if (text === 'answer' || text === 'busy' || text === 'no-answer') return text;
  if (text.startsWith('error:')) return text as `error:${string}`;
  throw new SimConfigError(`'answer' must be answer, busy, no-answer or error:<CAUSE>, got ${JSON.stringify(text)}`);
}

export const coreRoutes: Record<string, Route> = {
  'POST /calls/generate': (b, sim) => {
    const rate = num(b, 'ratePerSecond');
    const opts: Parameters<Simulator['core']['control']['generateCalls']>[0] = {
      ratePerSecond: rate,
      ...(optionalNum(b, 'durationMs') !== undefined ? { durationMs: num(b, 'durationMs') } : {}),
      ...(b['destination'] !== undefined ? { destination: str(b, 'destination') } : {}),
      ...(optionalNum(b, 'answerRatio') !== undefined ? { answerRatio: num(b, 'answerRatio') } : {}),
      ...(optionalNum(b, 'holdMs') !== undefined ? { holdMs: num(b, 'holdMs') } : {}),
    };
    return keep(sim, sim.core.control.generateCalls(opts));
  },
  'POST /calls/inbound': (b, sim) => {
    const vars = stringRecord(b, 'vars');
    const hangupAfterMs = optionalNum(b, 'hangupAfterMs');
    const uuid = sim.core.control.placeInboundCall({
      to: str(b, 'to'),
      ...(b['from'] !== undefined ? { from: str(b, 'from') } : {}),
      ...(b['context'] !== undefined ? { context: str(b, 'context') } : {}),
      ...(b['uuid'] !== undefined ? { uuid: str(b, 'uuid') } : {}),
      ...(vars !== undefined ? { vars } : {}),
      ...(hangupAfterMs !== undefined ? { hangupAfterMs } : {}),
    });
    return { uuid };
  },
  /** What `show channels as json` says, as JSON. */
  'GET /channels': async (_b, sim) => JSON.parse(await sim.core.api('show', 'channels as json')) as unknown,
  'POST /events/inject': (b, sim) => {
    const headers = stringRecord(b, 'headers');
    const opts: Parameters<Simulator['core']['control']['injectEvents']>[0] = {
      name: str(b, 'name'),
      count: num(b, 'count'),
      ...(b['subclass'] !== undefined ? { subclass: str(b, 'subclass') } : {}),
      ...(headers !== undefined ? { headers } : {}),
      ...(b['body'] !== undefined ? { body: str(b, 'body') } : {}),
      ...(optionalNum(b, 'ratePerSecond') !== undefined ? { ratePerSecond: num(b, 'ratePerSecond') } : {}),
    };
    return keep(sim, sim.core.control.injectEvents(opts));
  },
  /** Stops a generator or injector; resolves with how many calls/events it produced. */
  'POST /stop': async (b, sim) => {
    const id = str(b, 'id');
    const handle = handles(sim).get(id);
    if (handle === undefined) throw new SimConfigError(`no running generator or injector ${JSON.stringify(id)}`);
    handle.stop();
    handles(sim).delete(id);
    return { id, produced: await handle.done };
  },
  'POST /endpoint-behavior': (b, sim) => {
    const delayMs = optionalNum(b, 'delayMs');
    sim.core.control.setEndpointBehavior(str(b, 'endpoint'), {
      answer: answerOf(str(b, 'answer')),
      ...(delayMs !== undefined ? { delayMs } : {}),
    });
    return {};
  },
  'POST /endpoint-behavior/clear': (b, sim) => ({
    cleared: sim.core.control.clearEndpointBehavior(b['endpoint'] === undefined ? undefined : str(b, 'endpoint')),
  }),
  'GET /gateways': (_b, sim) => ({ gateways: sim.core.control.listGateways() }),
  /** The fields are checked by addGateway (a name already declared, a bad one: 400). */
  'POST /gateways': (b, sim) => {
    sim.core.control.addGateway({
      name: str(b, 'name'),
      ...(b['profile'] !== undefined ? { profile: str(b, 'profile') as 'internal' | 'external' } : {}),
      ...(b['username'] !== undefined ? { username: str(b, 'username') } : {}),
      ...(b['realm'] !== undefined ? { realm: str(b, 'realm') } : {}),
      ...(b['proxy'] !== undefined ? { proxy: str(b, 'proxy') } : {}),
    });
    return { gateways: sim.core.control.listGateways() };
  },
  'POST /gateways/remove': (b, sim) => ({ removed: sim.core.control.removeGateway(str(b, 'name')) }),
  'POST /digits': (b, sim) => ({ delivered: sim.core.control.sendDigits(str(b, 'uuid'), str(b, 'digits')) }),
  'POST /api-latency': (b, sim) => {
    sim.core.control.setLatency(num(b, 'ms'));
    return { ms: sim.core.control.latencyMs };
  },
  'POST /hupall': (b, sim) => ({ hungUp: sim.core.control.hupall(str(b, 'cause', 'MANAGER_REQUEST')) }),
};
