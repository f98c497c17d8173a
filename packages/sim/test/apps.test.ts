import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NO_FIXTURES, apiAt, capturedEvents, fixturesDir, harness, header, shape } from './core-capture.js';
import type { CoreEvent, OutboundChannel, OutboundConnector } from '../src/core/index.js';

const uuidOf = (reply: string): string => reply.slice(4, -1);
const names = (list: readonly CoreEvent[], uuid: string): string[] => list.filter((e) => e.uuid === uuid).map((e) => e.name);
const msg = (pairs: Array<[string, string]>) => ({ callCommand: pairs.find(([k]) => k === 'call-command')?.[1] ?? '', headers: new Map(pairs), body: undefined });

void describe('applications', () => {
  void it('play_and_get_digits collects digits injected through control.sendDigits', async () => {
    const h = harness();
    h.core.control.setEndpointBehavior('user/1000', { answer: 'answer' });
    const reply = await apiAt(h, 'originate', 'user/1000 &play_and_get_digits(2 4 3 5000 # prompt.wav invalid.wav my_digits \\d+)');
    const uuid = uuidOf(reply);
    await h.clock.advance(1000);
    assert.equal(h.events.filter((e) => e.name === 'CHANNEL_EXECUTE_COMPLETE').length, 0);
    assert.equal(h.core.control.sendDigits(uuid, '42#'), true);
    await h.clock.advance(1);
    const done = h.events.find((e) => e.name === 'CHANNEL_EXECUTE_COMPLETE' && header(e, 'Application') === 'play_and_get_digits');
    assert.ok(done);
    assert.equal(header(done, 'variable_my_digits'), '42');
    assert.equal(h.events.filter((e) => e.name === 'DTMF').map((e) => header(e, 'DTMF-Digit')).join(''), '42#');
    assert.equal(header(h.events.find((e) => e.name === 'CHANNEL_HANGUP_COMPLETE' && e.uuid === uuid)!, 'variable_my_digits'), '42');
    assert.equal(h.core.control.sendDigits('nope', '1'), false);
    await h.core.stop();
  });

  void it('play_and_get_digits retries on timeout, then gives up without the variable', async () => {
    const h = harness();
    const reply = await apiAt(h, 'originate', 'user/1000 &play_and_get_digits(1 1 2 3000 # p.wav i.wav v \\d)');
    const complete = (): CoreEvent | undefined => h.events.find((e) => e.name === 'CHANNEL_EXECUTE_COMPLETE' && header(e, 'Application') === 'play_and_get_digits');
    // Each try: the prompt (1 s), the 3 s timeout, the invalid file (1 s).
    await h.clock.advance(9999);
    assert.equal(complete(), undefined);
    await h.clock.advance(1);
    const done = complete();
    assert.ok(done);
    assert.equal(header(done, 'variable_v'), undefined);
    assert.ok(names(h.events, uuidOf(reply)).includes('CHANNEL_HANGUP'));
    await h.core.stop();
  });

  void it('bridge to user/1000: CHANNEL_BRIDGE with Other-Leg headers, UNBRIDGE and both legs down when one hangs up', async () => {
    const h = harness();
    h.core.control.setEndpointBehavior('user/1000', { answer: 'answer', delayMs: 200 });
    const reply = await apiAt(h, 'originate', '{origination_caller_id_number=2000}loopback/7008 &park()', 200);
    assert.match(reply, /^\+OK /);
    const bridge = h.events.find((e) => e.name === 'CHANNEL_BRIDGE');
    assert.ok(bridge);
    assert.equal(header(bridge, 'Channel-Name'), 'loopback/7008-b');
    const peer = header(bridge, 'Bridge-B-Unique-ID') ?? '';
    assert.equal(header(bridge, 'Other-Type'), 'originatee');
    assert.equal(header(bridge, 'Other-Leg-Unique-ID'), peer);
    assert.equal(header(bridge, 'Other-Leg-Caller-ID-Number'), '2000');
    // The dialled leg is born knowing its originator, as in FreeSWITCH's CHANNEL_CREATE of a B-leg:
    // Other-Type originator, Other-Leg-* of the bridging leg, the originator vars, the call's uuid.
    const caller = header(bridge, 'Unique-ID');
    const created = h.events.find((e) => e.name === 'CHANNEL_CREATE' && e.uuid === peer);
    assert.ok(created);
    assert.equal(header(created, 'Other-Type'), 'originator');
    assert.equal(header(created, 'Other-Leg-Unique-ID'), caller);
    assert.equal(header(created, 'Other-Leg-Channel-Name'), 'loopback/7008-b');
    assert.equal(header(created, 'variable_originator'), caller);
    assert.equal(header(created, 'variable_originating_leg_uuid'), caller);
    assert.equal(header(created, 'variable_signal_bond'), caller);
    assert.equal(header(created, 'Channel-Call-UUID'), header(bridge, 'Channel-Call-UUID'));
    // An api originate has no originator: its leg's CHANNEL_CREATE names none.
    const apiLeg = h.events.find((e) => e.name === 'CHANNEL_CREATE' && header(e, 'Channel-Name') === 'loopback/7008-a');
    assert.ok(apiLeg);
    assert.equal(header(apiLeg, 'Other-Type'), undefined);
    assert.equal(header(apiLeg, 'variable_originator'), undefined);
    assert.match(await apiAt(h, 'show', 'calls'), /\n\n2 total\.\n$/);
    assert.equal(await apiAt(h, 'uuid_kill', peer), '+OK\n');
    await h.clock.advance(1);
    assert.equal(h.events.filter((e) => e.name === 'CHANNEL_UNBRIDGE').length, 1);
    assert.equal(h.events.filter((e) => e.name === 'CHANNEL_DESTROY').length, 3);
    await h.core.stop();
  });

  void it('scripted endpoints: busy, error:<cause>, no answer', async () => {
    const h = harness();
    h.core.control.setEndpointBehavior('user/1001', { answer: 'busy', delayMs: 100 });
    h.core.control.setEndpointBehavior('sofia/external', { answer: 'error:CALL_REJECTED' });
    h.core.control.setEndpointBehavior('user/1002', { answer: 'no-answer' });
    assert.equal(await apiAt(h, 'originate', 'user/1001 &park()', 100), '-ERR USER_BUSY\n');
    assert.equal(await apiAt(h, 'originate', 'sofia/external/123@example.com &park()', 1), '-ERR CALL_REJECTED\n');
    assert.equal(await apiAt(h, 'originate', 'user/1002 &park() XML default a b 3', 3000), '-ERR NO_ANSWER\n');
    assert.equal(await apiAt(h, 'originate', 'nosuch/1 &park()'), '-ERR CHAN_NOT_IMPLEMENTED\n');
    assert.ok(h.events.some((e) => e.name === 'CHANNEL_PROGRESS'));
    await h.clock.advance(1);
    assert.equal(await apiAt(h, 'show', 'channels'), '\n0 total.\n');
    await h.core.stop();
  });

  void it('sendmsg execute: Event-UUID becomes Application-UUID, loops repeat, hangup message, unknown session', async () => {
    const h = harness();
    const uuid = uuidOf(await apiAt(h, 'originate', 'loopback/7001 &park()'));
    const before = h.events.length;
    const r = h.core.sendmsg(uuid, msg([['call-command', 'execute'], ['execute-app-name', 'playback'], ['execute-app-arg', 'silence_stream://600'], ['loops', '2'], ['event-lock', 'true'], ['Event-UUID', 'cafe0000-0000-4000-8000-000000000001']]));
    assert.equal(r, '+OK');
    await h.clock.advance(1300);
    const mine = h.events.slice(before).filter((e) => e.uuid === uuid);
    assert.deepEqual(mine.map((e) => e.name), ['CHANNEL_EXECUTE', 'PLAYBACK_START', 'PLAYBACK_STOP', 'CHANNEL_EXECUTE_COMPLETE', 'CHANNEL_EXECUTE', 'PLAYBACK_START', 'PLAYBACK_STOP', 'CHANNEL_EXECUTE_COMPLETE', 'PRIVATE_COMMAND']);
    assert.ok(mine.filter((e) => e.name.startsWith('CHANNEL_EXECUTE')).every((e) => header(e, 'Application-UUID') === 'cafe0000-0000-4000-8000-000000000001'));
    assert.equal(header(mine[3]!, 'Application-Response'), 'FILE PLAYED');
    assert.equal(header(mine[8]!, 'Command'), `sendmsg ${uuid}`);
    assert.equal(h.core.sendmsg(uuid, msg([['call-command', 'hangup'], ['hangup-cause', 'USER_BUSY']])), '+OK');
    await h.clock.advance(1);
    assert.equal(header(h.events.find((e) => e.name === 'CHANNEL_HANGUP_COMPLETE' && e.uuid === uuid)!, 'Hangup-Cause'), 'USER_BUSY');
    assert.equal(h.core.sendmsg('nope', msg([['call-command', 'execute']])), '-ERR invalid session id [nope]');
    await h.core.stop();
  });

  void it('sendmsg execute as switch_ivr_parse_event: loops stop after a short run, 0 runs none, -1 repeats, body only as text/plain', async () => {
    const h = harness();
    const uuid = uuidOf(await apiAt(h, 'originate', 'loopback/7001 &park()'));
    const completes = (from: number): CoreEvent[] => h.events.slice(from).filter((e) => e.uuid === uuid && e.name === 'CHANNEL_EXECUTE_COMPLETE');
    const send = (pairs: Array<[string, string]>, body?: string): string =>
      h.core.sendmsg(uuid, { callCommand: 'execute', headers: new Map<string, string>([['call-command', 'execute'], ...pairs]), body });
    // An iteration under 0.5 s ends the loop: `set` runs once whatever loops says.
    let at = h.events.length;
    send([['execute-app-name', 'set'], ['execute-app-arg', 'a=b'], ['loops', '3']]);
    await h.clock.advance(1);
    assert.equal(completes(at).length, 1);
    // loops 0 (or anything atoi reads as 0) runs nothing.
    at = h.events.length;
    send([['execute-app-name', 'set'], ['execute-app-arg', 'z=1'], ['loops', '0']]);
    send([['execute-app-name', 'set'], ['execute-app-arg', 'z=2'], ['loops', 'many']]);
    await h.clock.advance(1);
    assert.equal(completes(at).length, 0);
    assert.equal(await apiAt(h, 'uuid_getvar', `${uuid} z`), '_undef_');
    // The body is the argument only with content-type text/plain (and no execute-app-arg).
    send([['execute-app-name', 'set'], ['Content-Length', '7']], 'foo=bar');
    send([['execute-app-name', 'set'], ['Content-Type', 'TEXT/PLAIN'], ['Content-Length', '7']], 'qux=bar');
    await h.clock.advance(1);
    assert.equal(await apiAt(h, 'uuid_getvar', `${uuid} foo`), '_undef_');
    assert.equal(await apiAt(h, 'uuid_getvar', `${uuid} qux`), 'bar');
    // Iterations of 0.5 s and more go on: loops -1 until the channel goes.
    at = h.events.length;
    send([['execute-app-name', 'playback'], ['execute-app-arg', 'silence_stream://600'], ['loops', '-1']]);
    await h.clock.advance(3100);
    assert.equal(completes(at).length, 5);
    await apiAt(h, 'uuid_kill', uuid, 1000);
    assert.equal(h.core.hasChannel(uuid), false);
    // The run under way when the channel went is the last one.
    assert.equal(completes(at).filter((e) => header(e, 'Application') === 'playback').length, 6);
    await h.core.stop();
  });

  void it('uuid_bridge links two parked calls; uuid_kill on one ends both', async () => {
    const h = harness();
    const a = uuidOf(await apiAt(h, 'originate', 'loopback/7001 &park()'));
    const b = uuidOf(await apiAt(h, 'originate', 'user/1000 &park()'));
    assert.equal(await apiAt(h, 'uuid_bridge', `${a} ${b}`), `+OK ${b}\n`);
    await h.clock.advance(1);
    const bridge = h.events.find((e) => e.name === 'CHANNEL_BRIDGE');
    assert.equal(bridge?.uuid, a);
    assert.ok(h.events.some((e) => e.name === 'CHANNEL_UNPARK' && e.uuid === b));
    // The first leg bridges from CS_SOFT_EXECUTE (uuid_bridge_on_soft_execute); only the other enters CS_EXCHANGE_MEDIA.
    const states = (state: string) => h.events.filter((e) => e.name === 'CHANNEL_STATE' && header(e, 'Channel-State') === state).map((e) => e.uuid);
    assert.deepEqual(states('CS_EXCHANGE_MEDIA'), [b]);
    assert.deepEqual(states('CS_SOFT_EXECUTE'), [a, b]);
    await apiAt(h, 'uuid_kill', b, 1);
    assert.ok(h.events.some((e) => e.name === 'CHANNEL_UNBRIDGE'));
    assert.equal(h.core.hasChannel(a), false);
    await h.core.stop();
  });

  void it('uuid_transfer sends a parked channel to another extension', async () => {
    const h = harness();
    const a = uuidOf(await apiAt(h, 'originate', 'user/1000 &park()'));
    assert.equal(await apiAt(h, 'uuid_transfer', `${a} 7002 XML default`, 1), '+OK\n');
    const hc = h.events.find((e) => e.name === 'CHANNEL_HANGUP_COMPLETE' && e.uuid === a);
    assert.equal(header(hc!, 'Hangup-Cause'), 'USER_BUSY');
    assert.equal(header(hc!, 'Caller-Destination-Number'), '7002');
    assert.equal(await apiAt(h, 'uuid_transfer', 'nope 7001'), '-ERR No such channel!\n');
    await h.core.stop();
  });

  void it('7006 ring_ready + sleep: CHANNEL_PROGRESS, originate times out with NO_ANSWER', async () => {
    const h = harness();
    assert.equal(await apiAt(h, 'originate', 'loopback/7006 &park() XML default x y 10', 10_000), '-ERR NO_ANSWER\n');
    assert.ok(h.events.some((e) => e.name === 'CHANNEL_PROGRESS' && header(e, 'Channel-Name') === 'loopback/7006-a'));
    await h.clock.advance(1);
    assert.equal(h.events.filter((e) => e.name === 'CHANNEL_DESTROY').length, 2);
    await h.core.stop();
  });

  void it('pre_answer: CHANNEL_PROGRESS_MEDIA and EARLY on both loopback legs, then answer', async () => {
    const h = harness({
      dialplan: { default: [{ name: 'early', conditions: [{ expression: '^6000$', actions: [{ application: 'pre_answer' }, { application: 'playback', data: 'silence_stream://500' }, { application: 'answer' }, { application: 'park' }] }] }] },
    });
    const pending = h.core.api('originate', 'loopback/6000 &park()');
    await h.clock.advance(100);
    const early = h.events.filter((e) => e.name === 'CHANNEL_PROGRESS_MEDIA').map((e) => header(e, 'Channel-Name'));
    assert.deepEqual(early.sort(), ['loopback/6000-a', 'loopback/6000-b']);
    assert.ok(h.events.some((e) => e.name === 'CHANNEL_CALLSTATE' && header(e, 'Channel-Call-State') === 'EARLY'));
    await h.clock.advance(400);
    assert.match(await pending, /^\+OK /);
    const b = h.events.filter((e) => header(e, 'Channel-Name') === 'loopback/6000-b');
    assert.equal(header(b.find((e) => e.name === 'CHANNEL_ANSWER')!, 'Channel-Call-State'), 'EARLY');
    await h.core.stop();
  });

  void it('set / export / hangup with a cause from a custom dialplan', async () => {
    const h = harness({
      dialplan: { default: [{ name: 'x', conditions: [{ expression: '^(55)(\\d+)$', actions: [{ application: 'set', data: 'a=$2' }, { application: 'export', data: 'b=${a}' }, { application: 'answer' }, { application: 'hangup', data: '17' }] }] }] },
    });
    await apiAt(h, 'originate', 'loopback/55123 &park()', 1);
    const hc = h.events.find((e) => e.name === 'CHANNEL_HANGUP_COMPLETE' && header(e, 'Channel-Name') === 'loopback/55123-b')!;
    assert.equal(header(hc, 'variable_a'), '123');
    assert.equal(header(hc, 'variable_b'), '123');
    assert.equal(header(hc, 'Hangup-Cause'), 'USER_BUSY');
    const other = h.events.find((e) => e.name === 'CHANNEL_HANGUP_COMPLETE' && header(e, 'Channel-Name') === 'loopback/55123-a')!;
    // export sets the exporting leg's variable only (switch_channel_export_variable_var_check):
    // export_vars reaches legs originated later, not the loopback partner already up.
    assert.equal(header(other, 'variable_b'), undefined);
    assert.equal(header(hc, 'variable_export_vars'), 'b');
    assert.equal(await apiAt(h, 'originate', 'loopback/999 &park()', 1), '-ERR NO_ROUTE_DESTINATION\n');
    await h.core.stop();
  });
});

/** Header names of the CHANNEL_DATA FreeSWITCH sent in reply to `connect` in the outbound capture. */
function outboundChannelDataNames(): string[] {
  const chunks = JSON.parse(readFileSync(join(fixturesDir() ?? '', 'shared-outbound.json'), 'utf8')) as Array<{ dir: string; data: string }>;
  const text = Buffer.from(chunks.find((c) => c.dir === 'in')?.data ?? '', 'base64').toString('utf8');
  return text.split('\n\n')[0]?.split('\n').map((l) => l.slice(0, l.indexOf(':'))) ?? [];
}

/** A tiny outbound server side in-process, playing the capture's script through the seam. */
class ScriptedOutbound implements OutboundConnector {
  channelData: ReadonlyArray<readonly [string, string]> | undefined;
  replies: string[] = [];
  destroyedBeforeExit: boolean | undefined;
  h2: ReturnType<typeof harness> | undefined;
  constructor(private readonly h: ReturnType<typeof harness>, private readonly fail = false) {}
  async connect(target: { host: string; port: number; async: boolean; full: boolean }, ch: OutboundChannel): Promise<void> {
    if (this.fail) throw new Error('ECONNREFUSED');
    assert.deepEqual(target, { host: '127.0.0.1', port: 8084, async: true, full: true });
    this.channelData = ch.channelData();
    await this.h.clock.advance(0);
    // Like the captured server: each command once the previous one's CHANNEL_EXECUTE_COMPLETE came.
    this.replies.push(ch.sendmsg({ callCommand: 'execute', headers: new Map([['call-command', 'execute'], ['execute-app-name', 'answer'], ['event-uuid', 'aaaaaaaa-0000-0000-0000-000000000001']]), body: undefined }));
    await this.h.clock.advance(0);
    this.replies.push(ch.sendmsg({ callCommand: 'execute', headers: new Map([['call-command', 'execute'], ['execute-app-name', 'playback'], ['execute-app-arg', 'tone_stream://%(200,0,350)'], ['event-uuid', 'aaaaaaaa-0000-0000-0000-000000000002']]), body: undefined }));
    await this.h.clock.advance(200);
    this.replies.push(ch.getVariable('caller_id_number') ?? '');
    this.replies.push(ch.sendmsg({ callCommand: 'hangup', headers: new Map([['call-command', 'hangup'], ['hangup-cause', 'NORMAL_CLEARING']]), body: undefined }));
    // The server says `exit` once the channel is down; FreeSWITCH destroys it only after that.
    await this.h.clock.advance(0);
    this.destroyedBeforeExit = this.h2?.events.some((e) => e.name === 'CHANNEL_DESTROY' && e.uuid === ch.uuid) ?? false;
  }
}

void describe('socket application', () => {
  void it('7005 socket async full: the captured event sequence per channel and CHANNEL_DATA', { skip: NO_FIXTURES }, async () => {
    const h = harness();
    const connector = new ScriptedOutbound(h);
    const h2 = harness({ outbound: connector, clock: h.clock });
    connector.h2 = h2;
    h2.core.bgapi('originate', 'loopback/7005 &park()', 'job-1');
    for (let i = 0; i < 5; i++) await h.clock.advance(200);
    assert.deepEqual(connector.replies, ['+OK', '+OK', '0000000000', '+OK']);
    assert.equal(connector.destroyedBeforeExit, false, 'CS_DESTROY waits for the outbound session to close');
    const captured = capturedEvents().filter((e) => e.seq >= 825 && e.seq <= 880);
    for (const leg of ['loopback/7005-a', 'loopback/7005-b']) {
      const want = captured.filter((e) => header(e, 'Channel-Name') === leg).map((e) => e.name);
      const got = h2.events.filter((e) => header(e, 'Channel-Name') === leg).map((e) => e.name);
      assert.deepEqual(got, want, leg);
    }
    const data = connector.channelData ?? [];
    assert.equal(data[0]?.[1], 'CHANNEL_DATA');
    assert.equal(data.find(([k]) => k === 'Event-Calling-Line-Number')?.[1], '2021');
    assert.equal(data[13]?.[0], 'Channel-Direction');
    assert.ok(data.some(([k, v]) => k === 'Channel-Channel-Name' && v === 'loopback/7005-b'));
    // The wire layer appends Content-Type, Reply-Text, Socket-Mode and Control to the connect reply.
    const capturedData = outboundChannelDataNames().filter((n) => !['Content-Type', 'Reply-Text', 'Socket-Mode', 'Control'].includes(n));
    assert.deepEqual(shape({ headers: data }), shape({ headers: capturedData.map((n) => [n, ''] as const) }));
    const pc = h2.events.filter((e) => e.name === 'PRIVATE_COMMAND');
    assert.equal(header(pc[0]!, 'Command'), 'sendmsg\ncall-command: execute\nexecute-app-name: playback\nexecute-app-arg: tone_stream://%(200,0,350)\nevent-uuid: aaaaaaaa-0000-0000-0000-000000000002\n\n');
    await h2.core.stop();
    await h.core.stop();
  });

  // mod_event_socket has no hangup of its own: socket_function returns into the extension; async
  // `resume` only sets CS_EXECUTE, which the channel is already in.
  void it('when the session ends the dialplan goes on, resume or not', async () => {
    const dialplan = { default: [{ name: 's', conditions: [{ expression: '^7010$', actions: [{ application: 'answer' }, { application: 'socket', data: '127.0.0.1:8084 async full' }, { application: 'playback', data: 'silence_stream://100' }, { application: 'hangup', data: 'CALL_REJECTED' }] }] }] };
    for (const resume of [false, true]) {
      const h = harness();
      const connector: OutboundConnector = {
        connect: async (_t, ch) => {
          ch.channelData();
          if (resume) ch.resume?.();
          await h.clock.advance(0);
        },
      };
      const h2 = harness({ dialplan, outbound: connector, clock: h.clock });
      await apiAt(h2, 'originate', 'loopback/7010 &park()', 10);
      await h.clock.advance(200);
      const hc = h2.events.find((e) => e.name === 'CHANNEL_HANGUP_COMPLETE' && header(e, 'Channel-Name') === 'loopback/7010-b');
      assert.equal(header(hc!, 'Hangup-Cause'), 'CALL_REJECTED', `resume=${resume}`);
      assert.equal(h2.events.some((e) => e.name === 'PLAYBACK_START'), true, `resume=${resume}`);
      await h2.core.stop();
      await h.core.stop();
    }
  });

  void it('an unreachable outbound server: Socket Error! logged, the application returns and the dialplan goes on', async () => {
    const dialplan = { default: [{ name: 's', conditions: [{ expression: '^7010$', actions: [{ application: 'answer' }, { application: 'socket', data: '127.0.0.1:8084 async full' }, { application: 'playback', data: 'silence_stream://100' }, { application: 'hangup', data: 'CALL_REJECTED' }] }] }] };
    const h = harness();
    const h2 = harness({ dialplan, outbound: new ScriptedOutbound(h, true), clock: h.clock });
    const logged: string[] = [];
    h2.core.onLog((line) => logged.push(line.text.trim()));
    await apiAt(h2, 'originate', 'loopback/7010 &park()', 10);
    await h.clock.advance(200);
    const hc = h2.events.find((e) => e.name === 'CHANNEL_HANGUP_COMPLETE' && header(e, 'Channel-Name') === 'loopback/7010-b');
    assert.equal(header(hc!, 'Hangup-Cause'), 'CALL_REJECTED');
    assert.equal(h2.events.some((e) => e.name === 'PLAYBACK_START'), true);
    assert.deepEqual(logged.filter((l) => l.includes('Socket Error')).map((l) => l.replace(/^.*(Socket Error)/, '$1')), ['Socket Error: Connection refused', 'Socket Error!']);
    await h2.core.stop();
    await h.core.stop();
  });
});
