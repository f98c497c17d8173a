/**
 * The driver conformance suite: one set of behaviours every driver must show on a real broker.
 * Each driver's test file calls `runConformance` with a way to start its broker; the broker is
 * started ONCE per file (RabbitMQ or Kafka take seconds) and every case uses subjects of its own.
 * Cases: publish/subscribe with wildcards, request/reply, competing consumers (3 servers, each
 * request executed once), direct lane, broadcast/gather, async (fire-and-forget) lane, hand-off
 * and forward_to, payload cap, typed request errors, durable streams (where the driver has them),
 * one pattern subscribed twice and `>` semantics, credentials kept out of errors and logs, one
 * driver's own outage through a TCP relay (./outage.ts), and the broker faults of ./faults.ts
 * (restart mid-stream, bounded buffer while away).
 */
import { after, before, describe, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { TransportError, TransportErrorCode, type Driver, type DriverEvent, type DriverOptions, type InboundMessage, type ServeRequest } from '@fsbus/transport';
import { runFaultCases } from './faults.js';
import { runOutageCases } from './outage.js';
import { Collector, dec, enc } from './helpers.js';

export interface BrokerUnderTest {
  url: string;
  halt(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  /**
   * Brokerless drivers (ZeroMQ): the URL list of a case's `index`-th driver out of `count` (its
   * own endpoint and its peers'), instead of `[url]` for all. halt/start then take the serving
   * sides' endpoints away and bring them back on the same addresses.
   */
  urlsFor?(index: number, count: number): Promise<string[]>;
}

export interface ConformanceTarget {
  driver: string;
  startBroker(): Promise<BrokerUnderTest>;
  create(options: DriverOptions): Promise<Driver>;
  /**
   * False for brokers that cannot tell a requester nobody listens (the request then times out).
   * @default true
   */
  detectsNoResponders?: boolean;
  /**
   * False for drivers that cannot be cut off alone through a TCP relay (Kafka hands out its
   * brokers' own addresses; ZeroMQ has no broker): the cases of ./outage.ts are then left out.
   * @default true
   */
  relay?: boolean;
  /**
   * False for drivers whose subscriptions cannot carry headers (Redis Pub/Sub: the payload only).
   * @default true
   */
  subscribeHeaders?: boolean;
}

/** Per-case context: the shared broker and a way to get connected drivers (closed after the case). */
export interface CaseContext {
  broker: BrokerUnderTest;
  target: ConformanceTarget;
  /** A fresh subject root for this case (`c7`), so cases never see each other's traffic. */
  root: string;
  drivers: (n: number, extra?: Partial<DriverOptions>) => Promise<Driver[]>;
}

export function runConformance(target: ConformanceTarget): void {
  void describe(`${target.driver} conformance`, () => {
    let broker: BrokerUnderTest | undefined;
    let seq = 0;
    // Bounded, so a broker that never gets ready fails this hook by name instead of the whole file.
    before(
      async () => {
        broker = await target.startBroker();
      },
      { timeout: 120_000 },
    );
    after(async () => {
      await broker?.stop();
    });

    const run = (name: string, fn: (ctx: CaseContext) => Promise<void>) =>
      void test(`${target.driver}: ${name}`, async () => {
        const opened: Driver[] = [];
        const ctx: CaseContext = {
          broker: broker!,
          target,
          root: `c${++seq}`,
          drivers: async (n, extra = {}) => {
            const out: Driver[] = [];
            const first = opened.length;
            for (let i = 0; i < n; i++) {
              const urls = broker!.urlsFor === undefined ? [broker!.url] : await broker!.urlsFor(first + i, first + n);
              const d = await target.create({ urls, name: `conformance-${seq}-${i}`, ...extra });
              opened.push(d);
              await d.connect();
              out.push(d);
            }
            return out;
          },
        };
        try {
          await fn(ctx);
        } finally {
          for (const d of opened) await d.close();
        }
      });

    run('publish reaches wildcard subscribers, in order', async ({ drivers, root }) => {
      const [pub, sub] = await drivers(2);
      const all = new Collector<InboundMessage>();
      const one = new Collector<InboundMessage>();
      const s1 = sub!.subscribe(`${root}.events.>`, all.push);
      const s2 = sub!.subscribe(`${root}.events.*.x`, one.push);
      await sub!.flush();
      for (let i = 0; i < 20; i++) assert.equal(pub!.publish(`${root}.events.e${i % 3}`, enc(String(i))), 'sent');
      const items = await all.until(20);
      assert.deepEqual(items.map((m) => dec(m.data)), Array.from({ length: 20 }, (_, i) => String(i)));
      assert.equal(items[1]!.subject, `${root}.events.e1`);
      // `*` is exactly one token: a.x matches, a.b.x does not.
      pub!.publish(`${root}.events.a.b.x`, enc('deep'));
      pub!.publish(`${root}.events.a.x`, enc('one'));
      assert.deepEqual((await one.until(1)).map((m) => [m.subject, dec(m.data)]), [[`${root}.events.a.x`, 'one']]);
      await all.until(22);
      // What can never be sent is dropped and counted, and does not block what follows.
      const dropped = pub!.stats().dropped;
      assert.equal(pub!.publish(`${root}.events.bad subject`, enc('x')), 'dropped');
      assert.equal(pub!.stats().dropped, dropped + 1);
      assert.equal(pub!.publish(`${root}.events.after`, enc('20')), 'sent');
      assert.equal(dec((await all.until(23))[22]!.data), '20');
      assert.equal(one.items.length, 1);
      await s1.unsubscribe();
      await s2.unsubscribe();
    });

    run('a pattern led by a wildcard (`*.<root>.lead`) is matched like any other (Kafka: refused, typed); subscribe() carries headers', async ({ drivers, root, target: t }) => {
      const [pub, sub] = await drivers(2);
      const lead = new Collector<InboundMessage>();
      if (t.driver === 'kafka') {
        // A topic per root: a leading wildcard would read every topic (docs/drivers/kafka.md).
        assert.throws(() => sub!.subscribe(`*.${root}.lead`, lead.push), (e: unknown) => e instanceof TransportError && e.code === TransportErrorCode.UNSUPPORTED);
      } else {
        const s = sub!.subscribe(`*.${root}.lead`, lead.push);
        await sub!.flush();
        pub!.publish(`x.${root}.other`, enc('no'));
        pub!.publish(`x.${root}.lead`, enc('yes'));
        assert.deepEqual((await lead.until(1)).map((m) => [m.subject, dec(m.data)]), [[`x.${root}.lead`, 'yes']]);
        await s.unsubscribe();
      }
      if (t.subscribeHeaders === false) return;
      const withHeaders = new Collector<InboundMessage>();
      const s = sub!.subscribe(`${root}.h`, withHeaders.push);
      await sub!.flush();
      pub!.publish(`${root}.h`, enc('h'), { headers: { 'x-trace': 't-1' } });
      const [m] = await withHeaders.until(1);
      assert.equal(m!.headers?.['x-trace'], 't-1');
      await s.unsubscribe();
    });

    run('close() rejects a pending request with CLOSED at once, not at its timeout', async ({ drivers, root }) => {
      const [server, client] = await drivers(2);
      let arrived!: () => void;
      const seen = new Promise<void>((resolve) => (arrived = resolve));
      const lane = server!.serve({ subject: `${root}.silent`, competing: true }, () => {
        arrived();
        return undefined; // never answered
      });
      await server!.flush();
      const pending = client!.request(`${root}.silent`, enc('?'), { timeoutMs: 60_000 });
      const outcome = pending.then(
        () => 'resolved',
        (e: unknown) => (e instanceof TransportError ? e.code : String(e)),
      );
      await seen;
      await client!.close();
      assert.equal(await outcome, TransportErrorCode.CLOSED);
      await lane.unsubscribe();
    });

    run('request/reply over a competing lane of 3 servers: each request executed once', async ({ drivers, root }) => {
      const [a, b, c, client] = await drivers(4);
      const seen: string[] = [];
      const perServer = [0, 0, 0];
      for (const [i, d] of [a!, b!, c!].entries()) {
        d.serve({ subject: `${root}.api`, competing: true }, (req) => {
          seen.push(dec(req.data));
          perServer[i]!++;
          assert.equal(req.expectsReply, true);
          return enc(`ok:${dec(req.data)}`);
        });
        await d.flush();
      }
      const replies = await Promise.all(Array.from({ length: 60 }, (_, i) => client!.request(`${root}.api`, enc(String(i)), { timeoutMs: 10_000 })));
      assert.deepEqual(replies.map((r) => dec(r.data)), Array.from({ length: 60 }, (_, i) => `ok:${i}`));
      assert.equal(seen.length, 60);
      assert.equal(new Set(seen).size, 60);
      assert.equal(perServer.reduce((x, y) => x + y, 0), 60);
    });

    run('direct lanes reach the named server only', async ({ drivers, root }) => {
      const [n1, n2, client] = await drivers(3);
      const got: string[] = [];
      for (const [id, d] of [['n1', n1!], ['n2', n2!]] as const) {
        d.serve({ subject: `${root}.node.${id}`, competing: false }, (req) => {
          got.push(`${id}:${dec(req.data)}`);
          return enc(id);
        });
        await d.flush();
      }
      for (let i = 0; i < 5; i++) assert.equal(dec((await client!.request(`${root}.node.n2`, enc(String(i)), { timeoutMs: 5000 })).data), 'n2');
      assert.equal(dec((await client!.request(`${root}.node.n1`, enc('x'), { timeoutMs: 5000 })).data), 'n1');
      assert.deepEqual(got, ['n2:0', 'n2:1', 'n2:2', 'n2:3', 'n2:4', 'n1:x']);
    });

    run('broadcast: gather collects one reply per server', async ({ drivers, root }) => {
      const [a, b, c, client] = await drivers(4);
      for (const [i, d] of [a!, b!, c!].entries()) {
        d.serve({ subject: `${root}.broadcast`, competing: false }, () => enc(`n${i}`));
        await d.flush();
      }
      const replies = await client!.gather(`${root}.broadcast`, enc('?'), { timeoutMs: 10_000, expect: 3 });
      assert.deepEqual(replies.map((r) => dec(r.data)).sort(), ['n0', 'n1', 'n2']);
    });

    run('broadcast: doneWhen ends a gather when it says so (the SDK\'s expect list)', async ({ drivers, root }) => {
      const [a, b, c, client] = await drivers(4);
      for (const [i, d] of [a!, b!, c!].entries()) {
        d.serve({ subject: `${root}.broadcast`, competing: false }, () => enc(`n${i}`));
        await d.flush();
      }
      // Done at the first reply: a driver that ignored doneWhen would gather all three until the timeout.
      const replies = await client!.gather(`${root}.broadcast`, enc('?'), { timeoutMs: 5000, doneWhen: () => true });
      assert.equal(replies.length, 1, replies.map((r) => dec(r.data)).join());
    });

    run('async lane: fire-and-forget over a wildcard competing lane, each command once', async ({ drivers, root }) => {
      const [a, b, c, client] = await drivers(4);
      const done = new Collector<string>();
      for (const d of [a!, b!, c!]) {
        d.serve({ subject: `${root}.cmd.async.>`, competing: true, group: `${root}.cmd.async` }, (req) => {
          assert.equal(req.expectsReply, false);
          done.push(`${req.subject}=${dec(req.data)}`);
          return undefined;
        });
        await d.flush();
      }
      for (let i = 0; i < 30; i++) assert.equal(client!.publish(`${root}.cmd.async.job${i % 2 === 0 ? '' : '.sub'}`, enc(String(i))), 'sent');
      const items = await done.until(30);
      assert.equal(new Set(items).size, 30);
      assert.ok(items.includes(`${root}.cmd.async.job.sub=1`));
      assert.ok(items.includes(`${root}.cmd.async.job=0`));
    });

    run('hand-off keeps the reply address; forward_to copies reach a subscriber', async ({ drivers, root }) => {
      const [front, back, client] = await drivers(3);
      front!.serve({ subject: `${root}.api`, competing: true }, (req) => {
        req.forward(`${root}.node.n2`);
        return undefined;
      });
      back!.serve({ subject: `${root}.node.n2`, competing: false }, (req: ServeRequest) => {
        const out = enc(`n2 got ${dec(req.data)}`);
        back!.publish(`${root}.results.audit`, out); // what forward_to does with the reply
        return out;
      });
      await front!.flush();
      await back!.flush();
      const copies = new Collector<string>();
      client!.subscribe(`${root}.results.*`, (m) => copies.push(dec(m.data)));
      await client!.flush();
      const r = await client!.request(`${root}.api`, enc('x'), { timeoutMs: 5000 });
      assert.equal(dec(r.data), 'n2 got x');
      assert.deepEqual(await copies.until(1), ['n2 got x']);
    });

    run('payload cap: large payloads cross intact (the agent, not the broker, enforces 64 KiB)', async ({ drivers, root }) => {
      const [server, client] = await drivers(2);
      server!.serve({ subject: `${root}.api`, competing: true }, (req) => Uint8Array.from(req.data).reverse());
      await server!.flush();
      for (const size of [65_536, 65_537, 256 * 1024]) {
        const body = Uint8Array.from({ length: size }, (_, i) => (i * 31) % 251);
        const r = await client!.request(`${root}.api`, body, { timeoutMs: 10_000 });
        assert.equal(r.data.byteLength, size);
        assert.deepEqual(Uint8Array.from(r.data), Uint8Array.from(body).reverse());
      }
    });

    run('request errors are typed (no responders, timeout, abort)', async ({ drivers, root, target: t }) => {
      const [server, client] = await drivers(2);
      if (t.detectsNoResponders !== false) {
        await assert.rejects(client!.request(`${root}.nobody`, enc('x'), { timeoutMs: 5000 }), { code: TransportErrorCode.NO_RESPONDERS });
        assert.deepEqual(await client!.gather(`${root}.nobody`, enc('x'), { timeoutMs: 5000 }), []);
      }
      server!.serve({ subject: `${root}.silent`, competing: true }, () => undefined);
      await server!.flush();
      await assert.rejects(client!.request(`${root}.silent`, enc('x'), { timeoutMs: 200 }), { code: TransportErrorCode.TIMEOUT });
      const ac = new AbortController();
      const p = client!.request(`${root}.silent`, enc('x'), { timeoutMs: 5000, signal: ac.signal });
      ac.abort();
      await assert.rejects(p, { code: TransportErrorCode.ABORTED });
    });

    run('durable streams replay what a consumer missed (or are refused, typed)', async ({ drivers, root }) => {
      const [pub, consumer] = await drivers(2);
      const stream = `${root.toUpperCase()}_EVENTS`;
      if (!pub!.capabilities.durableStreams) {
        await assert.rejects(pub!.ensureStream({ name: stream, subjects: [`${root}.events.>`] }), { code: TransportErrorCode.UNSUPPORTED });
        return;
      }
      await pub!.ensureStream({ name: stream, subjects: [`${root}.events.>`], maxAgeMs: 60_000 });
      for (let i = 0; i < 10; i++) pub!.publish(`${root}.events.x`, enc(String(i)));
      await pub!.flush();
      const got = new Collector<string>();
      const sub = await consumer!.consumeDurable({ stream, durable: 'replayer', from: 'all' }, (m) => {
        got.push(dec(m.data));
        m.ack();
      });
      assert.deepEqual(await got.until(10), Array.from({ length: 10 }, (_, i) => String(i)));
      await sub.unsubscribe();
      const fromSeq = new Collector<number>();
      const sub2 = await consumer!.consumeDurable({ stream, from: { sequence: 8 } }, (m) => fromSeq.push(m.sequence));
      assert.deepEqual(await fromSeq.until(3), [8, 9, 10]);
      await sub2.unsubscribe();
    });

    run('a durable stream handler that throws: the stream goes on, and so does everything else on that connection', async ({ drivers, root }) => {
      const [pub, consumer] = await drivers(2);
      if (!pub!.capabilities.durableStreams) return;
      const stream = `${root.toUpperCase()}_THROWS`;
      await pub!.ensureStream({ name: stream, subjects: [`${root}.thrown.>`], maxAgeMs: 60_000 });
      const seen = new Collector<string>();
      const sub = await consumer!.consumeDurable({ stream, from: 'all' }, (m) => {
        seen.push(dec(m.data));
        throw new Error('a handler bug');
      });
      const live = new Collector<string>();
      const plain = consumer!.subscribe(`${root}.live`, (m) => live.push(dec(m.data)));
      await consumer!.flush();
      for (let i = 0; i < 3; i++) pub!.publish(`${root}.thrown.x`, enc(String(i)));
      await pub!.flush();
      // Each record reached the handler (in order: nothing was redelivered in between)...
      assert.deepEqual((await seen.until(3)).slice(0, 3), ['0', '1', '2']);
      // ...and the connection still receives (on NATS a throw there ended its socket reader).
      pub!.publish(`${root}.live`, enc('still'));
      assert.deepEqual(await live.until(1), ['still']);
      await plain.unsubscribe();
      await sub.unsubscribe();
    });

    run('one pattern subscribed twice: both receive, and one left after the other unsubscribed; `>` needs a token', async ({ drivers, root }) => {
      const [pub, sub] = await drivers(2);
      const first = new Collector<string>();
      const second = new Collector<string>();
      const deep = new Collector<string>();
      const s1 = sub!.subscribe(`${root}.same`, (m) => first.push(dec(m.data)));
      const s2 = sub!.subscribe(`${root}.same`, (m) => second.push(dec(m.data)));
      const s3 = sub!.subscribe(`${root}.w.>`, (m) => deep.push(m.subject));
      await sub!.flush();
      pub!.publish(`${root}.same`, enc('a'));
      // `>` is one or more tokens (NATS): `w.>` never matches `w` itself.
      for (const s of [`${root}.w`, `${root}.w.child`, `${root}.w.end`]) pub!.publish(s, enc('x'));
      assert.deepEqual(await first.until(1), ['a']);
      assert.deepEqual(await second.until(1), ['a']);
      assert.deepEqual(await deep.until(2), [`${root}.w.child`, `${root}.w.end`]);
      await s2.unsubscribe();
      pub!.publish(`${root}.same`, enc('b'));
      assert.deepEqual(await first.until(2), ['a', 'b']);
      assert.deepEqual(second.items, ['a']);
      await s1.unsubscribe();
      await s3.unsubscribe();
    });

    run('credentials in a URL never reach an error message, a log line or a status event', async ({ broker, target: t }) => {
      if (broker.urlsFor !== undefined) return; // brokerless (ZeroMQ): its URLs carry no credentials
      const seen: string[] = [];
      const line = (obj: object, msg?: string) => seen.push(`${msg ?? ''} ${JSON.stringify(obj, (_k, v: unknown) => (v instanceof Error ? v.message : v))}`);
      const logger = { debug: line, info: line, warn: line, error: line };
      const onEvent = (e: DriverEvent) => seen.push(e.type === 'status' ? `status ${e.status} ${e.server ?? ''}` : `error ${e.error.message}`);
      const withSecret = (raw: string, port?: string): { url: string; secret: string } => {
        const u = new URL(raw);
        if (port !== undefined) u.port = port;
        if (u.password === '') {
          u.username = 'alice';
          u.password = 'S3cretPw';
        }
        return { url: u.toString(), secret: decodeURIComponent(u.password) };
      };
      // A dead port (connect() fails), then the live broker (connects, or refuses the user).
      for (const { url, secret } of [withSecret(broker.url, '1'), withSecret(broker.url)]) {
        const d = await t.create({ urls: [url], connectTimeoutMs: 2000, logger });
        const off = d.on(onEvent);
        const err = await d.connect().then(
          () => undefined,
          (e: unknown) => e,
        );
        if (err !== undefined) {
          assert.ok(err instanceof TransportError, `untyped failure: ${(err as Error).message}`);
          assert.equal(err.code, TransportErrorCode.CONNECT);
          seen.push(err.message);
          assert.ok(err.message.includes('***@'), err.message);
        }
        await d.close();
        off();
        for (const s of seen) assert.ok(!s.includes(secret), `the password leaked: ${s}`);
      }
    });

    if (target.relay !== false) runOutageCases(run);
    runFaultCases(run);
  });
}
