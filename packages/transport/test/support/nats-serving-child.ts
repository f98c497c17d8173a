// A NATS driver serving lanes in a process of its own, for tests that freeze the server side
// (SIGSTOP: its connection stays open, nats-server keeps it in the lanes' groups). Lanes
// `<p>.api` (competing), `<p>.node.a` and `<p>.broadcast`; each handler records the request's
// body and answers `ran`. `<p>.ctl` answers what ran, the driver's stats and its warnings as JSON.
// Prints `ready` once nats-server has the subscriptions. argv: nats url, subject prefix.
import { createDriver, type DriverLogger } from '@fsbus/transport';

const [url, prefix] = process.argv.slice(2) as [string, string];
const ran: string[] = [];
const warnings: Array<{ fields: unknown; msg: string | undefined }> = [];
const nop = (): void => undefined;
const logger: DriverLogger = { debug: nop, info: nop, error: nop, warn: (fields, msg) => void warnings.push({ fields, msg }) };
const driver = await createDriver('nats', { urls: [url], name: 'frozen-server', logger });
await driver.connect();
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
for (const [subject, competing] of [[`${prefix}.api`, true], [`${prefix}.node.a`, false], [`${prefix}.broadcast`, false]] as const) {
  driver.serve({ subject, competing }, (req) => {
    ran.push(new TextDecoder().decode(req.data));
    return enc('ran');
  });
}
driver.serve({ subject: `${prefix}.ctl`, competing: false }, () => enc(JSON.stringify({ ran, stats: driver.stats(), warnings })));
await driver.flush();
process.stdout.write('ready\n');
process.on('SIGTERM', () => void driver.close().then(() => process.exit(0)));
