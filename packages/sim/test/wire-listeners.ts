/**
 * A simulator on a free port with raw Event Socket clients: a control connection, an event
 * listener (`event json <names>`) and, on request, a log listener (`log 6`). Everything a test
 * opened is stopped after it, the last opened first.
 */
import { strict as assert } from 'node:assert';
import { afterEach } from 'node:test';
import { Simulator, type SimulatorOptions } from '../src/index.js';
import { WireClient } from './listener-client.js';

export type JsonEvent = Record<string, string>;

export interface Wires {
  sim: Simulator;
  c: WireClient;
  events: WireClient;
}

export interface WiresWithLog extends Wires {
  logs: WireClient;
}

export interface WireOpeners {
  open: (options: SimulatorOptions, eventNames: string) => Promise<Wires>;
  openWithLog: (options: SimulatorOptions, eventNames: string) => Promise<WiresWithLog>;
}

/** Call once at a test file's top level: it registers the afterEach that stops what the openers started. */
export function wiresPerTest(): WireOpeners {
  const cleanup: Array<() => Promise<void> | void> = [];
  void afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });
  const start = async (options: SimulatorOptions, eventNames: string, clientCount: number): Promise<{ sim: Simulator; clients: WireClient[] }> => {
    const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0, ...options });
    const { port } = await sim.start();
    cleanup.push(() => sim.stop());
    const clients = await Promise.all(Array.from({ length: clientCount }, () => WireClient.authed(port)));
    for (const client of clients) cleanup.push(() => client.close());
    assert.equal(await clients[1]!.replyText(`event json ${eventNames}`), '+OK event listener enabled json');
    return { sim, clients };
  };
  return {
    open: async (options, eventNames) => {
      const { sim, clients: [c, events] } = await start(options, eventNames, 2);
      return { sim, c: c!, events: events! };
    },
    openWithLog: async (options, eventNames) => {
      const { sim, clients: [c, events, logs] } = await start(options, eventNames, 3);
      assert.equal(await logs!.replyText('log 6'), '+OK log level 6 [6]');
      return { sim, c: c!, events: events!, logs: logs! };
    },
  };
}

export async function nextEvent(events: WireClient): Promise<JsonEvent> {
  return JSON.parse((await events.nextOfType('text/event-json')).body?.toString() ?? '{}') as JsonEvent;
}

/** The EXECUTE log line switch_core_session_exec writes for `app` on `channelName` (its text after the stamp). */
export async function executeLine(logs: WireClient, channelName: string, app: string): Promise<string> {
  for (;;) {
    const text = (await logs.nextOfType('log/data')).body?.toString() ?? '';
    if (text.includes(`] ${channelName} ${app}(`)) return text.replace(/^.*\] (EXECUTE)/, '$1');
  }
}
