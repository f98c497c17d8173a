// An inbound client bound to one channel with `myevents <uuid>`: when that channel hangs up,
// FreeSWITCH (listener_run, no linger) sends its goodbye notice and closes the socket. The
// channel is gone, so the client ends ('closed', closeReason 'channel-hangup') instead of
// reconnecting to a `myevents` that would be refused. With linger, the linger notice comes first
// and the connection stays until FreeSWITCH's goodbye (or the app's exit).
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { Simulator } from '@fsbus/sim';
import { EslClient, EslClosedError, type EslClientStatus, type EslEvent } from '../src/index.js';
import type { DisconnectNoticeFrame } from '../src/frame.js';
import { bounded, eventWhere } from './support/scripted-peer.js';
import { originated } from './support/sim-inbound.js';

const FAST = { initialDelayMs: 1, maxDelayMs: 20, jitter: 0 };

/** A simulator, a control client, and a client bound to a parked call with `myevents <uuid>`. */
async function withBound(fn: (bound: EslClient, ctl: EslClient, uuid: string, sim: Simulator) => Promise<void>): Promise<void> {
  const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0 });
  const { port } = await sim.start();
  const ctl = new EslClient({ port, reconnect: false });
  const bound = new EslClient({ port, reconnect: FAST });
  try {
    await ctl.connect();
    await bound.connect();
    const uuid = originated(await ctl.api('originate loopback/7001 &park()'));
    assert.equal((await bound.myevents(uuid)).replyText, '+OK Events Enabled');
    await fn(bound, ctl, uuid, sim);
  } finally {
    await bound.close();
    await ctl.close();
    await sim.stop();
  }
}

void test('sim: myevents <uuid>, the channel hangs up: the goodbye ends the client (closed, channel-hangup), no reconnect, no error; pending requests reject EslClosedError', async () => {
  await withBound(async (bound, ctl, uuid) => {
    const statuses: EslClientStatus[] = [];
    bound.on('status', (s) => void statuses.push(s));
    const errors: Error[] = [];
    bound.on('error', (err) => void errors.push(err));
    const names: string[] = [];
    bound.on('event', (e) => void names.push(e.name));
    const it = bound.iterate();
    // Waits for a BACKGROUND_JOB that comes long after the call is over.
    const pending = bound.bgapi('msleep 600000');
    pending.catch(() => undefined);
    const closed = eventWhere<EslClientStatus>(bound, 'status', (s) => s === 'closed');
    await ctl.api(`uuid_kill ${uuid}`);
    await bounded(closed, 'the client closed');
    await assert.rejects(pending, EslClosedError);
    assert.equal(bound.status, 'closed');
    assert.equal(bound.closeReason, 'channel-hangup');
    assert.deepEqual(statuses, ['closed']);
    assert.equal(bound.stats.reconnects, 0);
    assert.deepEqual(errors, []);
    assert.ok(names.includes('CHANNEL_HANGUP_COMPLETE'), `the events up to the hangup were delivered: ${names.join(' ')}`);
    // Iterators end as on close().
    for (;;) {
      const r = await bounded(it.next(), 'the iterator');
      if (r.done === true) break;
    }
    await assert.rejects(bound.api('status'), EslClosedError);
    // connect() again is the app's choice: a fresh connection, the reason cleared.
    await bound.connect();
    assert.equal(bound.closeReason, undefined);
  });
});

void test('sim: myevents <uuid> + linger: the linger notice keeps the client ready, events and replies still come; exit then ends it (closeReason exit)', async () => {
  await withBound(async (bound, ctl, uuid) => {
    assert.equal((await bound.linger()).replyText, '+OK will linger');
    const statuses: EslClientStatus[] = [];
    bound.on('status', (s) => void statuses.push(s));
    const notice = eventWhere<DisconnectNoticeFrame>(bound, 'disconnect-notice', (f) => f.linger);
    const complete = eventWhere<EslEvent>(bound, 'CHANNEL_HANGUP_COMPLETE', (e) => e.uuid === uuid);
    await ctl.api(`uuid_kill ${uuid}`);
    await bounded(complete, 'CHANNEL_HANGUP_COMPLETE');
    await bounded(notice, 'the linger notice');
    assert.equal(bound.status, 'ready');
    assert.match(await bounded(bound.api('status'), 'api while lingering'), /^UP /);
    assert.equal((await bound.exit()).replyText, '+OK bye');
    await bounded(eventWhere<EslClientStatus>(bound, 'status', (s) => s === 'closed'), 'closed after exit');
    assert.equal(bound.closeReason, 'exit');
    assert.deepEqual(statuses, ['closed']);
    assert.equal(bound.stats.reconnects, 0);
  });
});

void test('sim: myevents <uuid> + linger 0: after the linger notice FreeSWITCH says goodbye; the client ends (channel-hangup) without reconnecting', async () => {
  await withBound(async (bound, ctl, uuid) => {
    assert.equal((await bound.linger(0)).replyText, '+OK will linger 0 seconds');
    const errors: Error[] = [];
    bound.on('error', (err) => void errors.push(err));
    const notices: boolean[] = [];
    bound.on('disconnect-notice', (f) => void notices.push(f.linger));
    const names: string[] = [];
    bound.on('event', (e) => void names.push(e.name));
    const closed = eventWhere<EslClientStatus>(bound, 'status', (s) => s === 'closed');
    await ctl.api(`uuid_kill ${uuid}`);
    await bounded(closed, 'the client closed');
    assert.deepEqual(notices, [true, false], 'the linger notice, then the goodbye');
    assert.equal(bound.closeReason, 'channel-hangup');
    assert.equal(bound.stats.reconnects, 0);
    assert.deepEqual(errors, []);
    assert.ok(names.includes('CHANNEL_HANGUP_COMPLETE'));
  });
});

void test('sim: myevents <uuid>, the socket lost without a goodbye (the channel may be up): the client reconnects and re-applies myevents; close() says close', async () => {
  let client: EslClient | undefined;
  await withBound(async (bound, _ctl, uuid, sim) => {
    client = bound;
    const errors: Error[] = [];
    bound.on('error', (err) => void errors.push(err));
    const back = eventWhere<EslClientStatus>(bound, 'status', (s) => s === 'ready');
    // The simulator cuts every socket, no notice.
    assert.ok(sim.control.dropConnections() >= 2);
    await bounded(back, 'the reconnect');
    assert.equal(bound.stats.reconnects, 1);
    assert.equal(bound.closeReason, undefined);
    assert.deepEqual(errors, []);
    assert.equal((await bound.myevents(uuid)).replyText, '+OK Events Enabled');
  });
  assert.equal(client?.closeReason, 'close');
});
