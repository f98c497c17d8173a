/**
 * A process that serves `freeswitch.api` on a driver and answers every request at once with a
 * fixed success envelope: no agent, no ESL. Its round trip is the floor the broker itself sets
 * (client → broker → responder → broker → client), so bus-command can split the bus overhead
 * into "the broker" and "the agent".
 *
 *   node --conditions=source --import tsx bench/bus-command/echo-responder.ts <driver> <url>
 */
import { createDriver } from '@fsbus/transport';

const [driver, url] = process.argv.slice(2);
if (driver === undefined || url === undefined) {
  console.error('usage: echo-responder.ts <driver> <url>');
  process.exit(2);
}
const reply = new TextEncoder().encode('{"success":true,"status":"success","message":"API command executed","timestamp":0,"node_id":"echo","data":"UP"}');
const d = await createDriver(driver, { urls: [url], name: 'bench-echo' });
await d.connect();
const lane = d.serve({ subject: 'freeswitch.api', competing: true }, () => reply);
await d.flush();
console.log('echo responder ready');
const stop = (): void => {
  void lane
    .unsubscribe()
    .catch(() => undefined)
    .then(() => d.close())
    .finally(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
