import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { Simulator } from '../src/index.js';
import { WireClient } from './listener-client.js';

/** Raw `Name: value` lines of a text/event-plain frame (values as sent, URL-encoded). */
function plainLines(body: Buffer | undefined): string[] {
  const text = body?.toString('latin1') ?? '';
  const end = text.indexOf('\n\n');
  return (end < 0 ? text : text.slice(0, end)).split('\n').filter((l) => l !== '');
}

function lineOf(body: Buffer | undefined, name: string): string | undefined {
  return plainLines(body).find((l) => l.startsWith(`${name}: `));
}

void describe('header values and api arguments as FreeSWITCH 1.10.12 records them', () => {
  let sim: Simulator;
  let port: number;
  let listener: WireClient;
  let sender: WireClient;

  void before(async () => {
    sim = new Simulator({ port: 0, heartbeatIntervalMs: 0 });
    ({ port } = await sim.start());
    listener = await WireClient.authed(port);
    sender = await WireClient.authed(port);
    assert.equal(await listener.replyText('event plain API BACKGROUND_JOB CUSTOM fsbus::values'), '+OK event listener enabled plain');
  });
  void after(async () => {
    listener.close();
    sender.close();
    await sim.stop();
  });

  /** The next event frame of the listener whose Event-Name is `name`. */
  const nextEvent = async (name: string): Promise<Buffer | undefined> => {
    for (;;) {
      const f = await listener.nextOfType('text/event-plain');
      if (lineOf(f.body, 'Event-Name') === `Event-Name: ${name}`) return f.body;
    }
  };

  void it('sendevent: an empty value adds nothing and deletes the earlier headers of its name; ARRAY:: values are pushed item by item', async () => {
    sender.send(
      'sendevent CUSTOM\nEvent-Subclass: fsbus::values\nX-Empty: \nX-Dup: a\nX-Dup: \nX-Kept: k\n' +
        'X-One: ARRAY::a\nX-Bare: ARRAY::\nX-Two: ARRAY::a|:b\n\n',
    );
    assert.match((await sender.next()).headers.get('Reply-Text') ?? '', /^\+OK /);
    const body = await nextEvent('CUSTOM');
    assert.equal(lineOf(body, 'X-Empty'), undefined, 'switch_event_add_header_string drops an empty value');
    assert.equal(lineOf(body, 'X-Dup'), undefined, 'and deletes the header it named before');
    assert.equal(lineOf(body, 'X-Kept'), 'X-Kept: k');
    assert.equal(lineOf(body, 'X-One'), 'X-One: a');
    assert.equal(lineOf(body, 'X-Bare'), undefined);
    assert.equal(lineOf(body, 'X-Two'), 'X-Two: ARRAY%3A%3Aa%7C%3Ab');
    assert.ok(!plainLines(body).some((l) => l.endsWith(': _undef_')));
  });

  void it('api/bgapi with an empty command name: no API-Command, no Job-Command', async () => {
    const reply = await sender.command('api  status');
    assert.equal(reply.body?.toString(), '-ERR  Command not found!\n');
    const api = await nextEvent('API');
    assert.equal(lineOf(api, 'API-Command'), undefined);
    assert.equal(lineOf(api, 'API-Command-Argument'), 'API-Command-Argument: status');
    assert.match(await sender.replyText('bgapi  x'), /^\+OK Job-UUID: /);
    const job = await nextEvent('BACKGROUND_JOB');
    assert.equal(lineOf(job, 'Job-Command'), undefined);
    assert.equal(lineOf(job, 'Job-Command-Arg'), 'Job-Command-Arg: x');
  });

  void it('switch_api_execute strips the command and its argument; Job-Command-Arg stays as sent', async () => {
    const reply = await sender.command('api echo  hello  ');
    assert.equal(reply.headers.get('Content-Length'), '5');
    assert.equal(reply.body?.toString(), 'hello');
    const api = await nextEvent('API');
    assert.equal(lineOf(api, 'API-Command'), 'API-Command: echo');
    assert.equal(lineOf(api, 'API-Command-Argument'), 'API-Command-Argument: hello');
    assert.match(await sender.replyText('bgapi echo  x '), /^\+OK Job-UUID: /);
    const job = await nextEvent('BACKGROUND_JOB');
    assert.equal(lineOf(job, 'Job-Command'), 'Job-Command: echo');
    assert.equal(lineOf(job, 'Job-Command-Arg'), 'Job-Command-Arg: %20x%20');
    assert.equal(job?.toString().split('\n\n')[1], 'x');
  });
});
