import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { DEFAULT_DIALPLAN, parseStaticDialplan } from '../src/core/index.js';
import type { StaticDialplan } from '../src/core/index.js';
import { apiAt, harness, header } from './core-capture.js';

void describe('static dialplan', () => {
  void it('has the fixture scenario extensions 7001..7006', () => {
    const apps = (n: string) => DEFAULT_DIALPLAN['default']?.find((e) => e.conditions[0]?.expression === `^${n}$`)?.conditions[0]?.actions.map((a) => `${a.application}${a.data ? ' ' + a.data : ''}`);
    assert.deepEqual(apps('7001'), ['answer', 'park']);
    assert.deepEqual(apps('7002'), ['hangup USER_BUSY']);
    assert.deepEqual(apps('7003'), ['answer', 'echo']);
    assert.deepEqual(apps('7004'), ['answer', 'playback tone_stream://%(300,100,440);loops=2', 'hangup NORMAL_CLEARING']);
    assert.deepEqual(apps('7005'), ['socket 127.0.0.1:8084 async full']);
    assert.deepEqual(apps('7006'), ['ring_ready', 'sleep 60000']);
  });

  void it('matches conditions on other fields, substitutes captures, honours continue and anti-actions', async () => {
    const dialplan: StaticDialplan = {
      default: [
        { name: 'tag', continue: true, conditions: [{ field: 'caller_id_number', expression: '^1001$', actions: [{ application: 'set', data: 'vip=yes' }], antiActions: [{ application: 'set', data: 'vip=no' }] }] },
        { name: 'route', conditions: [{ expression: '^8(\\d+)$', actions: [{ application: 'set', data: 'rest=$1' }, { application: 'answer' }, { application: 'park' }] }] },
      ],
    };
    const h = harness({ dialplan });
    await apiAt(h, 'originate', '{origination_caller_id_number=1001}loopback/8123 &park()');
    const park = h.events.find((e) => e.name === 'CHANNEL_PARK' && header(e, 'Channel-Name') === 'loopback/8123-b')!;
    assert.equal(header(park, 'variable_vip'), 'yes');
    assert.equal(header(park, 'variable_rest'), '123');
    assert.equal(header(park, 'Channel-HIT-Dialplan'), 'true');
    await h.core.stop();
  });

  void it('a context of its own through loopback/<ext>/<context>, and the public → default transfer', async () => {
    const h = harness();
    const reply = await apiAt(h, 'originate', 'loopback/7001/public &park()');
    assert.match(reply, /^\+OK /);
    const b = h.events.filter((e) => header(e, 'Channel-Name') === 'loopback/7001-b');
    assert.ok(b.some((e) => e.name === 'CHANNEL_EXECUTE' && header(e, 'Application') === 'transfer'));
    const park = b.find((e) => e.name === 'CHANNEL_PARK')!;
    assert.equal(header(park, 'Caller-Context'), 'default');
    assert.equal(header(park, 'Caller-Profile-Index'), '2');
    await h.core.stop();
  });

  void it('reads a FreeSWITCH-style XML dialplan file into a static dialplan', async () => {
    const dialplan = parseStaticDialplan(`<include>
      <context name="default">
        <extension name="greet"><condition field="destination_number" expression="^5000$">
          <action application="answer"/><action application="set" data="greeting=hi &quot;there&quot;"/><action application="park"/>
        </condition></extension>
      </context>
      <context name="public"><extension name="x"><condition expression="^1$"><action application="hangup" data="CALL_REJECTED"/></condition></extension></context>
    </include>`);
    assert.deepEqual(Object.keys(dialplan), ['default', 'public']);
    const h = harness({ dialplan });
    await apiAt(h, 'originate', 'loopback/5000 &park()');
    const park = h.events.find((e) => e.name === 'CHANNEL_PARK' && header(e, 'Channel-Name') === 'loopback/5000-b')!;
    assert.equal(header(park, 'variable_greeting'), 'hi "there"');
    assert.equal(await apiAt(h, 'originate', 'loopback/1/public &park()', 1), '-ERR CALL_REJECTED\n');
    await h.core.stop();
  });

  void it('7003 echo and 7004 playback timing by the simulated clock', async () => {
    const h = harness();
    const reply = await apiAt(h, 'originate', 'loopback/7004 &park()');
    assert.match(reply, /^\+OK /);
    await h.clock.advance(799);
    assert.equal(h.events.some((e) => e.name === 'PLAYBACK_STOP'), false);
    await h.clock.advance(1);
    const stop = h.events.find((e) => e.name === 'PLAYBACK_STOP')!;
    assert.equal(header(stop, 'variable_playback_ms'), '800');
    assert.equal(header(stop, 'Playback-Status'), 'done');
    assert.equal(h.events.filter((e) => e.name === 'CHANNEL_DESTROY').length, 2);
    const echo = await apiAt(h, 'originate', 'loopback/7003 &park()');
    assert.match(echo, /^\+OK /);
    await h.clock.advance(60_000);
    assert.ok(h.core.hasChannel(echo.slice(4, -1)));
    await h.core.stop();
  });
});
