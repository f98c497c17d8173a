// mod_event_agent's README (seed 001) call-control examples, sent verbatim to freeswitch.api.
import { after, before, describe, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { decodeReply, type ReplyEnvelope } from '@fsbus/contract';
import { startRig, type Rig } from './call-control-harness.js';

void describe('seed examples, verbatim', () => {
  let rig: Rig;
  const api = async (payload: string): Promise<ReplyEnvelope> =>
    decodeReply((await rig.client.request('freeswitch.api', new TextEncoder().encode(payload), { timeoutMs: 10_000 })).data);
  const status = async () => (await api('{"command":"dialplan.status"}')).data as Record<string, unknown>;
  before(async () => {
    rig = await startRig();
  });
  after(() => rig.stop());

  // "Control call flow without reloading dialplan" (nats req freeswitch.api '…').
  const steps: Array<[string, string, Record<string, unknown>]> = [
    ['{"command":"dialplan.enable"}', 'Park mode enabled', { enabled: true }],
    ['{"command":"dialplan.audio","mode":"ringback"}', 'Audio mode updated', { mode: 'ringback' }],
    ['{"command":"dialplan.audio","mode":"music","music_class":"moh"}', 'Audio mode updated', { mode: 'music', music_class: 'moh' }],
    ['{"command":"dialplan.audio","mode":"silence"}', 'Audio mode updated', { mode: 'silence' }],
    ['{\n"command": "dialplan.autoanswer",\n"enabled": true\n}', 'Auto-answer updated', { autoanswer: true }],
    ['{"command":"dialplan.disable"}', 'Park mode disabled', { enabled: false }],
  ];
  for (const [payload, message, expected] of steps) {
    void test(payload.replace(/\s+/g, ' '), async () => {
      const r = await api(payload);
      assert.equal(r.success, true, JSON.stringify(r));
      assert.equal(r.message, message);
      const s = await status();
      for (const [k, v] of Object.entries(expected)) assert.equal(s[k], v, k);
    });
  }

  void test('originate example (endpoint user/1000, destination &park, caller id, variables)', async () => {
    rig.sim.core.control.setEndpointBehavior('user/1000', { answer: 'answer' });
    const r = await api(`{
"command": "originate",
"endpoint": "user/1000",
"destination": "&park",
"caller_id_name": "Bot",
"caller_id_number": "5551234",
"variables": {"custom_var": "value"}
}`);
    assert.equal(r.success, true, JSON.stringify(r));
    assert.equal(r.message, 'Call originated successfully');
    const { uuid } = r.data as { uuid: string };
    // execute_app example, with the channel's uuid in place of "<channel-uuid>".
    const x = await api(
      JSON.stringify({ command: 'execute_app', uuid, app: 'play_and_get_digits', args: '1 4 3 5000 # tone_stream://%(300,0,440) /invalid.wav my_digits \\d+ 2000 -' }),
    );
    assert.equal(x.success, true, JSON.stringify(x));
    assert.equal(x.message, 'execute_app dispatched');
    const d = x.data as { application_uuid: string };
    rig.sim.core.control.sendDigits(uuid, '12#');
    const done = await rig.events.waitFor(
      (e) => e.event_name === 'CHANNEL_EXECUTE_COMPLETE' && e.headers['Application-UUID'] === d.application_uuid,
      'the completion on freeswitch.events.channel.execute.complete',
    );
    assert.equal(done.headers['variable_my_digits'], '12');
  });

  void test('native API fallback examples', async () => {
    const show = await api('{"command":"show","args":"channels"}');
    assert.equal(show.success, true, JSON.stringify(show));
    assert.equal(show.message, 'API command executed');
    assert.match(String(show.data), /total\./);
  });
});
