/**
 * A call placed through the control API (`POST /calls/inbound`, placeInboundCall) is a sofia
 * inbound leg as sofia_handle_sip_i_invite builds it: Caller-Username and Caller-Network-Addr in
 * its caller profile, the sip_* variables taken from the INVITE, a PCMU/8000 codec; the uuid can
 * be pinned (a duplicate is refused). A loopback leg keeps its own shape (L16, no sip_*).
 */
import { strict as assert } from 'node:assert';
import { afterEach, it } from 'node:test';
import { Simulator } from '../src/index.js';
import { controlHttp } from './control-http.js';
import { WireClient } from './listener-client.js';

const cleanup: Array<() => Promise<void> | void> = [];
void afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

type JsonEvent = Record<string, string>;
const UUID = '5eed0000-0000-4000-8000-000000000001';

async function simulator(): Promise<{ c: WireClient; events: WireClient; http: ReturnType<typeof controlHttp>; sim: Simulator }> {
  const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0, controlPort: 0 });
  const { port, controlPort } = await sim.start();
  cleanup.push(() => sim.stop());
  const [c, events] = await Promise.all([WireClient.authed(port), WireClient.authed(port)]);
  cleanup.push(() => c.close(), () => events.close());
  assert.equal(await events.replyText('event json CODEC CHANNEL_CREATE CHANNEL_PARK'), '+OK event listener enabled json');
  return { c, events, http: controlHttp(() => controlPort!), sim };
}

/** The events of `uuid` up to and including its CHANNEL_PARK. */
async function untilPark(events: WireClient, uuid: string): Promise<JsonEvent[]> {
  const mine: JsonEvent[] = [];
  for (;;) {
    const frame = await events.nextOfType('text/event-json');
    const e = JSON.parse(frame.body?.toString() ?? '{}') as JsonEvent;
    if (e['Unique-ID'] !== uuid) continue;
    mine.push(e);
    if (e['Event-Name'] === 'CHANNEL_PARK') return mine;
  }
}

const SIP_VARIABLES = [
  'sip_from_user', 'sip_from_uri', 'sip_from_host', 'sip_call_id', 'sip_local_network_addr', 'sip_network_ip', 'sip_network_port',
  'sip_received_ip', 'sip_received_port', 'sip_via_protocol', 'sip_from_user_stripped', 'sofia_profile_name', 'sip_req_user', 'sip_req_uri',
  'sip_req_host', 'sip_to_user', 'sip_to_uri', 'sip_to_host', 'sip_contact_user', 'sip_contact_uri', 'sip_contact_host', 'sip_user_agent',
  'sip_via_host',
];

void it('POST /calls/inbound with a uuid: a sofia inbound leg, sip_* variables, PCMU codec', async () => {
  const { events, http } = await simulator();
  const placed = await http('POST', '/calls/inbound', { uuid: UUID, from: '+15551234', to: '7001', vars: { sip_user_agent: 'Yealink T46', case: 'sofia' } });
  assert.equal(placed.status, 200, JSON.stringify(placed.json));
  assert.equal(placed.json['uuid'], UUID);
  const mine = await untilPark(events, UUID);
  assert.deepEqual(mine.map((e) => e['Event-Name']), ['CODEC', 'CODEC', 'CHANNEL_CREATE', 'CHANNEL_PARK']);
  const [read, write, create, park] = mine as [JsonEvent, JsonEvent, JsonEvent, JsonEvent];
  assert.equal(read['channel-read-codec-name'], 'PCMU');
  assert.equal(read['channel-read-codec-rate'], '8000');
  assert.equal(read['channel-read-codec-bit-rate'], '64000');
  assert.equal(write['Channel-Write-Codec-Name'], 'PCMU');
  for (const e of [create, park]) {
    assert.equal(e['Channel-Name'], 'sofia/internal/+15551234@192.0.2.10');
    assert.equal(e['Channel-Read-Codec-Name'], 'PCMU');
    assert.equal(e['Channel-Write-Codec-Bit-Rate'], '64000');
    assert.equal(e['Caller-Username'], '+15551234');
    assert.equal(e['Caller-Network-Addr'], '192.0.2.10');
    for (const v of SIP_VARIABLES) assert.ok(e[`variable_${v}`] !== undefined, `${e['Event-Name']} lacks variable_${v}`);
    assert.equal(e['variable_sip_from_user'], '+15551234');
    assert.equal(e['variable_sip_from_user_stripped'], '15551234');
    assert.equal(e['variable_sip_from_host'], '192.0.2.10');
    assert.equal(e['variable_sip_to_user'], '7001');
    assert.equal(e['variable_sip_req_uri'], '7001@127.0.0.1');
    assert.equal(e['variable_sip_network_port'], '5060');
    assert.equal(e['variable_sip_user_agent'], 'Yealink T46', 'vars override the INVITE-derived values');
    assert.equal(e['variable_case'], 'sofia');
    assert.equal(e['variable_read_codec'], 'PCMU');
  }
  // Caller-Username sits after Logical-Direction, Network-Addr between the callee id and the ANI (switch_caller_profile_event_set_data).
  const keys = Object.keys(create);
  assert.equal(keys[keys.indexOf('Caller-Logical-Direction') + 1], 'Caller-Username');
  assert.equal(keys[keys.indexOf('Caller-Network-Addr') + 1], 'Caller-ANI');
});

void it('vars override the network address (Caller-Network-Addr follows sip_network_ip); show channels reads the codec and ip', async () => {
  const { c, events, http } = await simulator();
  const placed = await http('POST', '/calls/inbound', { uuid: UUID, to: '7001', vars: { sip_network_ip: '198.51.100.7', sip_from_host: 'pbx.example.com' } });
  assert.equal(placed.status, 200, JSON.stringify(placed.json));
  const create = (await untilPark(events, UUID)).find((e) => e['Event-Name'] === 'CHANNEL_CREATE')!;
  assert.equal(create['Caller-Network-Addr'], '198.51.100.7');
  assert.equal(create['variable_sip_network_ip'], '198.51.100.7');
  assert.equal(create['variable_sip_from_uri'], '1000@pbx.example.com');
  assert.equal(create['Channel-Name'], 'sofia/internal/1000@pbx.example.com');
  const rows = JSON.parse((await c.command('api show channels as json')).body?.toString() ?? '') as { rows: Array<Record<string, string>> };
  assert.equal(rows.rows[0]?.['read_codec'], 'PCMU');
  assert.equal(rows.rows[0]?.['read_bit_rate'], '64000');
  assert.equal(rows.rows[0]?.['ip_addr'], '198.51.100.7');
});

void it('a uuid already in use is refused (HTTP 400 / SimConfigError); loopback legs keep L16 and no sip_*', async () => {
  const { c, events, http, sim } = await simulator();
  assert.equal((await http('POST', '/calls/inbound', { uuid: UUID, to: '7001' })).status, 200);
  const dup = await http('POST', '/calls/inbound', { uuid: UUID, to: '7001' });
  assert.equal(dup.status, 400);
  assert.equal(dup.json['error'], `placeInboundCall: uuid ${UUID} is already in use`);
  assert.throws(() => sim.core.control.placeInboundCall({ uuid: UUID, to: '7001' }), /already in use/);
  assert.equal((await http('POST', '/calls/inbound', { uuid: 42, to: '7001' })).status, 400);
  await untilPark(events, UUID);

  const loop = 'a1b2c3d4-0000-4000-8000-00000000000a';
  assert.match((await c.command(`api originate {origination_uuid=${loop}}loopback/7001 &park()`)).body?.toString() ?? '', /^\+OK /);
  const a = await untilPark(events, loop);
  const create = a.find((e) => e['Event-Name'] === 'CHANNEL_CREATE')!;
  assert.equal(create['Channel-Read-Codec-Name'], 'L16');
  assert.equal(create['Caller-Network-Addr'], undefined);
  assert.equal(Object.keys(create).some((k) => k.startsWith('variable_sip_')), false);
});
