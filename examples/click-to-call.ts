/**
 * Click-to-call: ring the agent's phone, and when they answer, bridge them to the customer.
 * Run against `fsbus demo` (or any agent); set FSBUS_BROKER_URL to the broker URL the demo prints
 * (its NATS port is picked at start):
 *   FSBUS_BROKER_URL=nats://127.0.0.1:<port> node --conditions=source --import tsx examples/click-to-call.ts [agent-endpoint] [customer-number]
 */
import { connect } from '@fsbus/client';

const agentEndpoint = process.argv[2] ?? 'user/1000';
const customer = process.argv[3] ?? '9001';

const bus = await connect({ servers: process.env['FSBUS_BROKER_URL'] ?? 'nats://127.0.0.1:4222' });
try {
  // Leg A rings the agent; once answered, FreeSWITCH runs the dialplan for the customer's number.
  const call = await bus.originate({ endpoint: agentEndpoint, extension: customer, callerIdName: 'Click to call', callerIdNumber: customer, ringTimeoutS: 30 });
  console.log(`call ${call.uuid} placed on ${call.nodeId}: ${call.result.trim()}`);
} finally {
  await bus.close();
}
