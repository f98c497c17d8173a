// A command on the agent's own lane while FreeSWITCH refuses the ESL password was answered a bare
// "FreeSWITCH is not connected", while /readyz already named the refused password: the caller
// (often the only one who sees anything) could not tell a wrong password from FreeSWITCH down.
// The answer keeps its code and names the cause the link knows: the password, the event socket
// ACL, no listener.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { BusErrorCode } from '@fsbus/contract';
import { Simulator } from '@fsbus/sim';
import { until } from './support/cluster.js';
import { linesOf, withAgent, type EslPeer, type Rig } from './support/fault-rig.js';
import { httpGet } from './support/http-get.js';

async function simulator(opts: { acl?: string[] } = {}): Promise<{ sim: Simulator; peer: EslPeer }> {
  const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0, ...opts });
  const { port } = await sim.start();
  return { sim, peer: { port, stop: () => sim.stop() } };
}

const authState = (rig: Rig) => (rig.agent.status()['esl'] as { auth: string }).auth;
const readyzReason = async (rig: Rig) => (JSON.parse((await httpGet(rig.agent.httpPort!, '/readyz')).body) as { reason?: string }).reason;

void test('a refused ESL password: api and execute_app answers name it (password in the config file or FSBUS_ESL_PASSWORD)', async () => {
  const { sim, peer } = await simulator();
  sim.control.refuseAuth(true);
  await withAgent(peer, { waitReady: false }, async (rig) => {
    await until(rig.agent, () => authState(rig) === 'refused', 'the password refused');
    assert.match((await readyzReason(rig)) ?? '', /^FreeSWITCH refused the ESL password/);
    const api = await rig.request('{"command":"status"}');
    assert.equal(api.code, BusErrorCode.FREESWITCH_UNAVAILABLE, JSON.stringify(api));
    assert.equal(api.message, 'FreeSWITCH is not connected: it refused the ESL password (esl.password / FSBUS_ESL_PASSWORD)');
    const exec = await rig.request('{"command":"execute_app","uuid":"chan-1","app":"playback","args":"a.wav"}');
    assert.equal(exec.code, BusErrorCode.FREESWITCH_UNAVAILABLE, JSON.stringify(exec));
    assert.equal(exec.message, api.message);
  });
  // The variable it was read from is the one named.
  const second = await simulator();
  second.sim.control.refuseAuth(true);
  await withAgent(second.peer, { waitReady: false, env: { FSBUS_ESL_PASSWORD: 'Wr0ngPw' } }, async (rig) => {
    await until(rig.agent, () => authState(rig) === 'refused', 'the password refused');
    const api = await rig.request('{"command":"status"}');
    assert.equal(api.message, 'FreeSWITCH is not connected: it refused the ESL password (FSBUS_ESL_PASSWORD)', JSON.stringify(api));
    assert.ok(!JSON.stringify(rig.logs).includes('Wr0ngPw'));
  });
});

void test('no FreeSWITCH listening, or its ACL turning the agent away: the answer says that', async () => {
  const { sim, peer } = await simulator();
  await sim.control.stopListener();
  await withAgent(peer, { waitReady: false }, async (rig) => {
    await until(rig.agent, () => linesOf(rig.logs, 'FreeSWITCH not reachable, retrying').length >= 1, 'an attempt that found no listener');
    const api = await rig.request('{"command":"status"}');
    assert.equal(api.code, BusErrorCode.FREESWITCH_UNAVAILABLE, JSON.stringify(api));
    assert.match(api.message ?? '', /^FreeSWITCH is not connected: cannot connect to FreeSWITCH at 127\.0\.0\.1:\d+: connection (refused|reset)/);
  });
  const acl = await simulator({ acl: ['10.0.0.0/8'] });
  await withAgent(acl.peer, { waitReady: false }, async (rig) => {
    await until(rig.agent, () => (rig.counters()['esl_rejections'] ?? 0) >= 2, 'two turned-away attempts');
    const api = await rig.request('{"command":"status"}');
    assert.equal(api.code, BusErrorCode.FREESWITCH_UNAVAILABLE, JSON.stringify(api));
    assert.equal(api.message, 'FreeSWITCH is not connected: it turned the connection away (Access Denied, go away.): its event socket ACL (apply-inbound-acl) must allow this host');
  });
});
