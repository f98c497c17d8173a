// The security review's reproductions against a live agent with docs/agent.md's example denylist:
// an API called as `${name args}` (a blank, not brackets), the app uuid_broadcast runs
// (`system::…`), and a hook variable set through uuid_setvar / an originate variable block all
// reached FreeSWITCH with `system` (or `hupall`) denied. Each is now COMMAND_DENIED, audited with
// the verb refused; a crafted expansion nest is refused as unreadable (`?`).
import { after, before, describe, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { BusErrorCode, BusMessage } from '@fsbus/contract';
import { startCluster, type Cluster } from './support/cluster.js';

const SUBJECT = 'freeswitch.node.node-1';
// docs/agent.md's example, with hupall.
const DENYLIST = 'shutdown,fsctl,load,unload,reload,system,bg_system,spawn,bg_spawn,lua,luarun,perl,perlrun,python,pyrun,jsrun,jsapi,hupall';

void describe('the verb policy reads what FreeSWITCH would run besides the command line', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster({ env: { FSBUS_API_DENYLIST: DENYLIST } });
  });
  after(() => cluster.stop());

  void test('each reproduction is denied and audited with the verb refused', async () => {
    const { logs } = cluster.nodes[0]!;
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ command: 'eval', args: '${system touch /tmp/pwned}' }, 'system'],
      [{ command: 'eval', args: '${hupall NORMAL_CLEARING}' }, 'hupall'],
      [{ command: 'uuid_broadcast', args: 'a1b2c3 system::touch_/tmp/pwned aleg' }, 'system'],
      [{ command: 'sched_broadcast', args: '+5 a1b2c3 system::id' }, 'system'],
      [{ command: 'uuid_setvar', args: 'a1b2c3 api_hangup_hook system touch /tmp/pwned' }, 'system'],
      [{ command: 'uuid_setvar_multi', args: 'a1b2c3 x=1;execute_on_answer=system id' }, 'system'],
      [{ command: 'bgapi', args: 'originate {api_on_answer=system id}user/1000 &park()' }, 'system'],
      [{ command: 'eval', args: '${x('.repeat(63) + 'x '.repeat(30_000) }, '?'],
    ];
    for (const [body, verb] of cases) {
      const r = await cluster.request(SUBJECT, JSON.stringify(body));
      assert.equal(r.success, false, `${JSON.stringify(body).slice(0, 80)} ran: ${JSON.stringify(r)}`);
      assert.equal(r.code, BusErrorCode.COMMAND_DENIED, JSON.stringify(r));
      assert.equal(r.message, BusMessage.COMMAND_DENIED);
      const audit = logs.filter((l) => l['audit'] === 'command' && l['cmd'] === body['command']).at(-1);
      assert.equal(audit?.['denied_verb'], verb, `${String(body['command'])}: ${JSON.stringify(audit)}`);
      assert.equal(audit['code'], BusErrorCode.COMMAND_DENIED);
    }
    // A command that runs nothing listed still runs.
    assert.equal((await cluster.request(SUBJECT, '{"command":"status"}')).success, true);
  });
});
