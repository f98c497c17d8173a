/**
 * Call monitor: one line per call as it starts, is answered and ends, with its duration.
 *   node --conditions=source --import tsx examples/call-monitor.ts
 */
import { connect } from '@fsbus/client';

const bus = await connect({ servers: process.env['FSBUS_BROKER_URL'] ?? 'nats://127.0.0.1:4222' });
const started = new Map<string, number>();
const events = bus.events(['channel.create', 'channel.answer', 'channel.hangup.complete']);
process.once('SIGINT', () => void events.close());
await events.ready;
console.error('call-monitor: watching calls (Ctrl-C to stop)');

for await (const e of events) {
  const id = e.uuid ?? '?';
  if (e.name === 'CHANNEL_CREATE') {
    started.set(id, e.timestamp);
    console.log(`${e.nodeId} ${id} ringing   ${e.callerIdNumber ?? '?'} -> ${e.destinationNumber ?? '?'}`);
  } else if (e.name === 'CHANNEL_ANSWER') {
    console.log(`${e.nodeId} ${id} answered`);
  } else {
    const from = started.get(id);
    started.delete(id);
    const secs = from === undefined ? '?' : ((e.timestamp - from) / 1e6).toFixed(1);
    console.log(`${e.nodeId} ${id} ended     ${e.hangupCause ?? ''} after ${secs} s`);
  }
}
if (events.dropped > 0) console.log(`(${events.dropped} events dropped: this consumer was too slow)`);
await bus.close();
