import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { harness, header } from './core-capture.js';
import type { CoreEvent } from '../src/core/index.js';

const ANSWER_AND_PARK = { default: [{ name: 'app', conditions: [{ expression: '^5000$', actions: [{ application: 'answer' }, { application: 'park' }] }] }] };

function byChannel(events: readonly CoreEvent[]): Map<string, string[]> {
  const names = new Map<string, string[]>();
  for (const e of events) {
    const uuid = header(e, 'Unique-ID');
    if (uuid !== undefined) names.set(uuid, [...(names.get(uuid) ?? []), e.name]);
  }
  return names;
}

void describe('generateCalls', () => {
  void it('with a custom dialplan, the unanswered share rings and is abandoned by the caller', async () => {
    const h = harness({ dialplan: ANSWER_AND_PARK });
    const gen = h.core.control.generateCalls({ ratePerSecond: 10, durationMs: 1000, destination: '5000', holdMs: 300, answerRatio: 0.8 });
    await h.clock.advance(1000);
    assert.equal(await gen.done, 10);
    await h.clock.advance(5000);
    const completes = h.events.filter((e) => e.name === 'CHANNEL_HANGUP_COMPLETE');
    assert.equal(completes.length, 10);
    const causes = completes.map((e) => `${header(e, 'Caller-Destination-Number')}:${header(e, 'Hangup-Cause')}`).sort();
    assert.deepEqual(causes, [...Array<string>(8).fill('5000:NORMAL_CLEARING'), '5000:ORIGINATOR_CANCEL', '5000:ORIGINATOR_CANCEL']);
    const channels = byChannel(h.events);
    const abandoned = completes.filter((e) => header(e, 'Hangup-Cause') === 'ORIGINATOR_CANCEL').map((e) => header(e, 'Unique-ID') ?? '');
    for (const uuid of abandoned) {
      const names = channels.get(uuid) ?? [];
      assert.ok(names.includes('CHANNEL_PROGRESS'), `${uuid} rang: ${names.join(' ')}`);
      assert.ok(!names.includes('CHANNEL_ANSWER'), `${uuid} was not answered`);
      assert.ok(names.includes('CHANNEL_DESTROY'));
    }
    assert.equal(h.events.filter((e) => e.name === 'CHANNEL_ANSWER').length, 8);
    await h.core.stop();
  });

  void it('a dialplan without the destination still gets abandoned calls, not NO_ROUTE_DESTINATION', async () => {
    const h = harness({ dialplan: { default: [] } });
    const gen = h.core.control.generateCalls({ ratePerSecond: 10, durationMs: 500, destination: '5000', answerRatio: 0 });
    await h.clock.advance(500);
    assert.equal(await gen.done, 5);
    await h.clock.advance(5000);
    const causes = h.events.filter((e) => e.name === 'CHANNEL_HANGUP_COMPLETE').map((e) => header(e, 'Hangup-Cause'));
    assert.deepEqual(causes, Array<string>(5).fill('ORIGINATOR_CANCEL'));
    const ringing = h.events.filter((e) => e.name === 'CHANNEL_CALLSTATE' && header(e, 'Channel-Call-State') === 'RING_WAIT');
    assert.equal(ringing.length, 5);
    await h.core.stop();
  });
});
