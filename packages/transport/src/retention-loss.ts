/**
 * Telling a durable consumer what stream retention removed before it acknowledged it, or that the
 * broker lost the stream, the same on every driver: one warn line, then its onRetentionLoss /
 * onStreamLost — whose throw is logged, never passed to the driver's reader that found the loss.
 */
import type { ConsumeDurableOptions, DriverLogger, RetentionLoss, StreamDataLoss } from './driver.js';

/** What every line names: the stream and the durable consumer. */
export interface RetentionContext {
  stream: string;
  durable?: string;
}

export function reportRetentionLoss(options: Pick<ConsumeDurableOptions, 'onRetentionLoss'>, loss: RetentionLoss, logger: DriverLogger | undefined, context: RetentionContext): void {
  const where = { stream: context.stream, durable: context.durable };
  logger?.warn({ ...where, from: loss.from, to: loss.to, count: loss.count }, 'stream retention removed messages this durable consumer had not acknowledged: they will not be delivered');
  try {
    options.onRetentionLoss?.(loss);
  } catch (err) {
    logger?.error({ err, ...where }, 'onRetentionLoss threw');
  }
}

/** The check itself failed (the broker did not answer): said, as nothing else will tell. */
export function retentionUnknown(err: unknown, logger: DriverLogger | undefined, context: RetentionContext): void {
  logger?.warn({ err, stream: context.stream, durable: context.durable }, 'cannot tell whether stream retention removed messages of this durable consumer');
}

/**
 * The broker lost the stream under a running durable consumer (Redis restarted without
 * persistence, nats-server back on an empty store): one warn line (`why`: the driver's account),
 * then its onStreamLost, whose throw is logged.
 */
export function reportStreamLost(options: ConsumeDurableOptions, loss: StreamDataLoss, logger: DriverLogger | undefined, why: string): void {
  const where = { stream: options.stream, durable: options.durable };
  logger?.warn({ ...where, lost_at: loss.lostAt.toISOString() }, why);
  try {
    options.onStreamLost?.(loss);
  } catch (err) {
    logger?.error({ err, ...where }, 'onStreamLost threw');
  }
}
