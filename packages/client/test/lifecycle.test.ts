// What close() ends, what an aborted gather never sends, overlapping event patterns, and the
// options refused before anything is sent. The "agent" is a bare lane on a real nats-server.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { buildSubjects, encodeReply, successReply } from '@fsbus/contract';
import { startNatsServer, type NatsServerHandle } from '@fsbus/testkit';
import { createDriver, type Driver } from '@fsbus/transport';
import { ClientErrorCode, connect, FsbusClient, type BusEvent, type EventPattern } from '../src/index.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const event = (name: string): Uint8Array =>
  enc(JSON.stringify({ event_name: name, timestamp: 1, node_id: 'stand-in', headers: { 'Event-Name': name } }));

void describe('@fsbus/client lifecycle and argument checks', () => {
  let nats: NatsServerHandle;
  let lanes: Driver;
  /** Requests that reached the silent lane, and broadcasts that reached anyone. */
  let silentSeen = 0;
  let broadcasts = 0;
  before(async () => {
    nats = await startNatsServer();
    lanes = await createDriver('nats', { urls: [nats.url], name: 'lanes' });
    await lanes.connect();
    lanes.serve({ subject: 'silent.api', competing: true }, () => {
      silentSeen++;
      return undefined;
    });
    lanes.serve({ subject: 'silent.broadcast', competing: false }, () => {
      broadcasts++;
      return undefined;
    });
    // execute_app accepted, its completion never published.
    lanes.serve({ subject: 'ok.api', competing: true }, () => encodeReply(successReply({ nodeId: 'stand-in', message: 'ok', data: { application_uuid: 'app-1' } })));
    await lanes.flush();
  });
  after(async () => {
    await lanes.close();
    await nats.stop();
  });

  const arrived = async (count: () => number, n: number): Promise<void> => {
    // The lane's callbacks run as its connection reads: a flush round trip on it has seen them.
    for (let i = 0; i < 50 && count() < n; i++) await lanes.flush();
    assert.equal(count(), n);
  };

  void it('close() rejects a pending request and a pending gather with CLOSED, not DISCONNECTED or []', async () => {
    const bus = await connect({ servers: nats.url, prefix: 'silent', timeoutMs: 60_000 });
    const before = silentSeen;
    const request = assert.rejects(bus.api('status'), { code: ClientErrorCode.CLOSED });
    const gather = assert.rejects(bus.gather('status', { timeoutMs: 60_000 }), { code: ClientErrorCode.CLOSED });
    await arrived(() => silentSeen, before + 1);
    await bus.close();
    await request;
    await gather;
  });

  void it('a second close() while the first is under way resolves only once the client is closed', async () => {
    const bus = await connect({ servers: nats.url, prefix: 'silent' });
    let firstDone = false;
    const first = bus.close().then(() => (firstDone = true));
    await bus.close();
    assert.equal(firstDone, true);
    assert.equal(bus.driver.status, 'closed');
    await first;
  });

  void it('close() of a client over a driver it does not own: the request ends CLOSED, the driver stays', async () => {
    const driver = await createDriver('nats', { urls: [nats.url], name: 'mine' });
    await driver.connect();
    const bus = new FsbusClient(driver, buildSubjects('silent'), 60_000);
    const before = silentSeen;
    const request = assert.rejects(bus.api('status'), { code: ClientErrorCode.CLOSED });
    await arrived(() => silentSeen, before + 1);
    await bus.close();
    await request;
    assert.equal(driver.status, 'connected');
    await driver.close();
  });

  void it('close() ends a for-await over events(), on an owned and on a borrowed driver', async () => {
    for (const owned of [true, false]) {
      const driver = owned ? undefined : await createDriver('nats', { urls: [nats.url], name: 'borrowed' });
      if (driver !== undefined) await driver.connect();
      const bus = driver === undefined ? await connect({ servers: nats.url, prefix: 'ev' }) : new FsbusClient(driver, buildSubjects('ev'));
      const stream = bus.events('channel.>');
      await stream.ready;
      const seen: BusEvent[] = [];
      const loop = (async () => {
        for await (const e of stream) seen.push(e);
        return 'ended';
      })();
      lanes.publish('ev.events.channel.answer', event('CHANNEL_ANSWER'));
      await lanes.flush();
      await bus.close();
      assert.equal(await loop, 'ended', owned ? 'owned' : 'borrowed');
      assert.equal(stream.closed, true);
      if (driver !== undefined) {
        // Unsubscribed: nothing more reaches the closed stream through the driver that lives on.
        lanes.publish('ev.events.channel.hangup', event('CHANNEL_HANGUP'));
        await lanes.flush();
        await driver.flush();
        assert.equal(stream.received, seen.length);
        await driver.close();
      }
    }
  });

  void it("close() settles executeApp's pending completion with CLOSED (nothing holds the process for its 60 s)", async () => {
    const bus = await connect({ servers: nats.url, prefix: 'ok' });
    const { complete } = await bus.executeApp({ uuid: 'u-1', app: 'playback', args: 'x.wav', waitForComplete: true });
    const settled = assert.rejects(complete, { code: ClientErrorCode.CLOSED });
    await bus.close();
    await settled;
  });

  void it('overlapping patterns deliver each event once', async () => {
    const bus = await connect({ servers: nats.url, prefix: 'ov' });
    try {
      const stream = bus.events(['channel.>', 'CHANNEL_ANSWER', 'channel.*']);
      await stream.ready;
      lanes.publish('ov.events.channel.answer', event('CHANNEL_ANSWER'));
      lanes.publish('ov.events.channel.hangup.complete', event('CHANNEL_HANGUP_COMPLETE'));
      await lanes.flush();
      // Every copy the server sent is in once the client's own round trip is back.
      await bus.driver.flush();
      const names: string[] = [];
      while (stream.buffered > 0) names.push(((await stream.next()).value as BusEvent).name);
      assert.deepEqual(names, ['CHANNEL_ANSWER', 'CHANNEL_HANGUP_COMPLETE']);
      assert.equal(stream.received, 2);
      await stream.close();
    } finally {
      await bus.close();
    }
  });

  void it('a gather whose signal is already aborted sends nothing and rejects ABORTED', async () => {
    const bus = await connect({ servers: nats.url, prefix: 'silent' });
    try {
      const before = broadcasts;
      await assert.rejects(bus.gather('reloadxml', { signal: AbortSignal.abort() }), { code: ClientErrorCode.ABORTED });
      await assert.rejects(bus.driver.gather('silent.broadcast', enc('{}'), { signal: AbortSignal.abort() }), { code: 'FSBUS_ERR_TRANSPORT_ABORTED' });
      // A marker broadcast behind them: once it arrived, an aborted one would have too.
      void bus.gather('marker', { timeoutMs: 200 }).catch(() => undefined);
      await arrived(() => broadcasts, before + 1);
    } finally {
      await bus.close();
    }
  });

  void it('timeouts, counts, buffer sizes, commands and patterns that cannot work are refused with INVALID_ARGUMENT', async () => {
    const bus = await connect({ servers: nats.url, prefix: 'silent' });
    const invalid = { code: ClientErrorCode.INVALID_ARGUMENT };
    try {
      const before = silentSeen;
      for (const timeoutMs of [Number.NaN, 0, -1, Number.POSITIVE_INFINITY, 2 ** 31, '5' as unknown as number]) {
        await assert.rejects(bus.api('status', undefined, { timeoutMs }), invalid, String(timeoutMs));
        await assert.rejects(bus.gather('status', { timeoutMs }), invalid, String(timeoutMs));
        await assert.rejects(bus.executeApp({ uuid: 'u', app: 'playback', waitForComplete: true, completeTimeoutMs: timeoutMs }), invalid);
      }
      for (const expect of [0, 1.5, Number.NaN]) await assert.rejects(bus.gather('status', { expect }), invalid, String(expect));
      await assert.rejects(bus.gather(123 as unknown as string), invalid);
      for (const bufferSize of [Number.NaN, 0, -1, 2.5]) assert.throws(() => bus.events('channel.>', { bufferSize }), invalid, String(bufferSize));
      for (const pattern of ['channel..answer', '>.answer', 'channel.>.x', 'chan*nel', 'a.b.']) assert.throws(() => bus.events(pattern as EventPattern), invalid, pattern);
      await assert.rejects(connect({ servers: nats.url, timeoutMs: Number.NaN }), invalid);
      assert.equal(silentSeen, before, 'nothing was sent');
    } finally {
      await bus.close();
    }
  });
});
