/**
 * Replays the captured call scenario (shared-scenario.json, shared-control.bin) against a
 * simulator, with listeners subscribed like the capture's (plain/json/xml ALL, log 7) and an
 * outbound server replaying the captured `socket` session. The control session keeps its
 * greeting and auth frames, so they can be compared too.
 */
import { strict as assert } from 'node:assert';
import type { RawFrame } from '@fsbus/esl';
import { Simulator } from '../src/index.js';
import { OutboundReplay, type Chunk } from './fidelity-outbound-replay.js';
import { plainValue, readJson } from './fidelity-support.js';
import { WireClient } from './listener-client.js';

export const A_UUID = '11111111-0000-4000-8000-000000000001';

export type ClientName = 'plain' | 'json' | 'xml' | 'log' | 'control';

export interface ScenarioRun {
  readonly clients: Record<ClientName, WireClient>;
  /** Every frame the control session received: greeting, auth reply, then one reply per command. */
  readonly control: RawFrame[];
  readonly replay: OutboundReplay;
  /** Set when a step did not complete; the comparisons still run on what arrived. */
  readonly error: unknown;
  stop(): Promise<void>;
}

export function isEvent(f: RawFrame, name: string, channel?: string, extra?: (f: RawFrame) => boolean): boolean {
  return (
    f.headers.get('Content-Type') === 'text/event-plain' &&
    plainValue(f.body, 'Event-Name') === name &&
    (channel === undefined || plainValue(f.body, 'Channel-Name') === channel) &&
    (extra === undefined || extra(f))
  );
}

export async function runCapturedScenario(dir: string): Promise<ScenarioRun> {
  const replay = await OutboundReplay.start(readJson<Chunk[]>(dir, 'shared-outbound.json'));
  const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0, nodeName: 'vm', outbound: `127.0.0.1:${replay.port}` });
  const { port } = await sim.start();
  const clients = {} as Record<ClientName, WireClient>;
  for (const fmt of ['plain', 'json', 'xml'] as const) {
    clients[fmt] = await WireClient.authed(port);
    assert.equal(await clients[fmt].replyText(`event ${fmt} ALL`), `+OK event listener enabled ${fmt}`);
  }
  clients.log = await WireClient.authed(port);
  assert.equal(await clients.log.replyText('log 7'), '+OK log level 7 [7]');
  clients.control = await WireClient.connect(port);
  const control: RawFrame[] = [];
  let error: unknown;
  try {
    control.push(await clients.control.next());
    clients.control.send('auth ClueCon\n\n');
    control.push(await clients.control.next());
    await steps(clients, replay, control);
  } catch (err) {
    error = err;
  }
  return {
    clients, control, replay, error,
    async stop() {
      for (const c of Object.values(clients)) c.close();
      await replay.stop();
      await sim.stop();
    },
  };
}

async function steps(clients: Record<ClientName, WireClient>, replay: OutboundReplay, replies: RawFrame[]): Promise<void> {
  const { control, plain } = clients;
  const send = async (text: string): Promise<void> => {
    control.send(text);
    replies.push(await control.next(10_000));
  };
  const destroyed = (...channels: string[]) => (frames: readonly RawFrame[]) =>
    channels.every((c) => frames.some((f) => isEvent(f, 'CHANNEL_DESTROY', c)));

  await send(`api originate {origination_uuid=${A_UUID},origination_caller_id_name=Alice,origination_caller_id_number=1001}loopback/7001 &park()\n\n`);
  await send(
    `sendmsg ${A_UUID}\ncall-command: execute\nexecute-app-name: playback\nexecute-app-arg: tone_stream://%(200,0,440)\n` +
      'event-uuid: bbbbbbbb-0000-0000-0000-000000000001\n\n',
  );
  await plain.waitFor((fs) => fs.some((f) => isEvent(f, 'CHANNEL_EXECUTE_COMPLETE', 'loopback/7001-a', (x) => plainValue(x.body, 'Application-UUID') === 'bbbbbbbb-0000-0000-0000-000000000001')), 10_000);
  await send(`api uuid_broadcast ${A_UUID} tone_stream://%(100,0,600) aleg\n\n`);
  await plain.waitFor((fs) => fs.some((f) => isEvent(f, 'CHANNEL_EXECUTE_COMPLETE', 'loopback/7001-a', (x) => plainValue(x.body, 'Application-Data') === 'tone_stream://%(100,0,600)')), 10_000);
  await send(`api uuid_dump ${A_UUID} json\n\n`);
  await send('api show channels as json\n\n');
  await send(`api uuid_kill ${A_UUID}\n\n`);
  await plain.waitFor(destroyed('loopback/7001-a', 'loopback/7001-b'), 10_000);
  await send('api originate loopback/7002 &park()\n\n');
  await plain.waitFor(destroyed('loopback/7002-a', 'loopback/7002-b'), 10_000);
  await send('bgapi originate {origination_caller_id_name=Bob}loopback/7004 &park()\n\n');
  await plain.waitFor(destroyed('loopback/7004-a', 'loopback/7004-b'), 10_000);
  await send('sendevent CUSTOM\nEvent-Subclass: fsbus::demo\nX-Note: two words\nContent-Type: text/plain\nContent-Length: 12\n\nline1\nline2\n');
  await send('bgapi originate loopback/7005 &park()\n\n');
  await replay.done;
  await plain.waitFor(destroyed('loopback/7005-a', 'loopback/7005-b'), 10_000);
  // Each listener has its own socket: wait until the others have caught up with the plain one.
  const count = plain.peek().length;
  for (const fmt of ['json', 'xml'] as const) await clients[fmt].waitFor((fs) => fs.length >= count, 10_000, `${fmt} events`);
  const closed = (ch: string) => (fs: readonly RawFrame[]) => fs.some((f) => f.body?.toString().includes(`Close Channel ${ch} [CS_DESTROY]`) === true);
  const destroyState = (ch: string) => (fs: readonly RawFrame[]) => fs.some((f) => f.body?.toString().includes(`(${ch}) Running State Change CS_DESTROY`) === true);
  for (const ch of ['loopback/7005-a', 'loopback/7005-b']) {
    await clients.log.waitFor(closed(ch), 10_000, `the log of ${ch}'s end`);
    await clients.log.waitFor(destroyState(ch), 10_000, `the log of ${ch}'s end`);
  }
}
