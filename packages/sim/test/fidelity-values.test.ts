/**
 * Fidelity, value by value: replays the captured call scenario and compares what the
 * simulator sends with the real FreeSWITCH's, run-dependent values aside — every event in
 * plain, json and xml (names, values, order, escaping), the control session's replies
 * (greeting and auth included, and the values inside the JSON bodies), the outbound session's
 * frames, and the order of events across channels.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import type { RawFrame } from '@fsbus/esl';
import type { Chunk } from './fidelity-outbound-replay.js';
import { eventDifferences, firstDifference, normalise, normalisedEvents, normalisedFrame } from './fidelity-compare.js';
import { runCapturedScenario, type ScenarioRun } from './fidelity-run.js';
import { framesOf, plainValue, readFrames, readJson, withFixtures } from './fidelity-support.js';

/** `<event> <channel> [<state>]` for every non-timer event of a plain stream, in order. */
function eventOrder(frames: readonly RawFrame[]): string[] {
  const out: string[] = [];
  for (const f of frames) {
    if (f.headers.get('Content-Type') !== 'text/event-plain') continue;
    const name = plainValue(f.body, 'Event-Name') ?? '?';
    if (name === 'HEARTBEAT' || name === 'RE_SCHEDULE') continue;
    const channel = plainValue(f.body, 'Channel-Name') ?? plainValue(f.body, 'Event-Subclass') ?? '';
    const state = name === 'CHANNEL_STATE' ? ` ${plainValue(f.body, 'Channel-State') ?? ''}` : '';
    out.push(`${name} ${channel}${state}`);
  }
  return out;
}

/**
 * The cross-channel order with FreeSWITCH's thread races taken out. A loopback b-leg's thread
 * starts (CS_INIT) while the a-leg's runs CS_ROUTING → CS_CONSUME_MEDIA: the capture has these
 * interleaved differently from one call to the next (7001 vs 7005), so they are left to the
 * per-channel order test. Which leg of a pair is destroyed first is a race too (7001-b first,
 * 7004-a first): each run of destroy events is put in channel order.
 */
function deterministicOrder(order: readonly string[]): string[] {
  const racy = /^CHANNEL_STATE loopback\/\d+-(b CS_INIT|a CS_ROUTING|a CS_CONSUME_MEDIA)$/;
  const isDestroy = (e: string): boolean => e.startsWith('CHANNEL_DESTROY ') || e.endsWith(' CS_DESTROY');
  const kept = order.filter((e) => !racy.test(e));
  const out: string[] = [];
  for (let i = 0; i < kept.length; ) {
    if (!isDestroy(kept[i]!)) {
      out.push(kept[i++]!);
      continue;
    }
    let j = i;
    while (j < kept.length && isDestroy(kept[j]!)) j++;
    const channelOf = (e: string): string => e.split(' ')[1] ?? '';
    out.push(...kept.slice(i, j).sort((x, y) => channelOf(x).localeCompare(channelOf(y))));
    i = j;
  }
  return out;
}

void describe('fidelity: values of a real FreeSWITCH 1.10.12, frame by frame', () => {
  withFixtures((dir) => {
    let run: ScenarioRun;

    void before(async () => {
      run = await runCapturedScenario(dir);
    });

    void after(async () => {
      await run.stop();
    });

    void it('runs the whole scenario', () => {
      assert.equal(run.error, undefined);
    });

    for (const encoding of ['plain', 'json', 'xml'] as const) {
      void it(`sends every ${encoding} event with the real one's headers, values, order and escaping`, () => {
        const real = normalisedEvents(readFrames(dir, `shared-${encoding}.bin`), encoding);
        const got = normalisedEvents(run.clients[encoding].peek(), encoding);
        assert.ok(real.size > 150, 'the capture has the scenario events');
        assert.deepEqual(eventDifferences(real, got), []);
      });
    }

    void it('greets and accepts the control session as FreeSWITCH did', () => {
      const real = readFrames(dir, 'shared-control.bin').slice(0, 2);
      assert.deepEqual(run.control.slice(0, 2).map(normalisedFrame), real.map(normalisedFrame));
    });

    void it('answers uuid_dump json and show channels as json with the real values', () => {
      const real = readFrames(dir, 'shared-control.bin');
      const bodies = real.flatMap((f, i) => (f.body?.toString().startsWith('{') === true ? [i] : []));
      assert.equal(bodies.length, 2, 'uuid_dump json and show channels as json');
      for (const i of bodies) {
        const want = normalise(real[i]!.body!.toString(), 'json');
        const have = normalise(run.control[i]?.body?.toString() ?? '', 'json');
        assert.ok(want === have, `reply ${i}: ${firstDifference(want, have)}`);
      }
    });

    void it('sends the outbound session the real frames, values included', () => {
      const chunks = readJson<Chunk[]>(dir, 'shared-outbound.json');
      const real = framesOf(Buffer.concat(chunks.filter((c) => c.dir === 'in').map((c) => Buffer.from(c.data, 'base64'))));
      const got = run.replay.received;
      assert.equal(got.length, real.length, 'frames');
      const differences = real.flatMap((r, i) => {
        const want = normalisedFrame(r);
        const have = normalisedFrame(got[i]!);
        return want === have ? [] : [`frame ${i}: ${firstDifference(want, have)}`];
      });
      assert.deepEqual(differences, []);
    });

    void it('orders events across channels as FreeSWITCH does, where its threads do not race', () => {
      const real = deterministicOrder(eventOrder(readFrames(dir, 'shared-plain.bin')));
      const got = deterministicOrder(eventOrder(run.clients.plain.peek()));
      assert.ok(real.length > 150, 'the capture has the scenario events');
      assert.deepEqual(got, real);
    });
  });
});
