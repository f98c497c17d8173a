/**
 * CDR sink: one JSON line per finished call (CHANNEL_HANGUP_COMPLETE), read as a durable
 * consumer of the agent's event stream — a sink that was down resumes where it stopped.
 * Needs the agent's JetStream stream (`events.stream.enabled`, on in `fsbus demo`).
 *   node --conditions=source --import tsx examples/cdr-sink.ts >> cdrs.jsonl
 */
import { connect } from '@fsbus/client';

const bus = await connect({ servers: process.env['FSBUS_BROKER_URL'] ?? 'nats://127.0.0.1:4222' });
const hangups = bus.events('channel.hangup.complete', { durable: 'cdr-sink' });
process.once('SIGINT', () => void hangups.close());
await hangups.ready;
console.error('cdr-sink: writing one line per finished call (Ctrl-C to stop)');

for await (const e of hangups) {
  const cdr = {
    uuid: e.uuid,
    node: e.nodeId,
    direction: e.direction,
    caller: e.callerIdNumber,
    destination: e.destinationNumber,
    cause: e.hangupCause,
    start: e.variable('start_stamp'),
    answer: e.variable('answer_stamp'),
    end: e.variable('end_stamp'),
    billsec: Number(e.variable('billsec') ?? 0),
    duration: Number(e.variable('duration') ?? 0),
  };
  process.stdout.write(`${JSON.stringify(cdr)}\n`);
}
await bus.close();
