/**
 * A simulator on a free port with an API connection and an event connection (`event json ALL`),
 * for the tests of mod_commands' APIs over the real Event Socket. Every wait is bounded.
 */
import { strict as assert } from 'node:assert';
import { afterEach } from 'node:test';
import { Simulator } from '../src/index.js';
import type { SimulatorOptions } from '../src/index.js';
import { WireClient } from './listener-client.js';

export type JsonEvent = Record<string, string>;

export const extension = (number: string, actions: Array<{ application: string; data?: string }>) =>
  ({ name: number, conditions: [{ field: 'destination_number', expression: `^${number}$`, actions }] });

/** `number` answers, bridges to user/1000 as `bLeg` (`vars`: more originate variables, `,name=value…`), then parks. */
export const bridgingExtension = (number: string, bLeg: string, vars = '') =>
  extension(number, [{ application: 'answer' }, { application: 'bridge', data: `{origination_uuid=${bLeg}${vars}}user/1000` }, { application: 'park' }]);

/** Originates `aLeg` (user/2000) into `ext` and waits for its CHANNEL_BRIDGE: that event, and how many events were seen by then. */
export async function originateBridged(w: ApiWire, aLeg: string, ext: string): Promise<{ bridge: JsonEvent; from: number }> {
  assert.equal(await w.api(`originate {origination_uuid=${aLeg}}user/2000 ${ext}`), `+OK ${aLeg}\n`);
  const bridge = await w.until((e) => e['Unique-ID'] === aLeg && e['Event-Name'] === 'CHANNEL_BRIDGE', `${ext}: ${aLeg} bridged`);
  return { bridge, from: w.seen.length };
}

export interface ApiWire {
  readonly sim: Simulator;
  api(command: string): Promise<string>;
  /** `bgapi <command>`: the Reply-Text. */
  bgapi(command: string): Promise<string>;
  /** Any other command (`sendmsg …`): the Reply-Text. */
  command(text: string): Promise<string>;
  /** Reads events until one matches; every event read is kept in `seen`. */
  until(test: (e: JsonEvent) => boolean, what?: string): Promise<JsonEvent>;
  readonly seen: JsonEvent[];
  close(): Promise<void>;
}

export async function apiWire(options: SimulatorOptions = {}): Promise<ApiWire> {
  const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0, ...options });
  const { port } = await sim.start();
  const [c, events] = await Promise.all([WireClient.authed(port), WireClient.authed(port)]);
  assert.equal(await events.replyText('event json ALL'), '+OK event listener enabled json');
  const seen: JsonEvent[] = [];
  return {
    sim,
    seen,
    api: async (command) => (await c.command(`api ${command}`)).body?.toString() ?? '',
    bgapi: (command) => c.replyText(`bgapi ${command}`),
    command: (text) => c.replyText(text),
    until: async (test, what = 'the expected event') => {
      for (;;) {
        const frame = await events.nextOfType('text/event-json').catch((err: unknown) => {
          throw new Error(`${what}: ${String(err)}`);
        });
        const e = JSON.parse(frame.body?.toString() ?? '{}') as JsonEvent;
        seen.push(e);
        if (test(e)) return e;
      }
    },
    close: async () => {
      c.close();
      events.close();
      await sim.stop();
    },
  };
}

/** Call once at a test file's top level: an opener of an apiWire on `options`, closed after each test (afterEach). */
export function apiWirePerTest(options: SimulatorOptions = {}): () => Promise<ApiWire> {
  let wire: ApiWire | undefined;
  void afterEach(async () => {
    await wire?.close();
    wire = undefined;
  });
  return async () => (wire = await apiWire(options));
}

/** `Event-Name` (and `:Application` when the event has one). */
export const named = (e: JsonEvent): string => `${e['Event-Name'] ?? ''}${e['Application'] === undefined ? '' : `:${e['Application']}`}`;

export const on = (uuid: string, name: string, app?: string) => (e: JsonEvent): boolean =>
  e['Unique-ID'] === uuid && e['Event-Name'] === name && (app === undefined || e['Application'] === app);
