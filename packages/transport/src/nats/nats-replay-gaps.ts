/**
 * Retention overtaking an ordered replay (a stream read without a durable name). The server goes
 * on from the oldest message left when retention removed the ones the replay had not been sent
 * yet: a jump in the stream sequence. A replay that reads every subject the stream holds (no
 * filter, or one covering the stream's subjects) sees every message, so each jump is such a loss,
 * told (warn line, onRetentionLoss) before the message after it; behind a narrower filter a jump is
 * mostly other subjects' messages, and nothing is told. The replay's first message is where it
 * starts: what retention removed before it is not a loss.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { ConsumeDurableOptions, DriverLogger } from '../driver.js';
import { reportRetentionLoss } from '../retention-loss.js';
import { readsWholeStream } from './nats-retention-watch.js';
import { JS_OPTIONS } from './nats-util.js';

/** Whether the replay reads the whole stream; a stream it cannot read the subjects of is a warn line and counts as not. */
async function replayReadsWholeStream(nc: NatsConnection, options: ConsumeDurableOptions, logger: DriverLogger | undefined): Promise<boolean> {
  if (options.filter === undefined) return true;
  try {
    const jsm = await jetstreamManager(nc, JS_OPTIONS);
    return readsWholeStream(options.filter, (await jsm.streams.info(options.stream)).config.subjects);
  } catch (err) {
    logger?.warn({ err, stream: options.stream }, "cannot read the stream's subjects: retention overtaking this replay will not be told");
    return false;
  }
}

/**
 * Returns what the replay calls with each message's stream sequence, before handing it over:
 * it tells a jump past the last one when the replay reads the whole stream.
 */
export async function replayGapWatch(nc: NatsConnection, options: ConsumeDurableOptions, logger?: DriverLogger): Promise<(sequence: number) => void> {
  const whole = await replayReadsWholeStream(nc, options, logger);
  let last: number | undefined;
  return (sequence) => {
    if (whole && last !== undefined && sequence > last + 1) reportRetentionLoss(options, { from: last + 1, to: sequence - 1, count: sequence - 1 - last }, logger, options);
    if (last === undefined || sequence > last) last = sequence;
  };
}
