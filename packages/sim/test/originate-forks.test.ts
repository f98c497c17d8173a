/**
 * originate's dial string groups (switch_ivr_originate, FreeSWITCH 1.10.12): `|` separates
 * failover groups tried in turn, `,` the legs of one group rung at once. The first leg to answer
 * wins and the others are hung up with LOSE_RACE (group_dial_status=loser); when every leg of
 * the last group fails the reply names the cause of the group's first leg that had a session.
 */
import { strict as assert } from 'node:assert';
import { it } from 'node:test';
import type { CoreEvent } from '../src/core/index.js';
import { apiAt, harness, header } from './core-capture.js';

const byUuid = (events: CoreEvent[], uuid: string, name: string): CoreEvent | undefined =>
  events.find((e) => e.name === name && header(e, 'Unique-ID') === uuid);
const dest = (e: CoreEvent): string | undefined => header(e, 'Caller-Destination-Number');

void it('two forks, the second answers: +OK <its uuid>, the first ends LOSE_RACE', async () => {
  const h = harness();
  h.core.control.setEndpointBehavior('user/1001', { answer: 'answer', delayMs: 2000 });
  h.core.control.setEndpointBehavior('user/1002', { answer: 'answer', delayMs: 500 });
  const reply = await apiAt(h, 'originate', '{origination_uuid=aaaaaaaa-0000-4000-8000-000000000001}[x=one]user/1001,[x=two]user/1002 &park()', 3000);
  const creates = h.events.filter((e) => e.name === 'CHANNEL_CREATE');
  assert.deepEqual(creates.map(dest), ['1001', '1002']);
  const [first, second] = creates.map((e) => header(e, 'Unique-ID') ?? '');
  // origination_uuid goes to the first leg created (the second's set_uuid fails: the uuid is taken).
  assert.equal(first, 'aaaaaaaa-0000-4000-8000-000000000001');
  assert.notEqual(second, first);
  assert.equal(reply, `+OK ${second}\n`);
  const lost = byUuid(h.events, first ?? '', 'CHANNEL_HANGUP_COMPLETE');
  assert.equal(header(lost ?? { headers: [] }, 'Hangup-Cause'), 'LOSE_RACE');
  assert.equal(header(lost ?? { headers: [] }, 'variable_group_dial_status'), 'loser');
  assert.equal(header(lost ?? { headers: [] }, 'variable_x'), 'one');
  assert.equal(byUuid(h.events, second ?? '', 'CHANNEL_ANSWER') !== undefined, true);
  assert.equal(header(byUuid(h.events, second ?? '', 'CHANNEL_ANSWER') ?? { headers: [] }, 'variable_x'), 'two');
  assert.equal(byUuid(h.events, first ?? '', 'CHANNEL_ANSWER'), undefined);
  await h.core.stop();
});

void it('failover user/1001|user/1002 with 1001 busy: 1002 answers', async () => {
  const h = harness();
  h.core.control.setEndpointBehavior('user/1001', { answer: 'busy', delayMs: 100 });
  h.core.control.setEndpointBehavior('user/1002', { answer: 'answer', delayMs: 100 });
  const reply = await apiAt(h, 'originate', 'user/1001|user/1002 &park()', 1000);
  const creates = h.events.filter((e) => e.name === 'CHANNEL_CREATE');
  assert.deepEqual(creates.map(dest), ['1001', '1002']);
  const [first, second] = creates.map((e) => header(e, 'Unique-ID') ?? '');
  assert.equal(reply, `+OK ${second}\n`);
  assert.equal(header(byUuid(h.events, first ?? '', 'CHANNEL_HANGUP_COMPLETE') ?? { headers: [] }, 'Hangup-Cause'), 'USER_BUSY');
  // The second group is dialled only once the first has failed.
  const order = h.events.filter((e) => e.name === 'CHANNEL_CREATE' || e.name === 'CHANNEL_HANGUP_COMPLETE').map((e) => `${e.name} ${dest(e) ?? ''}`);
  assert.deepEqual(order, ['CHANNEL_CREATE 1001', 'CHANNEL_HANGUP_COMPLETE 1001', 'CHANNEL_CREATE 1002']);
  await h.core.stop();
});

void it('every leg failing: -ERR with the cause of the last group\'s first leg', async () => {
  const h = harness();
  h.core.control.setEndpointBehavior('user/1001', { answer: 'busy' });
  h.core.control.setEndpointBehavior('user/1002', { answer: 'error:CALL_REJECTED', delayMs: 200 });
  h.core.control.setEndpointBehavior('user/1003', { answer: 'busy', delayMs: 100 });
  const reply = await apiAt(h, 'originate', 'user/1001|user/1002,user/1003 &park()', 1000);
  assert.equal(reply, '-ERR CALL_REJECTED\n');
  const causes = h.events.filter((e) => e.name === 'CHANNEL_HANGUP_COMPLETE').map((e) => `${dest(e) ?? ''} ${header(e, 'Hangup-Cause') ?? ''}`);
  assert.deepEqual(causes, ['1001 USER_BUSY', '1003 USER_BUSY', '1002 CALL_REJECTED']);
  await h.core.stop();
});

void it('a group nobody answers ends the originate with NO_ANSWER unless originate_continue_on_timeout', async () => {
  const h = harness();
  h.core.control.setEndpointBehavior('user/1001', { answer: 'no-answer' });
  h.core.control.setEndpointBehavior('user/1002', { answer: 'no-answer' });
  h.core.control.setEndpointBehavior('user/1003', { answer: 'answer' });
  assert.equal(await apiAt(h, 'originate', '{originate_timeout=2}user/1001,user/1002|user/1003 &park()', 3000), '-ERR NO_ANSWER\n');
  const causes = h.events.filter((e) => e.name === 'CHANNEL_HANGUP_COMPLETE').map((e) => `${dest(e) ?? ''} ${header(e, 'Hangup-Cause') ?? ''}`);
  assert.deepEqual(causes, ['1001 NO_ANSWER', '1002 NO_ANSWER']);
  h.events.length = 0;
  // Each group has the whole originate_timeout to itself.
  const reply = await apiAt(h, 'originate', '{originate_timeout=2,originate_continue_on_timeout=true}user/1001|user/1002|user/1003 &park()', 6000);
  const creates = h.events.filter((e) => e.name === 'CHANNEL_CREATE');
  assert.deepEqual(creates.map(dest), ['1001', '1002', '1003']);
  assert.equal(reply, `+OK ${header(creates[2] ?? { headers: [] }, 'Unique-ID') ?? ''}\n`);
  await h.core.stop();
});

void it('origination_uuid reaches the next group\'s leg once the failed group\'s leg is gone', async () => {
  const h = harness();
  h.core.control.setEndpointBehavior('user/1001', { answer: 'busy' });
  const uuid = 'aaaaaaaa-0000-4000-8000-00000000000a';
  assert.equal(await apiAt(h, 'originate', `{origination_uuid=${uuid}}user/1001|user/1002 &park()`, 1000), `+OK ${uuid}\n`);
  const creates = h.events.filter((e) => e.name === 'CHANNEL_CREATE').map((e) => `${dest(e) ?? ''} ${header(e, 'Unique-ID') ?? ''}`);
  assert.deepEqual(creates, [`1001 ${uuid}`, `1002 ${uuid}`]);
  await h.core.stop();
});
