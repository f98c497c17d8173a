/**
 * Click-to-call: ring the agent's phone, and when they answer, bridge them to the customer.
 * Run against `fsbus demo` (or any agent); set FSBUS_BROKER_URL to the broker URL the demo prints
 * (its NATS port is picked at start):
 *   FSBUS_BROKER_URL=nats://127.0.0.1:<port> node --conditions=source --import tsx examples/click-to-call.ts [agent-endpoint] [customer-endpoint]
 * (a real customer endpoint is a gateway's, `sofia/gateway/<name>/<number>`; the demo's `loopback/9001` answers.)
 */
import { randomUUID } from 'node:crypto';
import { connect, ReplyError } from '@fsbus/client';

const agentEndpoint = process.argv[2] ?? 'user/1000';
const customerEndpoint = process.argv[3] ?? 'loopback/9001';

// A dial string is FreeSWITCH syntax: `,` dials a second destination, `[…]`/`{…}` set channel
// variables (api_on_answer runs a command). Only plain endpoints here; in a service, build them
// from a number you checked, never from text a caller typed (docs/call-control.md).
for (const endpoint of [agentEndpoint, customerEndpoint]) {
  if (!/^[A-Za-z0-9/@.+_-]+$/.test(endpoint)) {
    console.error(`click-to-call: ${JSON.stringify(endpoint)} is not a plain endpoint (letters, digits, / @ . + _ -)`);
    process.exit(2);
  }
}

const bus = await connect({ servers: process.env['FSBUS_BROKER_URL'] ?? 'nats://127.0.0.1:4222' });
try {
  const events = bus.events(['channel.bridge', 'channel.execute.complete', 'channel.hangup.complete']);
  await events.ready;
  // Leg A rings the agent and waits in park once answered (the originate resolves then).
  const agent = await bus.originate({ endpoint: agentEndpoint, extension: '&park()', callerIdName: 'Click to call', ringTimeoutS: 30 });
  // Leg B: the agent's channel dials the customer with `bridge`, the customer's leg under a uuid of ours.
  const customer = randomUUID();
  await bus.executeApp({ uuid: agent.uuid, app: 'bridge', args: `{origination_uuid=${customer}}${customerEndpoint}` }, { node: agent.nodeId });
  for await (const e of events) {
    if (e.uuid !== agent.uuid) continue;
    if (e.name === 'CHANNEL_BRIDGE') {
      console.log(`bridged agent ${agent.uuid} to customer ${customer} on ${agent.nodeId}`);
      break;
    }
    // The bridge returned without bridging (busy, no answer…): FreeSWITCH hangs the agent's leg up
    // with the customer's cause, but leaves it up on NO_ANSWER and the like — not left waiting here.
    if (e.application === 'bridge') {
      console.log(`customer not reached (${e.variable('originate_disposition') ?? 'no disposition'})`);
      await bus.hangup(agent.uuid, 'NORMAL_CLEARING', { node: agent.nodeId }).catch((err: unknown) => {
        if (!(err instanceof ReplyError && err.code === 'FSBUS_ERR_BUS_SESSION_NOT_FOUND')) throw err;
      });
      process.exitCode = 1;
      break;
    }
    // The agent hung up before the bridge ran: FreeSWITCH sends no completion for it then.
    if (e.name === 'CHANNEL_HANGUP_COMPLETE') {
      console.log(`agent hung up before the customer was bridged (${e.hangupCause ?? 'no cause'})`);
      process.exitCode = 1;
      break;
    }
  }
} finally {
  await bus.close();
}
