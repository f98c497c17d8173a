export { startNatsServer } from './nats-server.js';
export type { NatsServerOptions, NatsServerHandle } from './nats-server.js';
export { BrokerStartError, spawnUntil, stopChild, waitForGreeting } from './process.js';
export type { SpawnedBroker } from './process.js';
export { freePort } from './free-port.js';
export { makeTestCertificate } from './tls-cert.js';
export type { TestCertificate } from './tls-cert.js';
