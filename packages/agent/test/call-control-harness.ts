/**
 * Rig for the call-control tests: a real nats-server, a simulated FreeSWITCH whose mod_xml_curl
 * binding points at the agent's dialplan endpoint, the agent, and a bus client that records
 * events. The simulator must know the URL before the agent (which needs the simulator's port)
 * exists, so the binding goes through a small recording tap: it forwards each lookup to the
 * agent and keeps the form and the XML served, so tests can assert on both. When the agent is
 * down the tap resets the connection, as a refused connection would look to mod_xml_curl.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { Agent, loadConfig, type AgentConfigInput } from '@fsbus/agent';
import { decodeReply, type EventPayload, type ReplyEnvelope } from '@fsbus/contract';
import { Simulator } from '@fsbus/sim';
import { startNatsServer, type NatsServerHandle } from '@fsbus/testkit';
import { createDriver, type Driver, type Subscription } from '@fsbus/transport';
import { until } from './support/cluster.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

export interface TappedLookup {
  form: URLSearchParams;
  status: number;
  xml: string;
}

/** Forwards mod_xml_curl requests to the agent and records them. */
export class XmlTap {
  readonly lookups: TappedLookup[] = [];
  target: string | undefined;
  readonly #server: Server;
  #port = 0;

  constructor() {
    this.#server = createServer((req, res) => this.#handle(req, res));
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}/dialplan`;
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const target = this.target;
      if (target === undefined) return void res.destroy();
      const up = httpRequest(target, { method: 'POST', headers: { ...req.headers, host: new URL(target).host } }, (upRes) => {
        const out: Buffer[] = [];
        upRes.on('data', (c: Buffer) => out.push(c));
        upRes.on('end', () => {
          const xml = Buffer.concat(out).toString('utf8');
          this.lookups.push({ form: new URLSearchParams(body.toString('utf8')), status: upRes.statusCode ?? 0, xml });
          res.writeHead(upRes.statusCode ?? 502, { 'content-type': upRes.headers['content-type'] ?? 'text/plain' }).end(xml);
        });
      });
      // Agent down: mod_xml_curl sees the connection fail and falls back to the static dialplan.
      up.on('error', () => {
        this.lookups.push({ form: new URLSearchParams(body.toString('utf8')), status: 0, xml: '' });
        res.destroy();
      });
      up.end(body);
    });
  }

  listen(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.listen(0, '127.0.0.1', () => {
        this.#port = (this.#server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }
}

/** Every event published on the bus, with waits on a predicate (bounded; the bound fails the test). */
export class EventLog {
  readonly events: EventPayload[] = [];
  #waiters: Array<() => void> = [];

  add(e: EventPayload): void {
    this.events.push(e);
    for (const w of this.#waiters.splice(0)) w();
  }

  waitFor(pred: (e: EventPayload) => boolean, what: string, timeoutMs = 10_000): Promise<EventPayload> {
    const found = this.events.find(pred);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
      const check = (): void => {
        const hit = this.events.find(pred);
        if (hit === undefined) return void this.#waiters.push(check);
        clearTimeout(timer);
        resolve(hit);
      };
      this.#waiters.push(check);
    });
  }

  of(uuid: string, name?: string): EventPayload[] {
    return this.events.filter((e) => e.uuid === uuid && (name === undefined || e.event_name === name));
  }
}

/** Messages on one subject, in order. */
export class Inbox {
  readonly messages: string[] = [];
  #waiters: Array<() => void> = [];
  sub: Subscription | undefined;

  add(text: string): void {
    this.messages.push(text);
    for (const w of this.#waiters.splice(0)) w();
  }

  /** Resolves once `n` messages arrived. */
  count(n: number, timeoutMs = 10_000): Promise<string[]> {
    if (this.messages.length >= n) return Promise.resolve(this.messages.slice(0, n));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${n} messages (got ${this.messages.length})`)), timeoutMs);
      const check = (): void => {
        if (this.messages.length < n) return void this.#waiters.push(check);
        clearTimeout(timer);
        resolve(this.messages.slice(0, n));
      };
      this.#waiters.push(check);
    });
  }
}

export interface Rig {
  nats: NatsServerHandle;
  sim: Simulator;
  agent: Agent;
  tap: XmlTap;
  client: Driver;
  events: EventLog;
  subject: string;
  request(body: unknown, timeoutMs?: number): Promise<ReplyEnvelope>;
  publish(body: unknown): Promise<void>;
  inbox(subject: string): Promise<Inbox>;
  /** Starts a new agent on the same simulator and broker (restart), with the same config. */
  restartAgent(): Promise<void>;
  stopAgent(): Promise<void>;
  stop(): Promise<void>;
}

export interface RigOptions {
  /** Extra `dialplan` config (port 0 on loopback is filled in). */
  dialplan?: AgentConfigInput['dialplan'];
  /** When false, the agent has no dialplan endpoint. @default true */
  endpoint?: boolean;
  env?: Record<string, string>;
  commands?: AgentConfigInput['commands'];
  events?: AgentConfigInput['events'];
}

export async function startRig(options: RigOptions = {}): Promise<Rig> {
  const nats = await startNatsServer({ jetstream: false });
  const tap = new XmlTap();
  await tap.listen();
  const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0, xmlCurlUrl: tap.url });
  const { port } = await sim.start();
  const config = loadConfig({
    values: {
      node_id: 'cc-1',
      broker: { urls: [nats.url] },
      esl: { host: '127.0.0.1', port },
      metrics: { enabled: false },
      ...(options.commands === undefined ? {} : { commands: options.commands }),
      ...(options.events === undefined ? {} : { events: options.events }),
      dialplan: options.endpoint === false ? { ...(options.dialplan ?? {}) } : { port: 0, ...(options.dialplan ?? {}) },
    },
    env: options.env ?? {},
  });
  let agent: Agent | undefined;
  const startAgent = async (): Promise<void> => {
    const a = new Agent(config, { logger: pino({ level: 'silent' }) });
    agent = a;
    await a.start();
    await until(a, () => a.ready, 'agent ready');
    tap.target = a.park.url;
  };
  const client = await createDriver('nats', { urls: [nats.url], name: 'cc-test-client' });
  const events = new EventLog();
  const subs: Subscription[] = [];
  const stop = async (): Promise<void> => {
    for (const s of subs) await s.unsubscribe().catch(() => undefined);
    await client.close();
    await agent?.stop();
    await sim.stop();
    await tap.close();
    await nats.stop();
  };
  try {
    await client.connect();
    subs.push(client.subscribe('freeswitch.events.>', (m) => events.add(JSON.parse(dec(m.data)) as EventPayload)));
    await client.flush();
    await startAgent();
  } catch (err) {
    await stop();
    throw err;
  }
  const subject = 'freeswitch.node.cc-1';
  return {
    nats,
    sim,
    get agent() {
      return agent!;
    },
    tap,
    client,
    events,
    subject,
    async request(body, timeoutMs = 10_000) {
      const bytes = typeof body === 'string' ? enc(body) : enc(JSON.stringify(body));
      return decodeReply((await client.request(subject, bytes, { timeoutMs })).data);
    },
    async publish(body) {
      client.publish(subject, enc(typeof body === 'string' ? body : JSON.stringify(body)));
      await client.flush();
    },
    async inbox(name) {
      const box = new Inbox();
      box.sub = client.subscribe(name, (m) => box.add(dec(m.data)));
      subs.push(box.sub);
      await client.flush();
      return box;
    },
    async restartAgent() {
      await agent?.stop();
      await startAgent();
    },
    async stopAgent() {
      // The tap keeps the old URL: FreeSWITCH's lookups now hit a closed port.
      await agent?.stop();
    },
    stop,
  };
}
