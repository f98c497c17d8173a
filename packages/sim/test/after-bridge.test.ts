/**
 * What a leg does once its bridge partner has hung up, as FreeSWITCH 1.10 decides it after
 * switch_ivr_multi_threaded_bridge (the bridging leg: the bridge application's caller, the first
 * channel of uuid_bridge) and in audio_bridge_on_exchange_media (the other leg): the caller goes
 * on with its dialplan (or back to the park it ran the bridge from) unless hangup_after_bridge is
 * true; park_after_bridge and transfer_after_bridge apply to both legs; the other leg is hung up
 * NORMAL_CLEARING.
 */
import { strict as assert } from 'node:assert';
import { afterEach, it } from 'node:test';
import { Simulator } from '../src/index.js';
import { WireClient } from './listener-client.js';

const cleanup: Array<() => Promise<void> | void> = [];
void afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

type JsonEvent = Record<string, string>;
type Action = { application: string; data?: string };

const EVENTS = 'CHANNEL_CREATE CHANNEL_STATE CHANNEL_BRIDGE CHANNEL_UNBRIDGE CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE CHANNEL_PARK CHANNEL_UNPARK CHANNEL_HANGUP';
const A = 'af7e0000-0000-4000-8000-00000000000a';
const B = 'af7e0000-0000-4000-8000-00000000000b';

const extension = (number: string, actions: Action[]): { name: string; conditions: Array<{ field: string; expression: string; actions: Action[] }> } =>
  ({ name: number, conditions: [{ field: 'destination_number', expression: `^${number}$`, actions }] });

async function simulator(): Promise<{ c: WireClient; events: WireClient }> {
  const bridgeThen = (vars: Action[]): Action[] => [...vars, { application: 'answer' }, { application: 'bridge', data: 'user/1000' }, { application: 'log', data: 'INFO after the bridge' }, { application: 'park' }];
  const sim = new Simulator({
    port: 0, heartbeatIntervalMs: 0,
    dialplan: {
      default: [
        extension('8100', bridgeThen([])),
        extension('8101', bridgeThen([{ application: 'set', data: 'hangup_after_bridge=true' }])),
        extension('8102', bridgeThen([{ application: 'set', data: 'park_after_bridge=true' }])),
        extension('8104', bridgeThen([{ application: 'set', data: 'transfer_after_bridge=8103:XML:default' }])),
        extension('8103', [{ application: 'answer' }, { application: 'park' }, { application: 'log', data: 'INFO after the park' }, { application: 'park' }]),
      ],
    },
  });
  const { port } = await sim.start();
  cleanup.push(() => sim.stop());
  const [c, events] = await Promise.all([WireClient.authed(port), WireClient.authed(port)]);
  cleanup.push(() => c.close(), () => events.close());
  assert.equal(await events.replyText(`event json ${EVENTS}`), '+OK event listener enabled json');
  return { c, events };
}

async function nextEvent(events: WireClient): Promise<JsonEvent> {
  return JSON.parse((await events.nextOfType('text/event-json')).body?.toString() ?? '{}') as JsonEvent;
}

async function api(c: WireClient, command: string): Promise<string> {
  return (await c.command(`api ${command}`)).body?.toString() ?? '';
}

/** `Name[:Application|:State|:Cause]` of an event. */
function label(e: JsonEvent): string {
  const name = e['Event-Name'] ?? '';
  const detail = name === 'CHANNEL_STATE' ? e['Channel-State'] : name === 'CHANNEL_HANGUP' ? e['Hangup-Cause'] : e.Application;
  return detail === undefined ? name : `${name}:${detail}`;
}

/** `uuid`'s events (labelled) up to and including the first one `last` matches. */
async function eventsOf(events: WireClient, uuid: string, last: (label: string) => boolean): Promise<string[]> {
  const seen: string[] = [];
  for (;;) {
    const e = await nextEvent(events);
    if (e['Unique-ID'] !== uuid) continue;
    seen.push(label(e));
    if (last(label(e))) return seen;
  }
}

/** Waits for the first CHANNEL_BRIDGE: [bridging leg, other leg]. */
async function bridged(events: WireClient): Promise<[string, string]> {
  for (;;) {
    const e = await nextEvent(events);
    if (e['Event-Name'] === 'CHANNEL_BRIDGE') return [e['Bridge-A-Unique-ID'] ?? '', e['Bridge-B-Unique-ID'] ?? ''];
  }
}

void it('bridge application: the callee hangs up, the caller goes on with its extension (hangup_after_bridge unset)', async () => {
  const { c, events } = await simulator();
  assert.match(await api(c, 'originate loopback/8100 &park()'), /^\+OK /);
  const [caller, callee] = await bridged(events);
  assert.equal(await api(c, `uuid_kill ${callee} USER_BUSY`), '+OK\n');
  assert.deepEqual(await eventsOf(events, caller, (l) => l === 'CHANNEL_PARK' || l.startsWith('CHANNEL_HANGUP')), [
    'CHANNEL_UNBRIDGE', 'CHANNEL_EXECUTE_COMPLETE:bridge', 'CHANNEL_EXECUTE:log', 'CHANNEL_EXECUTE_COMPLETE:log', 'CHANNEL_EXECUTE:park', 'CHANNEL_PARK',
  ]);
  assert.equal(await api(c, `uuid_exists ${caller}`), 'true');
});

void it('bridge application with hangup_after_bridge=true: the caller is hung up with the callee\'s cause', async () => {
  const { c, events } = await simulator();
  assert.match(await api(c, 'originate loopback/8101 &park()'), /^\+OK /);
  const [caller, callee] = await bridged(events);
  assert.equal(await api(c, `uuid_kill ${callee} USER_BUSY`), '+OK\n');
  assert.deepEqual(await eventsOf(events, caller, (l) => l.startsWith('CHANNEL_HANGUP')), ['CHANNEL_UNBRIDGE', 'CHANNEL_HANGUP:USER_BUSY']);
});

void it('bridge application with park_after_bridge=true: the caller leaves its extension and parks in CS_PARK', async () => {
  const { c, events } = await simulator();
  assert.match(await api(c, 'originate loopback/8102 &park()'), /^\+OK /);
  const [caller, callee] = await bridged(events);
  assert.equal(await api(c, `uuid_kill ${callee}`), '+OK\n');
  assert.deepEqual(await eventsOf(events, caller, (l) => l === 'CHANNEL_PARK' || l.startsWith('CHANNEL_HANGUP')), [
    'CHANNEL_UNBRIDGE', 'CHANNEL_EXECUTE_COMPLETE:bridge', 'CHANNEL_STATE:CS_PARK', 'CHANNEL_PARK',
  ]);
  // Parked: it runs what it is sent.
  assert.equal(await c.replyText(`sendmsg ${caller}\ncall-command: execute\nexecute-app-name: log\nexecute-app-arg: INFO parked`), '+OK');
  assert.deepEqual(await eventsOf(events, caller, (l) => l === 'CHANNEL_EXECUTE_COMPLETE:log'), ['CHANNEL_EXECUTE:log', 'CHANNEL_EXECUTE_COMPLETE:log']);
});

void it('bridge application with transfer_after_bridge=<ext>:<dialplan>:<context>: the caller is transferred there', async () => {
  const { c, events } = await simulator();
  assert.match(await api(c, 'originate loopback/8104 &park()'), /^\+OK /);
  const [caller, callee] = await bridged(events);
  assert.equal(await api(c, `uuid_kill ${callee}`), '+OK\n');
  assert.deepEqual(await eventsOf(events, caller, (l) => l === 'CHANNEL_PARK' || l.startsWith('CHANNEL_HANGUP')), [
    'CHANNEL_UNBRIDGE', 'CHANNEL_EXECUTE_COMPLETE:bridge', 'CHANNEL_STATE:CS_ROUTING', 'CHANNEL_STATE:CS_EXECUTE',
    'CHANNEL_EXECUTE:answer', 'CHANNEL_EXECUTE_COMPLETE:answer', 'CHANNEL_EXECUTE:park', 'CHANNEL_PARK',
  ]);
  assert.equal(await api(c, `uuid_getvar ${caller} transfer_after_bridge`), '_undef_');
});

void it('a bridge run by sendmsg inside park: the callee hangs up, the caller is back in its park', async () => {
  const { c, events } = await simulator();
  assert.equal(await api(c, `originate {origination_uuid=${A}}loopback/8103 &park()`), `+OK ${A}\n`);
  assert.equal(await c.replyText(`sendmsg ${A}\ncall-command: execute\nexecute-app-name: bridge\nexecute-app-arg: user/1000`), '+OK');
  const [caller, callee] = await bridged(events);
  assert.equal(caller, A);
  assert.equal(await api(c, `uuid_kill ${callee}`), '+OK\n');
  assert.deepEqual(await eventsOf(events, A, (l) => l === 'CHANNEL_EXECUTE_COMPLETE:bridge'), ['CHANNEL_UNBRIDGE', 'CHANNEL_EXECUTE_COMPLETE:bridge']);
  // Still in the park it ran the bridge from: the next message runs there, no unpark, no hangup.
  assert.equal(await c.replyText(`sendmsg ${A}\ncall-command: execute\nexecute-app-name: log\nexecute-app-arg: INFO still parked`), '+OK');
  assert.deepEqual(await eventsOf(events, A, (l) => l === 'CHANNEL_EXECUTE_COMPLETE:log'), ['CHANNEL_EXECUTE:log', 'CHANNEL_EXECUTE_COMPLETE:log']);
});

void it('the caller hangs up: the callee is hung up NORMAL_CLEARING, or parks with park_after_bridge', async () => {
  const { c, events } = await simulator();
  assert.equal(await api(c, `originate {origination_uuid=${A}}loopback/8103 &park()`), `+OK ${A}\n`);
  assert.equal(await c.replyText(`sendmsg ${A}\ncall-command: execute\nexecute-app-name: bridge\nexecute-app-arg: user/1000`), '+OK');
  const [, callee] = await bridged(events);
  assert.equal(await api(c, `uuid_kill ${A} CALL_REJECTED`), '+OK\n');
  assert.deepEqual(await eventsOf(events, callee, (l) => l.startsWith('CHANNEL_HANGUP')), ['CHANNEL_HANGUP:NORMAL_CLEARING']);

  assert.equal(await api(c, `originate {origination_uuid=${B}}loopback/8103 &park()`), `+OK ${B}\n`);
  assert.equal(await c.replyText(`sendmsg ${B}\ncall-command: execute\nexecute-app-name: bridge\nexecute-app-arg: {park_after_bridge=true}user/1000`), '+OK');
  const [, parkingCallee] = await bridged(events);
  assert.equal(await api(c, `uuid_kill ${B}`), '+OK\n');
  assert.deepEqual(await eventsOf(events, parkingCallee, (l) => l === 'CHANNEL_PARK' || l.startsWith('CHANNEL_HANGUP')), ['CHANNEL_STATE:CS_PARK', 'CHANNEL_PARK']);
  assert.equal(await api(c, `uuid_exists ${parkingCallee}`), 'true');
});

void it('uuid_bridge: the first channel goes back to CS_EXECUTE and the rest of its extension; the second is hung up', async () => {
  const { c, events } = await simulator();
  assert.match(await api(c, 'originate loopback/8103 &park()'), /^\+OK /);
  // The loopback leg that runs extension 8103 (answer, park, log, park).
  let first = '';
  while (first === '') {
    const e = await nextEvent(events);
    if (e['Event-Name'] === 'CHANNEL_PARK' && e['Channel-Name'] === 'loopback/8103-b') first = e['Unique-ID'] ?? '';
  }
  assert.equal(await api(c, `originate {origination_uuid=${B}}user/1000 &park()`), `+OK ${B}\n`);
  assert.equal(await api(c, `uuid_bridge ${first} ${B}`), `+OK ${B}\n`);
  assert.deepEqual(await bridged(events), [first, B]);
  assert.equal(await api(c, `uuid_kill ${B}`), '+OK\n');
  assert.deepEqual(await eventsOf(events, first, (l) => l === 'CHANNEL_PARK' || l.startsWith('CHANNEL_HANGUP')), [
    'CHANNEL_UNBRIDGE', 'CHANNEL_STATE:CS_EXECUTE', 'CHANNEL_EXECUTE:log', 'CHANNEL_EXECUTE_COMPLETE:log', 'CHANNEL_EXECUTE:park', 'CHANNEL_PARK',
  ]);

  assert.equal(await api(c, `originate {origination_uuid=${A}}user/1000 &park()`), `+OK ${A}\n`);
  assert.equal(await api(c, `uuid_bridge ${first} ${A}`), `+OK ${A}\n`);
  assert.deepEqual(await bridged(events), [first, A]);
  assert.equal(await api(c, `uuid_kill ${first}`), '+OK\n');
  assert.deepEqual(await eventsOf(events, A, (l) => l.startsWith('CHANNEL_HANGUP')), ['CHANNEL_HANGUP:NORMAL_CLEARING']);
});
