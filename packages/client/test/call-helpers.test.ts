// Typed call-control helpers over the generic `api` command (bridge, transfer, record, broadcast)
// and events.waitFor, against a real nats-server, the agent and a simulated FreeSWITCH. Bad
// arguments are refused by a client whose driver never connected: anything that got past the
// checks would fail another way (not INVALID_ARGUMENT).
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { BusErrorCode } from '@fsbus/contract';
import { createDriver, type Driver } from '@fsbus/transport';
import { bridgeLine, broadcastLine, recordLine, transferLine } from '../src/call-args.js';
import { ClientError, ClientErrorCode, FsbusClient, ReplyError, type BusEvent } from '../src/index.js';
import { startStack, type Stack } from './support/stack.js';

const NOWHERE = 'nats://127.0.0.1:1';
const loose = <T>(value: unknown): T => value as T;

function isInvalid(message?: RegExp): (err: unknown) => boolean {
  return (err: unknown) => {
    assert.ok(err instanceof ClientError, `a ClientError, not ${String(err)}`);
    assert.equal(err.code, ClientErrorCode.INVALID_ARGUMENT, err.message);
    if (message !== undefined) assert.match(err.message, message);
    return true;
  };
}

/** Settles `p` and returns its rejection reason; a resolution fails the test. */
const rejection = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => assert.fail('resolved'),
    (e: unknown) => e,
  );

void describe('@fsbus/client call helpers: arguments refused before anything is sent', () => {
  let driver: Driver;
  let bus: FsbusClient;
  before(async () => {
    driver = await createDriver('nats', { urls: [NOWHERE], name: 'never-connected' });
    bus = new FsbusClient(driver);
  });
  after(async () => {
    await bus.close();
    await driver.close();
  });

  void it("the lines sent, in mod_commands.c's argument order", () => {
    assert.deepEqual(bridgeLine('a1', 'b2'), { command: 'uuid_bridge', args: 'a1 b2', channel: { uuid: 'a1', other_uuid: 'b2' } });
    assert.equal(transferLine('a1', '1000').args, 'a1 1000');
    assert.equal(transferLine('a1', '1000', { leg: 'aleg' }).args, 'a1 1000');
    assert.equal(transferLine('a1', '1000', { leg: 'bleg', dialplan: 'XML', context: 'sales' }).args, 'a1 -bleg 1000 XML sales');
    assert.equal(transferLine('a1', '1000', { leg: 'both' }).args, 'a1 -both 1000');
    // Positional: a context alone needs the dialplan before it.
    assert.equal(transferLine('a1', '1000', { context: 'sales' }).args, 'a1 1000 XML sales');
    assert.equal(recordLine('a1', '/r/a.wav').args, 'a1 start /r/a.wav');
    assert.equal(recordLine('a1', '/r/a.wav', { limitSeconds: 30 }).args, 'a1 start /r/a.wav 30');
    assert.equal(recordLine('a1', 'all', { stop: true }).args, 'a1 stop all');
    assert.equal(broadcastLine('a1', 'playback::/s/hello.wav').args, 'a1 playback::/s/hello.wav');
    assert.equal(broadcastLine('a1', '/s/hello.wav', { leg: 'both' }).args, 'a1 /s/hello.wav both');
  });

  void it('uuids that are not one token', async () => {
    for (const bad of ['', 'a', 'a b', 'a\nb', 'x'.repeat(64), 'a;b']) {
      await assert.rejects(bus.bridge(bad, 'abc'), isInvalid(/bridge: uuid/), JSON.stringify(bad));
      await assert.rejects(bus.bridge('abc', bad), isInvalid(/bridge: otherUuid/), JSON.stringify(bad));
      await assert.rejects(bus.transfer(bad, '1000'), isInvalid(/transfer: uuid/));
      await assert.rejects(bus.record(bad, '/tmp/a.wav'), isInvalid(/record: uuid/));
      await assert.rejects(bus.broadcast(bad, '/tmp/a.wav'), isInvalid(/broadcast: uuid/));
    }
    await assert.rejects(bus.bridge(loose<string>(7), 'abc'), isInvalid(/bridge: uuid must be a string/));
    await assert.rejects(bus.bridge('abc', 'abc'), isInvalid(/bridge: otherUuid must not be uuid itself/));
    await assert.rejects(bus.node('n1').bridge('a b', 'abc'), isInvalid(/bridge: uuid/));
  });

  void it('words FreeSWITCH would split, or read as something else', async () => {
    for (const bad of ['', '1000 XML', '1000\nhangup', '10\t00', "'1000'", '"1000"', 'a\\b']) {
      await assert.rejects(bus.transfer('abc', bad), isInvalid(/transfer: destination/), JSON.stringify(bad));
      await assert.rejects(bus.transfer('abc', '1000', { dialplan: bad }), isInvalid(/transfer: dialplan/), JSON.stringify(bad));
      await assert.rejects(bus.transfer('abc', '1000', { context: bad }), isInvalid(/transfer: context/), JSON.stringify(bad));
      await assert.rejects(bus.record('abc', bad), isInvalid(/record: path/), JSON.stringify(bad));
      await assert.rejects(bus.broadcast('abc', bad), isInvalid(/broadcast: path/), JSON.stringify(bad));
    }
    // uuid_transfer reads a destination starting with '-' as its -bleg/-both option.
    await assert.rejects(bus.transfer('abc', '-bleg'), isInvalid(/transfer: destination must not start with '-'/));
    await assert.rejects(bus.transfer('abc', '1000', { leg: loose<'aleg'>('cleg') }), isInvalid(/transfer: leg must be 'aleg', 'bleg' or 'both'/));
    await assert.rejects(bus.broadcast('abc', 'a.wav', { leg: loose<'aleg'>('cleg') }), isInvalid(/broadcast: leg must be/));
    // FreeSWITCH's holdb alone plays nowhere yet answers +OK: not offered.
    await assert.rejects(bus.broadcast('abc', 'a.wav', { leg: loose<'aleg'>('holdb') }), isInvalid(/broadcast: leg must be 'aleg', 'bleg' or 'both'/));
    for (const bad of [0, -1, 1.5, Number.NaN, '5']) {
      await assert.rejects(bus.record('abc', 'a.wav', { limitSeconds: loose<number>(bad) }), isInvalid(/record: limitSeconds/), String(bad));
    }
    await assert.rejects(bus.record('abc', 'a.wav', { stop: true, limitSeconds: 5 }), isInvalid(/record: limitSeconds/));
    await assert.rejects(bus.record('abc', 'a.wav', { stop: loose<boolean>('yes') }), isInvalid(/record: stop must be a boolean/));
    await assert.rejects(bus.transfer('abc', '1000', loose<object>(null)), isInvalid(/transfer: options must be an object/));
  });

  void it('waitFor: options it cannot wait with', async () => {
    await assert.rejects(bus.events.waitFor(loose<{ uuid: string; event: 'CHANNEL_ANSWER' }>(null)), isInvalid(/waitFor: options must be an object/));
    await assert.rejects(bus.events.waitFor({ uuid: '', event: 'CHANNEL_ANSWER' }), isInvalid(/waitFor: uuid/));
    await assert.rejects(bus.events.waitFor({ uuid: 'abc', event: 'CHANNEL_ANSWER', timeoutMs: 0 }), isInvalid(/timeoutMs/));
    await assert.rejects(bus.events.waitFor({ uuid: 'abc', event: 'CHANNEL_ANSWER', signal: loose<AbortSignal>({}) }), isInvalid(/signal/));
  });
});

void describe('@fsbus/client call helpers (real agent, simulated FreeSWITCH)', () => {
  let stack: Stack;
  let bus: FsbusClient;
  let node: string;
  /** An answered channel parked by `&park()`, its CHANNEL_PARK seen. */
  const parked = async (): Promise<string> => {
    const uuid = randomUUID();
    const park = bus.events.waitFor({ uuid, event: 'CHANNEL_PARK', timeoutMs: 15_000 });
    await park.ready;
    await bus.node(node).originate({ endpoint: 'user/1000', extension: '&park()', uuid });
    await park;
    return uuid;
  };
  before(async () => {
    stack = await startStack();
    bus = stack.bus;
    node = stack.nodes[0]!.id;
    stack.nodes[0]!.sim.core.control.setEndpointBehavior('user/1000', { answer: 'answer' });
  });
  after(async () => {
    await stack?.stop();
  });

  void it('bridge: two parked calls are bridged (CHANNEL_BRIDGE)', async () => {
    const a = await parked();
    const b = await parked();
    const bridged = bus.events.waitFor({ uuid: a, event: 'CHANNEL_BRIDGE', timeoutMs: 15_000 });
    await bridged.ready;
    assert.equal(await bus.node(node).bridge(a, b), undefined);
    const e = await bridged;
    assert.equal(e.name, 'CHANNEL_BRIDGE');
    assert.equal(e.uuid, a);
    assert.equal(e.header('Other-Leg-Unique-ID'), b);
    await bus.node(node).hangup(a);
    await bus.node(node).hangup(b).catch(() => undefined);
  });

  void it('transfer: the dialplan runs the destination (7003 → echo)', async () => {
    const a = await parked();
    const echo = bus.events.waitFor({ uuid: a, event: 'CHANNEL_EXECUTE', timeoutMs: 15_000, match: (e) => e.header('Application') === 'echo' });
    await echo.ready;
    await bus.node(node).transfer(a, '7003', { dialplan: 'XML', context: 'default' });
    const e = await echo;
    assert.equal(e.header('Application'), 'echo');
    assert.equal(e.header('Caller-Destination-Number'), '7003');
    await bus.node(node).hangup(a);
  });

  void it("transfer leg 'bleg': the leg bridged to the uuid is the one transferred", async () => {
    const a = await parked();
    const b = await parked();
    const bridged = bus.events.waitFor({ uuid: a, event: 'CHANNEL_BRIDGE', timeoutMs: 15_000 });
    await bridged.ready;
    await bus.node(node).bridge(a, b);
    await bridged;
    const echo = bus.events.waitFor({ uuid: b, event: 'CHANNEL_EXECUTE', timeoutMs: 15_000, match: (e) => e.header('Application') === 'echo' });
    await echo.ready;
    await bus.node(node).transfer(a, '7003', { leg: 'bleg' });
    assert.equal((await echo).uuid, b);
    await bus.node(node).hangup(a).catch(() => undefined);
    await bus.node(node).hangup(b).catch(() => undefined);
  });

  void it('record start and stop: RECORD_START, RECORD_STOP', async () => {
    const a = await parked();
    const started = bus.events.waitFor({ uuid: a, event: 'RECORD_START', timeoutMs: 15_000 });
    await started.ready;
    await bus.node(node).record(a, '/tmp/fsbus-call.wav', { limitSeconds: 60 });
    assert.equal((await started).header('Record-File-Path'), '/tmp/fsbus-call.wav');
    const stopped = bus.events.waitFor({ uuid: a, event: 'RECORD_STOP', timeoutMs: 15_000 });
    await stopped.ready;
    await bus.node(node).record(a, '/tmp/fsbus-call.wav', { stop: true });
    assert.equal((await stopped).header('Record-File-Path'), '/tmp/fsbus-call.wav');
    // Nothing recording under that path any more: FreeSWITCH's -ERR, not a gone channel.
    const err = await rejection(bus.node(node).record(a, '/tmp/fsbus-call.wav', { stop: true }));
    assert.ok(err instanceof ReplyError, String(err));
    assert.equal(err.code, BusErrorCode.COMMAND_FAILED);
    assert.match(String(err.data), /^-ERR Cannot stop record session!/);
    await bus.node(node).hangup(a);
  });

  void it('broadcast: the playback runs on the channel', async () => {
    const a = await parked();
    const played = bus.events.waitFor({ uuid: a, event: 'CHANNEL_EXECUTE', timeoutMs: 15_000, match: (e) => e.header('Application') === 'playback' });
    await played.ready;
    await bus.node(node).broadcast(a, 'tone_stream://%(100,0,440)', { leg: 'aleg' });
    assert.equal((await played).header('Application-Data'), 'tone_stream://%(100,0,440)');
    await bus.node(node).hangup(a);
  });

  void it("a channel that is gone: FSBUS_ERR_BUS_SESSION_NOT_FOUND, data {uuid}, as hangup's", async () => {
    const gone = randomUUID();
    const cases: Array<[string, () => Promise<void>]> = [
      ['transfer', () => bus.node(node).transfer(gone, '7003')],
      ['record', () => bus.node(node).record(gone, '/tmp/x.wav')],
      ['broadcast', () => bus.node(node).broadcast(gone, '/tmp/x.wav')],
      ['hangup', () => bus.node(node).hangup(gone)],
    ];
    for (const [what, call] of cases) {
      const err = await rejection(call());
      assert.ok(err instanceof ReplyError, `${what}: ${String(err)}`);
      assert.equal(err.code, BusErrorCode.SESSION_NOT_FOUND, what);
      assert.equal((err.data as { uuid?: unknown }).uuid, gone, what);
      assert.match(err.message, /no such channel/, what);
    }
    // uuid_bridge's "-ERR Invalid uuid" answers any failure (legs not answered too): not read as gone.
    const err = await rejection(bus.node(node).bridge(gone, randomUUID()));
    assert.ok(err instanceof ReplyError, String(err));
    assert.equal(err.code, BusErrorCode.COMMAND_FAILED);
    assert.match(String(err.data), /-ERR Invalid uuid/);
  });

  void it('waitFor: only the uuid asked for; an event fired right after it returned is caught', async () => {
    const a = await parked();
    const b = await parked();
    // No `await ready`: on NATS the subscription is sent before the hangup request on the same connection.
    const ofB = bus.events.waitFor({ uuid: b, event: 'CHANNEL_HANGUP_COMPLETE', timeoutMs: 15_000 });
    await bus.node(node).hangup(a);
    await bus.node(node).hangup(b);
    const e: BusEvent = await ofB;
    assert.equal(e.uuid, b);
    assert.equal(e.name, 'CHANNEL_HANGUP_COMPLETE');
    // Any broker: `ready`, then the trigger (here the simulator's own, not a bus request).
    const c = await parked();
    const hup = bus.events.waitFor({ uuid: c, event: 'CHANNEL_HANGUP_COMPLETE', timeoutMs: 15_000 });
    await hup.ready;
    stack.nodes[0]!.sim.core.control.hupall('NORMAL_CLEARING');
    assert.equal((await hup).uuid, c);
  });

  void it('waitFor: times out with FSBUS_ERR_CLIENT_TIMEOUT, aborts with FSBUS_ERR_CLIENT_ABORTED', async () => {
    const timedOut = await rejection(bus.events.waitFor({ uuid: randomUUID(), event: 'CHANNEL_ANSWER', timeoutMs: 50 }));
    assert.ok(timedOut instanceof ClientError);
    assert.equal(timedOut.code, ClientErrorCode.TIMEOUT);
    const ac = new AbortController();
    const w = bus.events.waitFor({ uuid: randomUUID(), event: 'CHANNEL_ANSWER', timeoutMs: 60_000, signal: ac.signal });
    await w.ready;
    ac.abort();
    const aborted = await rejection(w);
    assert.ok(aborted instanceof ClientError);
    assert.equal(aborted.code, ClientErrorCode.ABORTED);
    const already = await rejection(bus.events.waitFor({ uuid: randomUUID(), event: 'CHANNEL_ANSWER', signal: AbortSignal.abort() }));
    assert.equal((already as ClientError).code, ClientErrorCode.ABORTED);
  });
});
