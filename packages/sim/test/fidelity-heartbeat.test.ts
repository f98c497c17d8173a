/**
 * Fidelity of the timer events the other comparisons leave out: HEARTBEAT and RE_SCHEDULE
 * against the ones in the real captures, in plain, json and xml — header names, order,
 * escaping and values, with clocks and the session counters (which depend on the run) apart.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { Simulator } from '../src/index.js';
import { normalise, normalisedEvents, type Encoding } from './fidelity-compare.js';
import { plainValue, readFrames, withFixtures } from './fidelity-support.js';
import { WireClient } from './listener-client.js';

const INTERVAL_MS = 1000;
const CAPTURE_INTERVAL_S = 20; // FreeSWITCH's default heartbeat, as captured

/** Counters that follow the sessions of the run (Session-Per-Sec is the second's remaining budget). */
const COUNTERS = /^(Session-Count|Session-Per-Sec[A-Za-z-]*|Session-Since-Startup|Session-Peak-[A-Za-z]+|Task-Runtime)$/;

function withoutCounters(text: string, encoding: Encoding): string {
  const names = COUNTERS.source.slice(2, -2);
  if (encoding === 'json') return text.replace(new RegExp(`("(?:${names})":)"\\d+"`, 'g'), '$1"N"');
  if (encoding === 'xml') return text.replace(new RegExp(`(<(?:${names})>)\\d+<`, 'g'), '$1N<');
  return text.replace(new RegExp(`^((?:${names}): )\\d+$`, 'gm'), '$1N');
}

void describe('fidelity: HEARTBEAT and RE_SCHEDULE of a real FreeSWITCH 1.10.12', () => {
  withFixtures((dir) => {
    let sim: Simulator;
    const clients = {} as Record<Encoding, WireClient>;

    void before(async () => {
      sim = new Simulator({ port: 0, heartbeatIntervalMs: INTERVAL_MS, nodeName: 'vm' });
      const { port } = await sim.start();
      for (const encoding of ['plain', 'json', 'xml'] as const) {
        clients[encoding] = await WireClient.authed(port);
        assert.equal(await clients[encoding].replyText(`event ${encoding} HEARTBEAT RE_SCHEDULE`), `+OK event listener enabled ${encoding}`);
      }
      for (const c of Object.values(clients)) await c.waitFor((fs) => fs.length >= 2, 10_000, 'a HEARTBEAT and its RE_SCHEDULE');
    });

    void after(async () => {
      for (const c of Object.values(clients)) c.close();
      await sim.stop();
    });

    for (const encoding of ['plain', 'json', 'xml'] as const) {
      void it(`fires HEARTBEAT then RE_SCHEDULE in ${encoding} like the captured ones`, () => {
        const real = normalisedEvents(readFrames(dir, `shared-${encoding}.bin`), encoding, true);
        const got = normalisedEvents(clients[encoding].peek().slice(0, 2), encoding, true);
        assert.deepEqual([...got.keys()], [' HEARTBEAT #1', ' RE_SCHEDULE #1']);
        assert.deepEqual([...real.keys()], [...got.keys()], 'the capture has one of each');
        for (const key of real.keys()) {
          assert.equal(withoutCounters(got.get(key)!, encoding), withoutCounters(real.get(key)!, encoding), key);
        }
      });
    }

    void it('schedules the next heartbeat one interval ahead (Task-Runtime)', () => {
      const ahead = (body: Buffer | undefined): number =>
        Number(plainValue(body, 'Task-Runtime')) - Math.floor(Number(plainValue(body, 'Event-Date-Timestamp')) / 1_000_000);
      const real = readFrames(dir, 'shared-plain.bin').find((f) => plainValue(f.body, 'Event-Name') === 'RE_SCHEDULE');
      const got = clients.plain.peek().find((f) => plainValue(f.body, 'Event-Name') === 'RE_SCHEDULE');
      assert.equal(ahead(real?.body), CAPTURE_INTERVAL_S);
      assert.equal(ahead(got?.body), INTERVAL_MS / 1000);
    });

    void it('keeps the counters numeric', () => {
      for (const f of clients.plain.peek().slice(0, 2)) {
        const text = normalise(f.body?.toString() ?? '', 'plain');
        for (const line of text.split('\n')) {
          const [name, value] = line.split(': ');
          if (name !== undefined && COUNTERS.test(name)) assert.match(value ?? '', /^\d+$/, name);
        }
      }
    });
  });
});
