/**
 * A broker that refuses the agent's credentials says so in its own words, which name no setting
 * ("Authorization Violation", "ACCESS_REFUSED"): this recognises them and says which settings to
 * check, as a refused ESL password names FSBUS_ESL_PASSWORD. The transport has no error code of
 * its own for it (FSBUS_ERR_TRANSPORT_CONNECT is any failed connect), so the client libraries'
 * words are read, along the error's cause chain.
 */
import { causeChain } from '../errors.js';

/** What each client library says when the broker refuses the credentials. */
const REFUSALS: ReadonlyArray<RegExp> = [
  // nats.js: -ERR 'Authorization Violation', 'Authentication Timeout', 'User Authentication Expired/Revoked'.
  /authorization violation|authentication (timeout|expired|revoked)/i,
  // RabbitMQ (amqp-client.js): 403 ACCESS_REFUSED - Login was refused…
  /ACCESS[_-]REFUSED/,
  // Redis: a wrong password, none given, an ACL user that is disabled.
  /\bWRONGPASS\b|\bNOAUTH\b|invalid password/i,
  // mqtt.js: CONNACK return code 4/5 (v3.1.1), reason 0x86/0x87 (v5).
  /not authori[sz]ed|bad user ?name or password/i,
  // @platformatic/kafka: 'SASL authentication failed.'
  /\bSASL\b.*authentication failed/i,
];

/**
 * The hint for an error that is a refusal of the credentials by the broker; undefined for any
 * other. `chain`: the error's cause chain, when the caller has it already.
 */
export function brokerAuthHint(driver: string, err: unknown, chain: readonly Error[] = causeChain(err)): string | undefined {
  return chain.some((e) => e.name === 'AuthorizationError' || REFUSALS.some((r) => r.test(e.message))) ? hintFor(driver) : undefined;
}

function hintFor(driver: string): string {
  const nkey = driver === 'nats' ? ', or FSBUS_BROKER_NKEY_SEED, or the .creds file FSBUS_BROKER_CREDS names' : '';
  return `the broker refused the agent's credentials: check FSBUS_BROKER_PASSWORD and the user (broker.user, FSBUS_BROKER_USER or the one in FSBUS_BROKER_URL), or FSBUS_BROKER_TOKEN${nkey}`;
}
