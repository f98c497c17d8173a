/** The SDK in ten lines: a command, a call, its events. */
import { connect } from '@fsbus/client';

const bus = await connect({ driver: 'nats', servers: process.env['FSBUS_BROKER_URL'] ?? 'nats://127.0.0.1:4222', prefix: 'freeswitch' });
console.log(await bus.api('status'));
const events = bus.events('channel.>');
await events.ready;
const call = await bus.originate({ endpoint: 'user/1000', extension: '&park()' });
for await (const e of events) if (e.uuid === call.uuid && e.name === 'CHANNEL_PARK') break;
await bus.hangup(call.uuid, 'NORMAL_CLEARING', { node: call.nodeId });
await bus.close();
