/**
 * mod_sofia gateways declared or taken away while the simulator runs (core.control and the
 * control HTTP API), their `proxy` in `sofia status`, and the names a dial string could not reach.
 */
import { strict as assert } from 'node:assert';
import { afterEach, it } from 'node:test';
import { apiWire, type ApiWire } from './api-wire.js';
import { controlHttp } from './control-http.js';
import { SimConfigError, Simulator, type SimulatorOptions } from '../src/index.js';

let wire: ApiWire | undefined;
void afterEach(async () => {
  await wire?.close();
  wire = undefined;
});
const open = async (options: SimulatorOptions = {}): Promise<ApiWire> => (wire = await apiWire(options));

const OK = /^\+OK [0-9a-f-]{36}\n$/;
const line = '='.repeat(98);

void it('core.control: a gateway added is dialled and listed, removed it is INVALID_GATEWAY again; reset() restores the option\'s', async () => {
  const w = await open({ gateways: [{ name: 'gw1' }] });
  const control = w.sim.core.control;
  assert.equal(await w.api('originate sofia/gateway/carrier/15551234 &park()'), '-ERR INVALID_GATEWAY\n');
  control.addGateway({ name: 'carrier', proxy: 'sip:sip.example.com:5060' });
  assert.match(await w.api('originate sofia/gateway/carrier/15551234 &park()'), OK);
  assert.deepEqual(control.listGateways(), [
    { name: 'gw1', profile: 'external', username: 'FreeSWITCH', realm: 'gw1', proxy: 'gw1' },
    { name: 'carrier', profile: 'external', username: 'FreeSWITCH', realm: 'carrier', proxy: 'sip:sip.example.com:5060' },
  ]);
  // mod_sofia's register_to: the username at the proxy, its sip: taken off.
  assert.match(await w.api('sofia status'), /\n        external::carrier\tgateway\t  +sip:FreeSWITCH@sip\.example\.com:5060\tNOREG\n/);
  // mod_sofia refuses a second gateway of one name.
  assert.throws(() => control.addGateway({ name: 'carrier' }), (err: unknown) => err instanceof SimConfigError && /gateway "carrier" already exists/.test(err.message));
  assert.equal(control.removeGateway('carrier'), true);
  assert.equal(control.removeGateway('carrier'), false);
  assert.equal(await w.api('originate sofia/gateway/carrier/15551234 &park()'), '-ERR INVALID_GATEWAY\n');
  assert.equal(await w.api('sofia status gateway carrier'), 'Invalid Gateway!\n');
  // A leg dialled while its gateway existed still counts on the gateway's profile.
  control.addGateway({ name: 'inner', profile: 'internal' });
  assert.match(await w.api('originate sofia/gateway/inner/15551234 &park()'), OK);
  assert.equal(control.removeGateway('inner'), true);
  assert.match(await w.api('sofia status'), /\n +internal\tprofile\t +sip:mod_sofia@127\.0\.0\.1:5060\tRUNNING \(1\)\n/);
  // The option's gateway can go too; reset() brings the option's set back and forgets the rest.
  assert.equal(control.removeGateway('gw1'), true);
  control.addGateway({ name: 'other', profile: 'internal' });
  await w.sim.reset();
  assert.deepEqual(control.listGateways().map((g) => g.name), ['gw1']);
  assert.match(await w.api('originate sofia/gateway/gw1/15551234 &park()'), OK);
});

void it('a gateway a dial string could not name, or a field that is not a string, is refused (SimConfigError)', async () => {
  for (const name of ['', 'a/b', 'a b', 'a,b', 'a|b']) {
    assert.throws(() => new Simulator({ port: 0, gateways: [{ name }] }), SimConfigError, JSON.stringify(name));
  }
  assert.throws(() => new Simulator({ port: 0, gateways: [{ name: 'gw', profile: 'nosuch' as 'internal' }] }), /profile must be internal or external/);
  assert.throws(() => new Simulator({ port: 0, gateways: [{ name: 'gw', proxy: '' }] }), /proxy must be a non-empty string without whitespace/);
  // The option keeps mod_sofia's rule for a second gateway of one name: the first wins.
  const sim = new Simulator({ port: 0, gateways: [{ name: 'gw', realm: 'one' }, { name: 'gw', realm: 'two' }] });
  assert.deepEqual(sim.core.control.listGateways().map((g) => g.realm), ['one']);
});

void it('sofia status: a proxy without sip: is the data\'s host; gateways follow their profile', async () => {
  const w = await open({ gateways: [{ name: 'gw1', proxy: '192.0.2.1:5070' }, { name: 'gw2', profile: 'internal', username: 'joe', realm: 'example.com' }] });
  assert.equal(await w.api('sofia status'), [
    '                     Name\t   Type\t                                      Data\tState',
    line,
    '                 external\tprofile\t              sip:mod_sofia@127.0.0.1:5080\tRUNNING (0)',
    '            external::gw1\tgateway\t             sip:FreeSWITCH@192.0.2.1:5070\tNOREG',
    '                 internal\tprofile\t              sip:mod_sofia@127.0.0.1:5060\tRUNNING (0)',
    '            internal::gw2\tgateway\t                       sip:joe@example.com\tNOREG',
    line,
    '2 profiles 0 aliases',
    '',
  ].join('\n'));
});

void it('HTTP: POST /gateways adds, GET /gateways lists, POST /gateways/remove removes; bad bodies are 400', async () => {
  const w = await open({ controlPort: 0 });
  // start() again answers the addresses it bound.
  const { controlPort = 0 } = await w.sim.start();
  const http = controlHttp(() => controlPort);
  assert.deepEqual((await http('GET', '/gateways')).json, { gateways: [] });
  const added = await http('POST', '/gateways', { name: 'carrier', proxy: 'sip.example.com' });
  assert.equal(added.status, 200);
  assert.deepEqual(added.json, { gateways: [{ name: 'carrier', profile: 'external', username: 'FreeSWITCH', realm: 'carrier', proxy: 'sip.example.com' }] });
  assert.match(await w.api('originate sofia/gateway/carrier/1000 &park()'), OK);
  assert.match(await w.api('sofia status'), /\n +external::carrier\tgateway\t +sip:FreeSWITCH@sip\.example\.com\tNOREG\n/);
  for (const body of [{}, { name: 'a/b' }, { name: 'carrier' }, { name: 'x', profile: 'nosuch' }, { name: 'x', username: 3 }]) {
    const refused = await http('POST', '/gateways', body);
    assert.equal(refused.status, 400, JSON.stringify(body));
    assert.equal(refused.json['code'], 'FSBUS_ERR_SIM_CONFIG');
  }
  assert.match(String((await http('POST', '/gateways', { name: 'carrier' })).json['error']), /gateway "carrier" already exists/);
  assert.deepEqual((await http('POST', '/gateways/remove', { name: 'carrier' })).json, { removed: true });
  assert.deepEqual((await http('POST', '/gateways/remove', { name: 'carrier' })).json, { removed: false });
  assert.equal((await http('POST', '/gateways/remove', {})).status, 400);
  assert.equal(await w.api('originate sofia/gateway/carrier/1000 &park()'), '-ERR INVALID_GATEWAY\n');
  assert.deepEqual((await http('GET', '/gateways')).json, { gateways: [] });
});
