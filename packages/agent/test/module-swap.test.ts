// FreeSWITCH's mod_event_socket swaps any command whose header block mentions "unload" (or
// "reload") and "mod_event_socket" for `api bgapi unload mod_event_socket`, dropping every Event
// Socket connection; the verb denylist (`unload`) does not see it in an `echo`'s args. The ESL
// library refuses such a command before sending it: over the bus that is an INVALID_ARGUMENT error
// envelope naming FreeSWITCH's rule, and the commands after it are answered as usual.
import { after, before, describe, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { BusErrorCode } from '@fsbus/contract';
import { startCluster, type Cluster } from './support/cluster.js';

const RULE = /"unload" and "mod_event_socket".*"api bgapi unload mod_event_socket"/;

void describe('a command FreeSWITCH would swap for an unload of mod_event_socket, over NATS', () => {
  let cluster: Cluster;
  let subject: string;
  before(async () => {
    cluster = await startCluster({ config: { commands: { denylist: ['unload', 'reload'] } } });
    subject = cluster.nodes[0]!.agent.subjects.node('node-1');
  });
  after(() => cluster.stop());

  void test('api (and bg) with args mentioning both words: an INVALID_ARGUMENT envelope; the next commands are answered', async () => {
    for (const body of [
      { command: 'echo', args: 'unload mod_event_socket', correlation_id: 'swap-1' },
      { command: 'echo', args: 'Unload MOD_EVENT_SOCKET', bg: true, correlation_id: 'swap-1' },
    ]) {
      const r = await cluster.request(subject, JSON.stringify(body));
      assert.equal(r.success, false, JSON.stringify(r));
      assert.equal(r.code, BusErrorCode.INVALID_ARGUMENT);
      assert.match(r.message, RULE);
      assert.equal(r.correlation_id, 'swap-1');
    }
    const ok = await cluster.request(subject, JSON.stringify({ command: 'echo', args: 'still here' }));
    assert.equal(ok.success, true, JSON.stringify(ok));
    assert.equal(ok.data, 'still here');
  });

  void test('execute_app with such args: refused before any step (its vars are not set), the channel goes on', async () => {
    const o = await cluster.request(subject, JSON.stringify({ command: 'originate', endpoint: 'loopback/7001', extension: '&park()' }));
    assert.equal(o.success, true, JSON.stringify(o));
    const { uuid } = o.data as { uuid: string };
    const r = await cluster.request(subject, JSON.stringify({ command: 'execute_app', uuid, app: 'log', args: 'INFO unload mod_event_socket', vars: { fsbus_swap_mark: 'set' } }));
    assert.equal(r.success, false, JSON.stringify(r));
    assert.equal(r.code, BusErrorCode.INVALID_ARGUMENT);
    assert.match(r.message, RULE);
    const mark = await cluster.request(subject, JSON.stringify({ command: 'uuid_getvar', args: `${uuid} fsbus_swap_mark` }));
    assert.notEqual(mark.data, 'set', JSON.stringify(mark));
    const played = await cluster.request(subject, JSON.stringify({ command: 'execute_app', uuid, app: 'log', args: 'INFO fine' }));
    assert.equal(played.success, true, JSON.stringify(played));
  });
});
