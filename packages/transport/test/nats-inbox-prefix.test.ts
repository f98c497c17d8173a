/**
 * `inboxPrefix`: a NATS user whose permissions allow replies only under its own namespace
 * (`_INBOX_u.>`, as nats-server's docs advise per user) makes requests, gathers and JetStream calls
 * (nats.js's own requests) through the driver; a prefix that is no subject prefix is refused when
 * the driver is made. Real nats-server, users from its config file.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { processTempDir, spawnUntil, stopChild } from '@fsbus/testkit';
import { createDriver, TransportErrorCode, type Driver } from '@fsbus/transport';
import { connect, type NatsConnection } from '@nats-io/transport-node';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

/** `p`, or a failure naming `what` if it has not settled within `ms` (a delivery refused by the server never comes). */
async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_r, reject) => (timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms)));
  try {
    return await Promise.race([p, bound]);
  } finally {
    clearTimeout(timer);
  }
}

void test('nats inboxPrefix: replies, gathers and JetStream calls under a user\'s own inbox namespace', async () => {
  const dir = processTempDir('fsbus-nats-inbox-');
  const conf = join(dir.dir, 'nats.conf');
  writeFileSync(
    conf,
    `jetstream { store_dir: ${JSON.stringify(join(dir.dir, 'js'))} }\n` +
      'authorization { users = [\n' +
      '  { user: admin, password: apw }\n' +
      '  { user: u, password: upw, permissions: { publish: ["lane.>", "$JS.API.>", "$JS.ACK.>"], subscribe: ["_INBOX_u.>"] } }\n' +
      '] }\n',
  );
  const nats = await spawnUntil('nats-server', ['-a', '127.0.0.1', '-p', '-1', '-c', conf], /Listening for client connections on [^\s]*:(\d+)[\s\S]*Server is ready/, 20_000);
  nats.child.stdout?.resume();
  nats.child.stderr?.resume();
  const url = `nats://127.0.0.1:${nats.match[1]}`;
  let admin: NatsConnection | undefined;
  let driver: Driver | undefined;
  try {
    admin = await connect({ servers: url, user: 'admin', pass: 'apw' });
    const seen: string[] = [];
    for (const who of ['one', 'two']) {
      admin.subscribe('lane.echo', {
        callback: (_e, m) => {
          seen.push(m.reply ?? '');
          m.respond(enc(`${who}:${dec(m.data)}`));
        },
      });
    }
    await admin.flush();
    driver = await createDriver('nats', { urls: [url], auth: { user: 'u', password: 'upw' }, inboxPrefix: '_INBOX_u' });
    await driver.connect();
    assert.match(dec((await driver.request('lane.echo', enc('hi'), { timeoutMs: 10_000 })).data), /^(one|two):hi$/);
    const all = await driver.gather('lane.echo', enc('all'), { timeoutMs: 10_000, expect: 2 });
    assert.deepEqual(all.map((m) => dec(m.data)).sort(), ['one:all', 'two:all']);
    assert.ok(seen.length > 0 && seen.every((s) => s.startsWith('_INBOX_u.')), `reply subjects under the prefix: ${seen.join(', ')}`);
    // nats.js's own requests (JetStream's API) answer under the prefix too, and so do the
    // deliveries of an ordered replay and of a durable consumer.
    await driver.ensureStream({ name: 'INBOX_TEST', subjects: ['lane.stored.>'], storage: 'memory' });
    await admin.request('lane.stored.one', enc('stored'), { timeout: 10_000 });
    for (const durable of [undefined, 'inbox-durable']) {
      let received!: (text: string) => void;
      const first = new Promise<string>((resolve) => (received = resolve));
      const sub = await driver.consumeDurable({ stream: 'INBOX_TEST', from: 'all', ...(durable === undefined ? {} : { durable }) }, (m) => {
        m.ack();
        received(dec(m.data));
      });
      try {
        assert.equal(await within(first, 15_000, `delivery to ${durable ?? 'the ordered replay'}`), 'stored');
      } finally {
        await sub.unsubscribe();
      }
    }
  } finally {
    await driver?.close();
    await admin?.close();
    await stopChild(nats.child);
    dir.remove();
  }
});

void test('nats inboxPrefix: one that is no subject prefix of plain tokens is refused when the driver is made', async () => {
  for (const bad of ['_INBOX.*', 'a..b', 'has space', '$SYS', '_INBOX.>', 'x'.repeat(65)]) {
    await assert.rejects(createDriver('nats', { urls: ['nats://127.0.0.1:1'], inboxPrefix: bad }), { code: TransportErrorCode.INVALID_OPTION }, JSON.stringify(bad));
  }
});
