// Commands FreeSWITCH 1.10.12's mod_event_socket would read differently from what the library
// meant (read_packet / parse_command): each is refused before it takes a reply slot or is
// written, with EslInvalidArgumentError, and the replies after it still go to the right requests.
// Against @fsbus/sim, which reads commands as read_packet does (any-case content-length, its
// 10 MiB cut); it does not model the NUL byte or parse_command's unload/reload swap, so those
// cases show the refusal and the queue staying in step.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { EslCommandError, EslEvent, EslInvalidArgumentError, type EslClient } from '../src/index.js';
import { bounded } from './support/scripted-peer.js';
import { coreEvent, originated, withSim } from './support/sim-inbound.js';

/** read_packet's max_len: a header block this long is cut into two commands. */
const MAX_HEAD_BYTES = 10 * 1024 * 1024;

/** The next api commands are answered each with its own reply, and nothing is left pending. */
async function inStep(client: EslClient, ...words: string[]): Promise<void> {
  const replies = words.map((w) => client.api(`echo ${w}`));
  for (const [i, w] of words.entries()) assert.equal(await bounded(replies[i]!, `echo ${w}`), w);
  assert.equal(client.pending, 0);
}

function refused(why: RegExp): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof EslInvalidArgumentError, String(err));
    assert.equal(err.code, 'FSBUS_ERR_ESL_INVALID_ARGUMENT');
    assert.match(err.message, why);
    return true;
  };
}

void test('(a) a caller content-length header, in any case, is not sent by sendevent (it would swallow the next command)', async () => {
  await withSim(async (sim, client) => {
    const ev = EslEvent.create('CUSTOM', 'fsbus::cl');
    ev.headers.set('content-length', '13');
    ev.headers.set('x-kept', 'yes');
    const fired = coreEvent(sim, (e) => e.subclass === 'fsbus::cl');
    const sent = client.sendevent(ev);
    const a = client.api('echo A');
    const b = client.api('echo B');
    assert.match(await bounded(sent, 'sendevent'), /^\+OK/);
    assert.equal(await bounded(a, 'echo A'), 'A');
    assert.equal(await bounded(b, 'echo B'), 'B');
    const event = await bounded(fired, 'the event');
    assert.equal(event.body, undefined);
    assert.ok(!event.headers.some(([n]) => n.toLowerCase() === 'content-length'), JSON.stringify(event.headers));
    assert.ok(event.headers.some(([n, v]) => n === 'x-kept' && v === 'yes'));
    assert.equal(client.pending, 0);
  });
});

void test('(a) EslEvent drops a content-length header in any case (constructor, addHeader); the body keeps its own', async () => {
  const made = new EslEvent({ 'Event-Name': 'CUSTOM', 'Event-Subclass': 'fsbus::cl', 'CONTENT-length': '99', 'x-a': '1' }, 'hello');
  assert.deepEqual([...made.headers.keys()], ['Event-Name', 'Event-Subclass', 'x-a']);
  made.addHeader('content-LENGTH', '7').addHeader('x-b', '2');
  assert.deepEqual([...made.headers.keys()], ['Event-Name', 'Event-Subclass', 'x-a', 'x-b']);
  await withSim(async (sim, client) => {
    const fired = coreEvent(sim, (e) => e.subclass === 'fsbus::cl');
    const sent = client.sendevent(made);
    const after = client.api('echo after');
    assert.match(await bounded(sent, 'sendevent'), /^\+OK/);
    assert.equal(await bounded(after, 'echo after'), 'after');
    assert.equal((await bounded(fired, 'the event')).body, 'hello');
  });
});

void test('(b) a NUL byte anywhere in a header block is refused before sending (FreeSWITCH stops reading there)', async () => {
  await withSim(async (_sim, client) => {
    const sentBefore = client.stats.requests;
    const nul = refused(/NUL byte/);
    await assert.rejects(client.bgapi('status x\0y'), nul);
    await assert.rejects(client.api('echo a\0b'), nul);
    await assert.rejects(client.sendRecv('api echo \0'), nul);
    await assert.rejects(client.bgapi('status', { jobUuid: 'job\0x' }), nul);
    await assert.rejects(client.execute('some-uuid\0', 'playback', 'x'), nul);
    await assert.rejects(client.execute('some-uuid', 'play\0back', 'x'), nul);
    await assert.rejects(client.execute('some-uuid', 'playback', 'x\0y'), nul);
    await assert.rejects(client.execute('some-uuid', 'playback', 'x', { eventUuid: 'ev\0' }), nul);
    await assert.rejects(client.sendmsg('some-uuid', { callCommand: 'execute', headers: { 'execute-app-name': 'log', 'x\0y': 'v' } }), nul);
    await assert.rejects(client.sendmsg('some-uuid', { callCommand: 'execute', headers: { 'execute-app-name': 'log\0' } }), nul);
    await assert.rejects(client.sendevent(EslEvent.create('CUSTOM', 'fsbus::nul').addHeader('x', 'a\0b')), nul);
    await assert.rejects(client.filter('x-h', 'a\0b'), nul);
    assert.equal(client.stats.requests, sentBefore, 'nothing was sent');
    await inStep(client, 'A', 'B');
  });
});

void test('(c) a header block of 10 MiB or more is refused (FreeSWITCH would cut it into two commands); just under it goes', async () => {
  await withSim(async (_sim, client) => {
    const sentBefore = client.stats.requests;
    const big = refused(/10485760 bytes/);
    await assert.rejects(client.api(`echo ${'x'.repeat(MAX_HEAD_BYTES)}`), big);
    // `api echo <w>\n\n` of exactly 10 MiB: refused.
    await assert.rejects(client.api(`echo ${'x'.repeat(MAX_HEAD_BYTES - 'api echo \n\n'.length)}`), big);
    // Counted in bytes: 2-byte characters reach the limit with half as many.
    await assert.rejects(client.api(`echo ${'é'.repeat(MAX_HEAD_BYTES / 2)}`), big);
    await assert.rejects(client.sendmsg('some-uuid', { callCommand: 'execute', headers: { 'execute-app-name': 'log', 'x-big': 'y'.repeat(MAX_HEAD_BYTES) } }), big);
    await assert.rejects(client.bgapi(`echo ${'z'.repeat(MAX_HEAD_BYTES)}`), big);
    assert.equal(client.stats.requests, sentBefore, 'nothing was sent');
    await inStep(client, 'B', 'C');
    // `api echo <w>\n\n` one byte under the limit: read whole.
    const w = 'w'.repeat(MAX_HEAD_BYTES - 1 - 'api echo \n\n'.length);
    const echoed = client.api(`echo ${w}`);
    const next = client.api('echo D');
    assert.equal((await bounded(echoed, 'the largest echo', 60_000)).length, w.length);
    assert.equal(await bounded(next, 'echo D'), 'D');
  });
});

void test('(d) a command mentioning unload/reload and mod_event_socket is refused (parse_command would swap in an unload/reload of the module)', async () => {
  await withSim(async (_sim, client) => {
    const sentBefore = client.stats.requests;
    const unload = refused(/"unload" and "mod_event_socket".*api bgapi unload mod_event_socket/);
    const reload = refused(/"reload" and "mod_event_socket".*api bgapi reload mod_event_socket/);
    await assert.rejects(client.api('echo unload mod_event_socket'), unload);
    await assert.rejects(client.api('echo UnLoad MOD_EVENT_SOCKET'), unload);
    await assert.rejects(client.api('echo reload mod_event_socket'), reload);
    await assert.rejects(client.bgapi('echo reloading mod_event_sockets'), reload);
    // Anywhere in the header block FreeSWITCH tests: split between the line and a header...
    await assert.rejects(client.bgapi('echo unload', { jobUuid: 'mod_event_socket-1' }), unload);
    // ...or carried by an execute's application argument header.
    await assert.rejects(client.execute('some-uuid', 'log', 'INFO unload mod_event_socket'), unload);
    await assert.rejects(client.sendevent(EslEvent.create('CUSTOM', 'fsbus::x').addHeader('x-note', 'reload mod_event_socket')), reload);
    // A refused subscription line is not recorded: bgapi still subscribes for its result itself.
    await assert.rejects(client.events('plain', ['ALL', 'CUSTOM', 'unload::mod_event_socket']), unload);
    assert.equal(client.stats.requests, sentBefore, 'nothing was sent');
    await inStep(client, 'A', 'B');
    assert.equal((await bounded(client.bgapi('echo job'), 'bgapi after the refused event line')).body, 'job');
    // FreeSWITCH does not test the body: an argument sent there goes (and this channel does not exist).
    await assert.rejects(client.sendmsg('no-such-uuid', { callCommand: 'execute', headers: { 'execute-app-name': 'log' }, body: 'INFO unload\nmod_event_socket' }), EslCommandError);
    // One word alone is fine.
    assert.equal(await bounded(client.api('echo unload mod_sofia'), 'echo unload'), 'unload mod_sofia');
    assert.equal(await bounded(client.api('echo mod_event_socket'), 'echo mod_event_socket'), 'mod_event_socket');
    await inStep(client, 'C');
  });
});

void test('(e) a jobUuid / eventUuid already pending on the connection is refused; the pending one gets its own result', async () => {
  await withSim(async (_sim, client) => {
    const first = client.bgapi('echo first', { jobUuid: 'fsbus-dup-job' });
    await assert.rejects(client.bgapi('echo second', { jobUuid: 'fsbus-dup-job' }), refused(/jobUuid fsbus-dup-job is already pending/));
    assert.deepEqual(await bounded(first, 'the first bgapi'), { jobUuid: 'fsbus-dup-job', body: 'first' });
    // Settled: the id may be used again.
    assert.equal((await bounded(client.bgapi('echo again', { jobUuid: 'fsbus-dup-job' }), 'bgapi again')).body, 'again');

    const uuid = originated(await client.api('originate loopback/7001 &park()'));
    const run = client.execute(uuid, 'playback', 'tone_stream://%(50,0,440)', { eventUuid: 'fsbus-dup-exec' });
    await assert.rejects(client.execute(uuid, 'log', 'INFO second', { eventUuid: 'fsbus-dup-exec' }), refused(/eventUuid fsbus-dup-exec is already pending/));
    const done = await bounded(run, 'the first execute');
    assert.equal(done.getHeader('Application'), 'playback');
    assert.equal(done.getHeader('Application-UUID'), 'fsbus-dup-exec');
    await client.api(`uuid_kill ${uuid}`);
    await inStep(client, 'A', 'B');
  });
});
