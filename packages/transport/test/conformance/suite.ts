/**
 * The driver conformance suite: one set of behaviours every driver must show on a real broker.
 * Each driver's test file calls `runConformance` with a way to start its broker.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { TransportErrorCode, type Driver, type DriverOptions, type InboundMessage } from '@fsbus/transport';
import { Collector, dec, enc, waitStatus } from './helpers.js';

export interface BrokerUnderTest {
  url: string;
  halt(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface ConformanceTarget {
  driver: string;
  startBroker(): Promise<BrokerUnderTest>;
  create(options: DriverOptions): Promise<Driver>;
}

export function runConformance(target: ConformanceTarget): void {
  const withDrivers = async (n: number, fn: (drivers: Driver[], broker: BrokerUnderTest) => Promise<void>, extra: Partial<DriverOptions> = {}) => {
    const broker = await target.startBroker();
    const drivers: Driver[] = [];
    try {
      for (let i = 0; i < n; i++) {
        const d = await target.create({ urls: [broker.url], name: `conformance-${i}`, ...extra });
        await d.connect();
        drivers.push(d);
      }
      await fn(drivers, broker);
    } finally {
      for (const d of drivers) await d.close();
      await broker.stop();
    }
  };

  void test(`${target.driver}: publish reaches wildcard subscribers, in order`, () =>
    withDrivers(2, async ([pub, sub]) => {
      const got = new Collector<InboundMessage>();
      const s = sub!.subscribe('t.events.>', got.push);
      await sub!.flush();
      for (let i = 0; i < 20; i++) assert.equal(pub!.publish(`t.events.e${i % 3}`, enc(String(i))), 'sent');
      const items = await got.until(20);
      assert.deepEqual(items.map((m) => dec(m.data)), Array.from({ length: 20 }, (_, i) => String(i)));
      assert.equal(items[1]!.subject, 't.events.e1');
      // What can never be sent is dropped and counted, and does not block what follows.
      const dropped = pub!.stats().dropped;
      assert.equal(pub!.publish('t.events.bad subject', enc('x')), 'dropped');
      assert.equal(pub!.stats().dropped, dropped + 1);
      assert.equal(pub!.publish('t.events.after', enc('20')), 'sent');
      assert.equal(dec((await got.until(21))[20]!.data), '20');
      await s.unsubscribe();
    }));

  void test(`${target.driver}: a competing lane runs each request once; replies come back`, () =>
    withDrivers(3, async ([a, b, client]) => {
      const seen: string[] = [];
      for (const d of [a!, b!]) {
        d.serve({ subject: 't.api', competing: true }, (req) => {
          seen.push(dec(req.data));
          return enc(`ok:${dec(req.data)}`);
        });
        await d.flush();
      }
      const replies = await Promise.all(Array.from({ length: 30 }, (_, i) => client!.request('t.api', enc(String(i)), { timeoutMs: 5000 })));
      assert.deepEqual(replies.map((r) => dec(r.data)), Array.from({ length: 30 }, (_, i) => `ok:${i}`));
      assert.equal(seen.length, 30);
      assert.equal(new Set(seen).size, 30);
    }));

  void test(`${target.driver}: forward hands a request to another lane with the same reply address`, () =>
    withDrivers(3, async ([front, back, client]) => {
      front!.serve({ subject: 't.api', competing: true }, (req) => {
        req.forward('t.node.n2');
        return undefined;
      });
      back!.serve({ subject: 't.node.n2', competing: false }, (req) => enc(`n2 got ${dec(req.data)}`));
      await front!.flush();
      await back!.flush();
      const r = await client!.request('t.api', enc('x'), { timeoutMs: 5000 });
      assert.equal(dec(r.data), 'n2 got x');
    }));

  void test(`${target.driver}: gather collects one reply per server`, () =>
    withDrivers(4, async ([a, b, c, client]) => {
      for (const [i, d] of [a!, b!, c!].entries()) {
        d.serve({ subject: 't.broadcast', competing: false }, () => enc(`n${i}`));
        await d.flush();
      }
      const replies = await client!.gather('t.broadcast', enc('?'), { timeoutMs: 5000, expect: 3 });
      assert.deepEqual(replies.map((r) => dec(r.data)).sort(), ['n0', 'n1', 'n2']);
    }));

  void test(`${target.driver}: request errors are typed (no responders, timeout, abort)`, () =>
    withDrivers(2, async ([server, client]) => {
      await assert.rejects(client!.request('t.nobody', enc('x'), { timeoutMs: 2000 }), { code: TransportErrorCode.NO_RESPONDERS });
      server!.serve({ subject: 't.silent', competing: true }, () => undefined);
      await server!.flush();
      await assert.rejects(client!.request('t.silent', enc('x'), { timeoutMs: 200 }), { code: TransportErrorCode.TIMEOUT });
      const ac = new AbortController();
      const p = client!.request('t.silent', enc('x'), { timeoutMs: 5000, signal: ac.signal });
      ac.abort();
      await assert.rejects(p, { code: TransportErrorCode.ABORTED });
    }));

  void test(`${target.driver}: durable stream replays what a consumer missed`, () =>
    withDrivers(2, async ([pub, consumer]) => {
      await pub!.ensureStream({ name: 'T_EVENTS', subjects: ['t.events.>'], maxAgeMs: 60_000 });
      for (let i = 0; i < 10; i++) pub!.publish('t.events.x', enc(String(i)));
      await pub!.flush();
      const got = new Collector<string>();
      const sub = await consumer!.consumeDurable({ stream: 'T_EVENTS', durable: 'replayer', from: 'all' }, (m) => {
        got.push(dec(m.data));
        m.ack();
      });
      assert.deepEqual(await got.until(10), Array.from({ length: 10 }, (_, i) => String(i)));
      await sub.unsubscribe();
      const fromSeq = new Collector<number>();
      const sub2 = await consumer!.consumeDurable({ stream: 'T_EVENTS', from: { sequence: 8 } }, (m) => fromSeq.push(m.sequence));
      assert.deepEqual(await fromSeq.until(3), [8, 9, 10]);
      await sub2.unsubscribe();
    }));

  void test(`${target.driver}: publishes while the broker is away are buffered within the bound, then delivered`, () =>
    withDrivers(
      2,
      async ([pub, reader], broker) => {
        await pub!.ensureStream({ name: 'T_BUF', subjects: ['t.buf.>'] });
        await broker.halt();
        await waitStatus(pub!, 'reconnecting');
        const outcomes = Array.from({ length: 8 }, (_, i) => pub!.publish('t.buf.x', enc(String(i))));
        assert.deepEqual(outcomes, Array(8).fill('buffered'));
        // Bound is 5 messages: the 3 oldest were dropped and counted.
        assert.equal(pub!.stats().dropped, 3);
        assert.equal(pub!.stats().pending, 5);
        await broker.start();
        await waitStatus(pub!, 'connected');
        await pub!.flush();
        assert.equal(pub!.stats().pending, 0);
        assert.equal(pub!.stats().reconnects, 1);
        await waitStatus(reader!, 'connected');
        const got = new Collector<string>();
        const sub = await reader!.consumeDurable({ stream: 'T_BUF', from: 'all' }, (m) => got.push(dec(m.data)));
        assert.deepEqual(await got.until(5), ['3', '4', '5', '6', '7']);
        await sub.unsubscribe();
      },
      { bufferMessages: 5 },
    ));
}
