// Redis: a stream reader stopped while its connection is away. ioredis settles nothing after a
// disconnect() that comes while it dials again (no 'ready', no 'end', and the blocking read sent
// before the loss stays held), so unsubscribe() and close() must not wait on the reader's loop to
// notice. The reader's connection is killed (CLIENT KILL) after its user was disabled: the
// connections already open go on, the reader cannot log in again and keeps dialling.
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { startRedis, type BrokerHandle } from '@fsbus/testkit';
import { createDriver, type Driver } from '@fsbus/transport';
import { enc, within } from './conformance/helpers.js';

let broker: BrokerHandle;
let admin: Redis;
let n = 0;

before(async () => {
  broker = await startRedis();
  admin = new Redis(broker.url);
});
after(async () => {
  await admin.quit();
  await broker.stop();
});

/** A driver connected as a user of its own (ACL), with stream EV ensured and one entry in it. */
async function driverAs(user: string): Promise<Driver> {
  await admin.call('ACL', 'SETUSER', user, 'on', '>pw', '~*', '&*', '+@all');
  const d = await createDriver('redis', { urls: [broker.url], auth: { user, password: 'pw' }, namespace: user });
  await d.connect();
  await d.ensureStream({ name: 'EV', subjects: ['ev.>'] });
  d.publish('ev.a', enc('1'));
  await d.flush();
  return d;
}

/** The id of `user`'s connection blocked in `cmd` (the reader gets there on its own: polled, bounded). */
async function blockedIn(user: string, cmd: string): Promise<string> {
  for (let i = 0; i < 100_000; i++) {
    const list = (await admin.call('CLIENT', 'LIST')) as string;
    const line = list.split('\n').find((l) => l.includes(` user=${user} `) && l.includes(` cmd=${cmd} `) && / flags=\S*b/.test(l));
    const id = line === undefined ? undefined : /^id=(\d+)/.exec(line)?.[1];
    if (id !== undefined) return id;
  }
  throw new Error(`no connection of ${user} blocked in ${cmd}`);
}

/** Kills the reader's connection and returns once it failed to log in again: it is dialling, for good. */
async function knockOut(user: string, cmd: string): Promise<void> {
  const id = await blockedIn(user, cmd);
  await admin.call('ACL', 'SETUSER', user, 'off');
  await admin.call('CLIENT', 'KILL', 'ID', id);
  for (let i = 0; i < 100_000; i++) {
    const log = (await admin.call('ACL', 'LOG')) as unknown[][];
    if (log.some((entry) => entry.includes('auth') && entry.includes(user))) return;
  }
  throw new Error(`${user} never tried to log in again`);
}

void test('redis: unsubscribe() of a replay settles while its connection is dialling again', { timeout: 60_000 }, async (t) => {
  const user = `replay${++n}`;
  const d = await driverAs(user);
  t.after(() => within(d.close(), 10_000, 'close() never settled'));
  const sub = await d.consumeDurable({ stream: 'EV', from: 'all' }, () => undefined);
  await knockOut(user, 'xread');
  await within(sub.unsubscribe(), 10_000, 'unsubscribe() of a replay never settled');
});

void test('redis: unsubscribe() of a durable consumer settles while its connection is dialling again', { timeout: 60_000 }, async (t) => {
  const user = `durable${++n}`;
  const d = await driverAs(user);
  t.after(() => within(d.close(), 10_000, 'close() never settled'));
  const sub = await d.consumeDurable({ stream: 'EV', from: 'all', durable: 'billing' }, (m) => m.ack());
  await knockOut(user, 'xreadgroup');
  await within(sub.unsubscribe(), 10_000, 'unsubscribe() of a durable consumer never settled');
});

void test('redis: close() settles while a stream reader\'s connection is dialling again', { timeout: 60_000 }, async () => {
  const user = `close${++n}`;
  const d = await driverAs(user);
  await d.consumeDurable({ stream: 'EV', from: 'all', durable: 'billing' }, (m) => m.ack());
  await d.consumeDurable({ stream: 'EV', from: 'all' }, () => undefined);
  await knockOut(user, 'xreadgroup');
  await within(d.close(), 10_000, 'close() with a reader dialling again never settled');
});
