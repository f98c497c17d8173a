// uuid_broadcast's leg argument, as mod_commands uuid_broadcast_function and switch_ivr_broadcast
// (FreeSWITCH 1.10.12) read it: substrings, any case — `aleg` (and no argument) plays to the uuid
// named, `bleg` to its partner (signal_bond), `both` to both, the partner's queued first; `holdb`
// alone plays nowhere. A partner that is not there plays nothing, and the reply is still +OK.
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { apiAt, harness, header, type Harness } from './core-capture.js';

const A = 'c2c2c2c2-0000-4000-8000-00000000000a';
const B = 'c2c2c2c2-0000-4000-8000-00000000000b';
const FILE = 'tone_stream://%(100,0,600)';

async function bridged(): Promise<Harness> {
  const h = harness();
  h.core.control.setEndpointBehavior('user/1000', { answer: 'answer' });
  h.core.control.setEndpointBehavior('user/1001', { answer: 'answer' });
  assert.equal(await apiAt(h, 'originate', `{origination_uuid=${A}}user/1000 &bridge({origination_uuid=${B}}user/1001)`, 100), `+OK ${A}\n`);
  await h.clock.advance(100);
  assert.ok(h.events.some((e) => e.name === 'CHANNEL_BRIDGE'), 'the legs are bridged');
  return h;
}

async function parked(): Promise<Harness> {
  const h = harness();
  h.core.control.setEndpointBehavior('user/1000', { answer: 'answer' });
  assert.equal(await apiAt(h, 'originate', `{origination_uuid=${A}}user/1000 &park()`), `+OK ${A}\n`);
  return h;
}

/** `<leg>:<event>` for each playback event since `from`: which leg played. */
function played(h: Harness, from: number): string[] {
  return h.events.slice(from)
    .filter((e) => e.name === 'PLAYBACK_START' || e.name === 'PLAYBACK_STOP')
    .map((e) => `${e.uuid === A ? 'A' : e.uuid === B ? 'B' : '?'}:${e.name}`);
}

async function broadcast(h: Harness, leg: string): Promise<string[]> {
  const from = h.events.length;
  assert.equal(await apiAt(h, 'uuid_broadcast', `${A} ${FILE}${leg === '' ? '' : ` ${leg}`}`, 1000), '+OK Message sent\n');
  return played(h, from);
}

void describe('uuid_broadcast <uuid> <path> [aleg|bleg|holdb|both]', () => {
  void it('bleg plays on the bridged partner only', async () => {
    const h = await bridged();
    assert.deepEqual(await broadcast(h, 'bleg'), ['B:PLAYBACK_START', 'B:PLAYBACK_STOP']);
    await h.core.stop();
  });

  void it('both plays on both legs, aleg and no argument on the uuid named', async () => {
    const h = await bridged();
    assert.deepEqual((await broadcast(h, 'BOTH')).sort(), ['A:PLAYBACK_START', 'A:PLAYBACK_STOP', 'B:PLAYBACK_START', 'B:PLAYBACK_STOP']);
    assert.deepEqual(await broadcast(h, 'aleg'), ['A:PLAYBACK_START', 'A:PLAYBACK_STOP']);
    assert.deepEqual(await broadcast(h, ''), ['A:PLAYBACK_START', 'A:PLAYBACK_STOP']);
    await h.core.stop();
  });

  void it('no argument: the queued command carries hold-bleg (SMF_HOLD_BLEG); aleg does not', async () => {
    const h = await parked();
    let from = h.events.length;
    await broadcast(h, '');
    const cmd = h.events.slice(from).find((e) => e.uuid === A && e.name === 'PRIVATE_COMMAND');
    assert.ok(cmd);
    assert.equal(header(cmd, 'hold-bleg'), 'true');
    from = h.events.length;
    await broadcast(h, 'aleg');
    const plain = h.events.slice(from).find((e) => e.uuid === A && e.name === 'PRIVATE_COMMAND');
    assert.ok(plain);
    assert.equal(header(plain, 'hold-bleg'), undefined);
    await h.core.stop();
  });

  void it('bleg on a channel with no partner, and holdb alone: +OK Message sent, nothing plays', async () => {
    const h = await parked();
    assert.deepEqual(await broadcast(h, 'bleg'), []);
    assert.deepEqual(await broadcast(h, 'holdb'), []);
    assert.deepEqual(await broadcast(h, 'both'), ['A:PLAYBACK_START', 'A:PLAYBACK_STOP']);
    await h.core.stop();
  });
});
