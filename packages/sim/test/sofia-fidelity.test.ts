/**
 * mod_sofia (FreeSWITCH 1.10.12) as the simulator models it, over the Event Socket: only its
 * profiles (internal, external) and the gateways declared in the options take a `sofia/` dial
 * string — sofia_outgoing_channel fails INVALID_GATEWAY / INVALID_PROFILE / INVALID_URL before
 * any session runs — and `sofia status` answers in cmd_status' layout.
 */
import { strict as assert } from 'node:assert';
import { afterEach, it } from 'node:test';
import { apiWire, type ApiWire } from './api-wire.js';
import type { SimulatorOptions } from '../src/index.js';

let wire: ApiWire | undefined;
void afterEach(async () => {
  await wire?.close();
  wire = undefined;
});
const open = async (options: SimulatorOptions = {}): Promise<ApiWire> => (wire = await apiWire(options));

/** The events up to the API event of the command just answered (fired after it returned). */
async function eventsOf(w: ApiWire, command: string): Promise<string[]> {
  const from = w.seen.length;
  await w.until((e) => e['Event-Name'] === 'API' && e['API-Command'] === command, `the API event of ${command}`);
  return w.seen.slice(from).map((e) => e['Event-Name'] ?? '');
}

void it('an unknown gateway or profile fails before any session: -ERR INVALID_GATEWAY / INVALID_PROFILE, no channel events', async () => {
  const w = await open();
  assert.equal(await w.api('originate sofia/gateway/nosuch/15551234 &park()'), '-ERR INVALID_GATEWAY\n');
  assert.deepEqual(await eventsOf(w, 'originate'), ['API']);
  assert.equal(await w.api('originate sofia/nosuch/1000@example.com &park()'), '-ERR INVALID_PROFILE\n');
  assert.deepEqual(await eventsOf(w, 'originate'), ['API']);
  // A profile or gateway with nothing after it is no URL at all.
  assert.equal(await w.api('originate sofia/internal &park()'), '-ERR INVALID_URL\n');
  assert.equal(await w.api('originate sofia/gateway/nosuch &park()'), '-ERR INVALID_URL\n');
  const reply = await w.bgapi('originate sofia/gateway/nosuch/15551234 &park()');
  const jobUuid = reply.replace(/^\+OK Job-UUID: /, '');
  const job = await w.until((e) => e['Event-Name'] === 'BACKGROUND_JOB' && e['Job-UUID'] === jobUuid);
  assert.equal(job['_body'], '-ERR INVALID_GATEWAY\n');
});

void it('a known profile keeps the scripted or default behaviour; a declared gateway too', async () => {
  const w = await open({ gateways: [{ name: 'gw1' }, { name: 'gw2', profile: 'internal' }] });
  assert.match(await w.api('originate sofia/internal/1000@example.com &park()'), /^\+OK [0-9a-f-]{36}\n$/);
  assert.match(await w.api('originate sofia/external/1000@example.com &park()'), /^\+OK [0-9a-f-]{36}\n$/);
  assert.match(await w.api('originate sofia/gateway/gw1/15551234 &park()'), /^\+OK [0-9a-f-]{36}\n$/);
  w.sim.core.control.setEndpointBehavior('sofia/gateway/gw2', { answer: 'busy' });
  assert.equal(await w.api('originate sofia/gateway/gw2/15551234 &park()'), '-ERR USER_BUSY\n');
  // Gateway names are case-sensitive (mod_sofia's gateway hash); the gateway/ prefix is not.
  assert.equal(await w.api('originate sofia/gateway/GW1/15551234 &park()'), '-ERR INVALID_GATEWAY\n');
  assert.match(await w.api('originate sofia/Gateway/gw1/15551234 &park()'), /^\+OK /);
});

void it('sofia status <unknown>: Invalid Gateway! / Invalid Profile! / Invalid Syntax!', async () => {
  const w = await open({ gateways: [{ name: 'gw1' }] });
  assert.equal(await w.api('sofia status gateway nosuch'), 'Invalid Gateway!\n');
  assert.equal(await w.api('sofia status profile nosuch'), 'Invalid Profile!\n');
  assert.equal(await w.api('sofia status profile nosuch reg'), 'Invalid Profile!\n');
  assert.equal(await w.api('sofia status what ever'), 'Invalid Syntax!\n');
  // A known one's detail (its configuration and call counters) is beyond the simulator.
  assert.equal(await w.api('sofia status profile internal'), '-ERR sofia status profile internal is not modelled by the simulator\n');
  assert.equal(await w.api('sofia status gateway gw1'), '-ERR sofia status gateway gw1 is not modelled by the simulator\n');
  assert.equal(await w.api('sofia status gateway'), '-ERR sofia status gateway is not modelled by the simulator\n');
});

void it('sofia status: cmd_status\' table (98 =, data right-aligned to 40, the profile URL with the IP, sessions in use)', async () => {
  const w = await open({ gateways: [{ name: 'gw1', username: 'joe', realm: 'example.com' }] });
  assert.match(await w.api('originate sofia/internal/1000@example.com &park()'), /^\+OK /);
  const line = '='.repeat(98);
  assert.equal(await w.api('sofia status'), [
    '                     Name\t   Type\t                                      Data\tState',
    line,
    '                 external\tprofile\t              sip:mod_sofia@127.0.0.1:5080\tRUNNING (0)',
    '            external::gw1\tgateway\t                       sip:joe@example.com\tNOREG',
    '                 internal\tprofile\t              sip:mod_sofia@127.0.0.1:5060\tRUNNING (1)',
    line,
    '2 profiles 0 aliases',
    '',
  ].join('\n'));
});
