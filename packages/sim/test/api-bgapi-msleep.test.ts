/**
 * mod_commands' `bgapi` and `msleep` APIs (FreeSWITCH 1.10.12), which an `api` over the Event
 * Socket reaches like any other:
 * - bgapi_function answers `+OK Job-UUID: <uuid>` (`uuid:<id> ` names the job) and runs the
 *   command on a thread of its own (bgapi_exec): its API event, then a BACKGROUND_JOB from
 *   mod_commands (no Job-Owner-UUID) whose Job-Command / Job-Command-Arg split the line at its
 *   first blank; an unknown command's body is `<cmd>: Command not found!`. Nothing to run is
 *   `-ERR Invalid syntax`.
 * - msleep_function yields the milliseconds given (atol), then writes `+OK`; the connection that
 *   sent it waits for that (mod_event_socket runs `api` on its reader), the rest of the simulator
 *   does not.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { apiWirePerTest, on, type JsonEvent } from './api-wire.js';
import { WireClient } from './listener-client.js';
import { apiAt, harness, header } from './core-capture.js';

const U = 'b9a90000-0000-4000-8000-000000000001';
const JOB = 'b9a90000-0000-4000-8000-0000000000aa';
const JOB_REPLY = /^\+OK Job-UUID: ([0-9a-f-]{36})\n$/;

const open = apiWirePerTest();

const job = (uuid: string) => (e: JsonEvent): boolean => e['Event-Name'] === 'BACKGROUND_JOB' && e['Job-UUID'] === uuid;

void describe('api bgapi', () => {
  void it('api bgapi hupall: the job uuid at once, then hupall runs (its API event) and BACKGROUND_JOB carries its reply', async () => {
    const w = await open();
    assert.equal(await w.api(`originate {origination_uuid=${U}}user/1000 &park()`), `+OK ${U}\n`);
    const reply = await w.api('bgapi hupall');
    const uuid = JOB_REPLY.exec(reply)?.[1];
    assert.ok(uuid !== undefined, `a job uuid in ${JSON.stringify(reply)}`);
    const done = await w.until(job(uuid), 'the BACKGROUND_JOB');
    assert.equal(done['Job-Command'], 'hupall');
    assert.equal(done['Job-Command-Arg'], undefined, 'no argument, no header');
    assert.equal(done['Job-Owner-UUID'], undefined, 'mod_commands names no owner');
    assert.equal(done['_body'], '+OK hangup all channels with cause MANAGER_REQUEST\n');
    assert.equal(done['Event-Calling-File'], 'mod_commands.c');
    assert.equal(done['Event-Calling-Function'], 'bgapi_exec');
    const apis = w.seen.filter((e) => e['Event-Name'] === 'API').map((e) => `${e['API-Command'] ?? ''} ${e['API-Command-Argument'] ?? ''}`);
    assert.deepEqual(apis.slice(-2), ['bgapi hupall', 'hupall '], 'the bgapi API event, then the job\'s own');
    const hangup = w.seen.find(on(U, 'CHANNEL_HANGUP')) ?? (await w.until(on(U, 'CHANNEL_HANGUP')));
    assert.equal(hangup['Hangup-Cause'], 'MANAGER_REQUEST');
  });

  void it('uuid:<id> names the job; the line splits at its first blank; an unknown command is "<cmd>: Command not found!"', async () => {
    const w = await open();
    assert.equal(await w.api(`bgapi uuid:${JOB} echo  a b`), `+OK Job-UUID: ${JOB}\n`);
    const echo = await w.until(job(JOB));
    assert.deepEqual([echo['Job-Command'], echo['Job-Command-Arg'], echo['_body']], ['echo', ' a b', 'a b']);
    const reply = await w.api('bgapi no_such_api x');
    const unknown = await w.until(job(JOB_REPLY.exec(reply)?.[1] ?? 'none'));
    assert.deepEqual([unknown['Job-Command'], unknown['Job-Command-Arg'], unknown['_body']], ['no_such_api', 'x', 'no_such_api: Command not found!\n']);
  });

  void it('nothing to run: -ERR Invalid syntax, and no job', async () => {
    const w = await open();
    assert.equal(await w.api('bgapi'), '-ERR Invalid syntax\n');
    assert.equal(await w.api(`bgapi uuid:${JOB}`), '-ERR Invalid syntax\n');
    assert.equal(await w.api(`bgapi uuid:${JOB} `), '-ERR Invalid syntax\n');
    assert.equal(await w.api('echo done'), 'done');
    assert.equal(w.seen.some((e) => e['Event-Name'] === 'BACKGROUND_JOB'), false);
  });
});

void describe('api msleep', () => {
  void it('answers +OK once the milliseconds have passed on the simulated clock; other commands are served meanwhile', async () => {
    const h = harness();
    let reply: string | undefined;
    void h.core.api('msleep', '3000').then((r) => (reply = r));
    await h.clock.advance(2999);
    assert.equal(reply, undefined, 'still sleeping at 2999 ms');
    assert.equal(await apiAt(h, 'echo', 'meanwhile'), 'meanwhile');
    assert.equal(h.events.some((e) => e.name === 'API' && header(e, 'API-Command') === 'msleep'), false, 'its API event comes once it returns');
    await h.clock.advance(1);
    assert.equal(reply, '+OK');
    assert.ok(h.events.some((e) => e.name === 'API' && header(e, 'API-Command') === 'msleep'));
    for (const arg of ['', '0', '-5', 'abc']) assert.equal(await apiAt(h, 'msleep', arg), '+OK', `msleep ${arg} returns at once`);
    await h.core.stop();
  });

  void it('over the Event Socket the connection that sent it waits (its next command after), another one does not', async () => {
    const w = await open();
    const other = await WireClient.authed((await w.sim.start()).port);
    try {
      other.send('api msleep 60000\n\napi echo after\n\n');
      assert.equal(await w.api('echo meanwhile'), 'meanwhile', 'the simulator is not blocked');
      assert.equal(other.buffered, 0, 'the sleeping connection has no reply yet');
    } finally {
      other.close();
    }
    const pipelined = await WireClient.authed((await w.sim.start()).port);
    try {
      pipelined.send('api msleep 20\n\napi echo after\n\n');
      assert.equal((await pipelined.next()).body?.toString(), '+OK');
      assert.equal((await pipelined.next()).body?.toString(), 'after');
    } finally {
      pipelined.close();
    }
  });
});
