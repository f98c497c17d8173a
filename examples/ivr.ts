/**
 * IVR over the bus: for every parked call, answer, ask for a 4-digit PIN with
 * play_and_get_digits (execute_app), then read the digits from the CHANNEL_EXECUTE_COMPLETE.
 * Needs an agent with execute_app (the call-control commands). Against `fsbus demo`, docs/client.md
 * (Examples) shows how to place a call and key its PIN through the simulator's control API.
 *   node --conditions=source --import tsx examples/ivr.ts
 */
import { connect, ReplyError, type BusCommands } from '@fsbus/client';

const bus = await connect({ servers: process.env['FSBUS_BROKER_URL'] ?? 'nats://127.0.0.1:4222' });
const parked = bus.events('channel.park');
process.once('SIGINT', () => void parked.close());
await parked.ready;
console.error('ivr: answering parked calls (Ctrl-C to stop)');

async function serve(node: BusCommands, uuid: string): Promise<void> {
  await node.executeApp({ uuid, app: 'answer' });
  const ask = await node.executeApp({
    uuid,
    app: 'play_and_get_digits',
    // min max tries timeout terminators prompt invalid-prompt variable regexp
    args: '4 4 3 5000 # ivr/ivr-please_enter_pin_followed_by_pound.wav ivr/ivr-that_was_an_invalid_entry.wav pin \\d{4}',
    waitForComplete: true,
  });
  const done = await ask.complete;
  // A hangup cuts the prompt short and completes it with no digits too: the completion carries the
  // channel's state, `Answer-State: hangup` once the caller is gone.
  if (done.answerState === 'hangup') {
    console.log(`${uuid}: caller hung up before keying a PIN`);
    return;
  }
  // The digits are in the variable; the application sets no response of its own (`_none_`).
  const pin = done.variable('pin') ?? '';
  console.log(`${uuid}: PIN ${pin === '' ? '(none)' : pin}`);
  await node.executeApp({ uuid, app: 'playback', args: pin === '1234' ? 'ivr/ivr-welcome.wav' : 'ivr/ivr-access_denied.wav' });
  await node.hangup(uuid);
}

for await (const e of parked) {
  if (e.uuid === undefined) continue;
  // The channel lives on the node that parked it: talk to that node only.
  serve(bus.node(e.nodeId), e.uuid).catch((err: unknown) => {
    // The caller may hang up between two of our commands: the agent then has no such session.
    if (err instanceof ReplyError && err.code === 'FSBUS_ERR_BUS_SESSION_NOT_FOUND') console.log(`${e.uuid}: caller hung up`);
    else console.error(`${e.uuid}: ${err instanceof ReplyError ? `${err.code} ${err.message}` : String(err)}`);
  });
}
await bus.close();
