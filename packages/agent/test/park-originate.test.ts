// Park mode and the bus's own originate (FreeSWITCH sends an originated leg to its extension by a
// transfer), and the park timeout's default cause; end to end against the simulator.
import { after, before, describe, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import type { EventPayload } from '@fsbus/contract';
import { NOT_FOUND_DOCUMENT } from '@fsbus/agent';
import { startRig, type Rig } from './call-control-harness.js';

void describe('park mode: bus originates to an extension, and the timeout cause', () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig();
    rig.sim.core.control.setEndpointBehavior('user/1000', { answer: 'answer' });
  });
  after(() => rig.stop());

  const status = async () => (await rig.request({ command: 'dialplan.status' })).data as Record<string, number | string | boolean>;
  const lookupsOf = (uuid: string) => rig.tap.lookups.filter((x) => x.form.get('Unique-ID') === uuid);
  const parks = (uuid: string) => rig.events.of(uuid, 'CHANNEL_PARK');
  /** The `n`th (1-based) CHANNEL_PARK of a channel. */
  const parkNo = (uuid: string, n: number): Promise<EventPayload> =>
    rig.events.waitFor((e) => e.event_name === 'CHANNEL_PARK' && e.uuid === uuid && parks(uuid).indexOf(e) === n - 1, `CHANNEL_PARK #${n} of ${uuid}`);

  async function originate(fields: Record<string, unknown>): Promise<string> {
    const uuid = randomUUID();
    const r = await rig.request({ command: 'originate', endpoint: 'user/1000', uuid, ...fields });
    assert.equal(r.success, true, JSON.stringify(r));
    return uuid;
  }

  async function transfer(uuid: string, extension: string): Promise<void> {
    const r = await rig.request({ command: 'uuid_transfer', args: `${uuid} ${extension} XML default` });
    assert.equal(r.success, true, JSON.stringify(r));
  }

  void test('dialplan.timeout without a cause: the default ALLOTTED_TIMEOUT, not the cause given last', async () => {
    try {
      const busy = await rig.request({ command: 'dialplan.timeout', seconds: 300, cause: 'USER_BUSY' });
      assert.equal((busy.data as Record<string, unknown>)['timeout_cause'], 'USER_BUSY');
      const r = await rig.request({ command: 'dialplan.timeout', seconds: 300 });
      assert.equal(r.success, true, JSON.stringify(r));
      assert.equal(r.message, 'Park timeout updated');
      assert.equal((r.data as Record<string, unknown>)['timeout_cause'], 'ALLOTTED_TIMEOUT');
      assert.equal((await status())['timeout_cause'], 'ALLOTTED_TIMEOUT');
    } finally {
      await rig.request({ command: 'dialplan.timeout', seconds: 0 });
    }
  });

  void test('park mode on: a bus originate to an extension is parked by the agent; a uuid_transfer then is not parked again', async () => {
    await rig.request({ command: 'dialplan.enable' });
    try {
      const before = await status();
      const uuid = await originate({ extension: '5601' });
      const park = await parkNo(uuid, 1);
      assert.equal(park.headers['variable_fsbus_park_node'], 'cc-1');
      assert.equal(park.headers['Caller-Destination-Number'], '5601');
      const [first] = lookupsOf(uuid);
      assert.match(first?.form.get('Hunt-Transfer-Source') ?? '', /:bl_xfer:5601\/default\/XML$/, 'routed by the originate\'s transfer');
      assert.match(first?.xml ?? '', /<context name="default">/);
      const after = await status();
      assert.equal(after['lookups_parked'], (before['lookups_parked'] as number) + 1);
      assert.equal(after['calls_parked'], (before['calls_parked'] as number) + 1);
      assert.equal(after['parked_now'], (before['parked_now'] as number) + 1);

      // Sent on by a controller: 7001 of the static dialplan (answer, park) runs, not the park extension.
      await transfer(uuid, '7001');
      const again = await parkNo(uuid, 2);
      assert.equal(again.headers['Caller-Destination-Number'], '7001');
      assert.equal(lookupsOf(uuid)[1]?.xml, NOT_FOUND_DOCUMENT);
      const end = await status();
      assert.equal(end['lookups_parked'], after['lookups_parked']);
      assert.equal(end['calls_parked'], after['calls_parked']);
      await rig.request({ command: 'uuid_kill', args: uuid });
    } finally {
      await rig.request({ command: 'dialplan.disable' });
    }
  });

  void test('a bus-originated leg first routed by the static dialplan is not parked when transferred later', async () => {
    const uuid = await originate({ extension: '7001' });
    await parkNo(uuid, 1);
    assert.equal(lookupsOf(uuid)[0]?.xml, NOT_FOUND_DOCUMENT, 'park mode was off');
    await rig.request({ command: 'dialplan.enable' });
    try {
      const before = await status();
      await transfer(uuid, '7001');
      await parkNo(uuid, 2);
      assert.equal(lookupsOf(uuid)[1]?.xml, NOT_FOUND_DOCUMENT);
      assert.equal((await status())['lookups_parked'], before['lookups_parked']);
      await rig.request({ command: 'uuid_kill', args: uuid });
    } finally {
      await rig.request({ command: 'dialplan.disable' });
    }
  });

  void test("a loopback b-leg (it gets the originate's variables) is not taken for the originated leg when transferred", async () => {
    const a = await originate({ endpoint: 'loopback/7001', extension: '7001' });
    const bPark = await rig.events.waitFor((e) => e.event_name === 'CHANNEL_PARK' && e.headers['variable_other_loopback_leg_uuid'] === a, 'the b-leg parked by 7001');
    const b = bPark.uuid!;
    assert.equal(bPark.headers['variable_fsbus_originated'], a, 'the b-leg carries the variable, naming the a-leg');
    await rig.request({ command: 'dialplan.enable' });
    try {
      const before = await status();
      await transfer(b, '7001');
      await parkNo(b, 2);
      assert.equal(lookupsOf(b)[1]?.xml, NOT_FOUND_DOCUMENT);
      assert.equal((await status())['lookups_parked'], before['lookups_parked']);
      await rig.request({ command: 'uuid_kill', args: a });
    } finally {
      await rig.request({ command: 'dialplan.disable' });
    }
  });

  void test('a bus originate to an application (&park()), transferred later, is not parked', async () => {
    await rig.request({ command: 'dialplan.enable' });
    try {
      const uuid = await originate({ extension: '&park()' });
      await parkNo(uuid, 1);
      assert.equal(lookupsOf(uuid).length, 0, 'no routing: the application ran');
      const before = await status();
      await transfer(uuid, '7001');
      await parkNo(uuid, 2);
      assert.equal(lookupsOf(uuid)[0]?.xml, NOT_FOUND_DOCUMENT);
      assert.equal((await status())['lookups_parked'], before['lookups_parked']);
      await rig.request({ command: 'uuid_kill', args: uuid });
    } finally {
      await rig.request({ command: 'dialplan.disable' });
    }
  });
});
