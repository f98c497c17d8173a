/**
 * Streams a NATS driver ensured, checked again on every reconnect, before what waited in the
 * outbox goes out: a server back on an empty store (or one whose stream an operator deleted while
 * the link was down) has lost them, and a publish to a subject no stream holds is sent and gone.
 */
import { JetStreamApiCodes, JetStreamApiError, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { DriverLogger, StreamSpec } from '../driver.js';
import { ensureNatsStream } from './nats-streams.js';
import { JS_OPTIONS } from './nats-util.js';

/** The warn line of a stream found gone and created again (docs/agent.md, Failures). */
export const STREAM_CREATED_AGAIN_LOG = 'event stream was gone after the broker reconnect: created again (the events it held are lost)';

/**
 * Creates again each of `specs` the server no longer has, with a warn line (`createdLog`); one that
 * cannot be checked or set up is a warn line too (`failedLog`), and never holds the reconnect.
 * Resolves to how many it created again.
 */
export async function restoreNatsStreams(
  nc: NatsConnection,
  specs: Iterable<StreamSpec>,
  logger: DriverLogger | undefined,
  createdLog = STREAM_CREATED_AGAIN_LOG,
  failedLog = 'event stream could not be checked after the broker reconnect',
): Promise<number> {
  let made = 0;
  for (const spec of specs) {
    try {
      if (!(await streamGone(nc, spec.name))) continue;
      await ensureNatsStream(nc, spec, logger);
      made++;
      logger?.warn({ stream: spec.name, subjects: spec.subjects }, createdLog);
    } catch (err) {
      logger?.warn({ err, stream: spec.name }, failedLog);
    }
  }
  return made;
}

async function streamGone(nc: NatsConnection, name: string): Promise<boolean> {
  const jsm = await jetstreamManager(nc, JS_OPTIONS);
  return jsm.streams.info(name).then(
    () => false,
    (err: unknown) => {
      // Only "not found" means gone; a timeout or an unavailable JetStream is said by the caller.
      if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound) return true;
      throw err;
    },
  );
}
