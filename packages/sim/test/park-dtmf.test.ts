// Digits a parked channel receives: switch_ivr_park (FreeSWITCH 1.10.12, park with no input args)
// dequeues each one — its DTMF event fires — and drops it; an application that reads digits
// later does not see them. What runs inside park (a sendmsg execute) reads them.
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { apiAt, executeOn, harness, header, type Harness } from './core-capture.js';
import type { CoreEvent } from '../src/core/index.js';

const U = 'b1b1b1b1-0000-4000-8000-000000000001';
const PAGD = '1 4 1 2000 # silence_stream://100 silence_stream://100 dig \\d+';

async function parkedCall(): Promise<Harness> {
  const h = harness();
  h.core.control.setEndpointBehavior('user/1000', { answer: 'answer' });
  assert.equal(await apiAt(h, 'originate', `{origination_uuid=${U}}user/1000 &park()`), `+OK ${U}\n`);
  return h;
}

const of = (h: Harness, name: string, app?: string): CoreEvent[] =>
  h.events.filter((e) => e.uuid === U && e.name === name && (app === undefined || header(e, 'Application') === app));

void describe('DTMF on a parked channel', () => {
  void it('park dequeues and drops the digits: DTMF events fire, play_and_get_digits run after reads none', async () => {
    const h = await parkedCall();
    assert.equal(await apiAt(h, 'uuid_recv_dtmf', `${U} 42#`, 10), `+OK ${U} received DTMF 42#.\n`);
    assert.deepEqual(of(h, 'DTMF').map((e) => header(e, 'DTMF-Digit')), ['4', '2', '#']);
    assert.equal(header(of(h, 'DTMF')[0]!, 'Event-Calling-Function'), 'switch_channel_dequeue_dtmf');
    assert.equal(executeOn(h, U, 'play_and_get_digits', PAGD), '+OK');
    await h.clock.advance(5000);
    const [done] = of(h, 'CHANNEL_EXECUTE_COMPLETE', 'play_and_get_digits');
    assert.ok(done, 'play_and_get_digits completed');
    assert.equal(header(done, 'variable_dig'), undefined, 'the digits park dropped are not read');
    await h.core.stop();
  });

  void it('digits received while play_and_get_digits runs inside park are read', async () => {
    const h = await parkedCall();
    assert.equal(executeOn(h, U, 'play_and_get_digits', PAGD), '+OK');
    await h.clock.advance(10);
    assert.equal(of(h, 'CHANNEL_EXECUTE', 'play_and_get_digits').length, 1);
    await apiAt(h, 'uuid_recv_dtmf', `${U} 42#`, 1000);
    const [done] = of(h, 'CHANNEL_EXECUTE_COMPLETE', 'play_and_get_digits');
    assert.ok(done, 'play_and_get_digits completed');
    assert.equal(header(done, 'variable_dig'), '42');
    await h.core.stop();
  });

  void it('uuid_flush_dtmf drops digits a sleep (which reads none) left queued', async () => {
    const h = await parkedCall();
    assert.equal(executeOn(h, U, 'sleep', '1000'), '+OK');
    await h.clock.advance(10);
    await apiAt(h, 'uuid_recv_dtmf', `${U} 12`, 10);
    assert.equal(await apiAt(h, 'uuid_flush_dtmf', U), '+OK\n');
    await h.clock.advance(1000);
    assert.equal(executeOn(h, U, 'play_and_get_digits', PAGD), '+OK');
    await h.clock.advance(10);
    await apiAt(h, 'uuid_recv_dtmf', `${U} 3#`, 1000);
    assert.equal(header(of(h, 'CHANNEL_EXECUTE_COMPLETE', 'play_and_get_digits')[0]!, 'variable_dig'), '3');
    await h.core.stop();
  });

  void it('digits received while sleep runs inside park wait for the next reader', async () => {
    const h = await parkedCall();
    assert.equal(executeOn(h, U, 'sleep', '1000'), '+OK');
    await h.clock.advance(10);
    await apiAt(h, 'uuid_recv_dtmf', `${U} 7#`, 10);
    assert.equal(executeOn(h, U, 'play_and_get_digits', PAGD), '+OK');
    await h.clock.advance(2000);
    assert.equal(header(of(h, 'CHANNEL_EXECUTE_COMPLETE', 'play_and_get_digits')[0]!, 'variable_dig'), '7');
    await h.core.stop();
  });
});
