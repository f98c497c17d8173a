/**
 * Telling a durable consumer what stream retention removed before it acknowledged it, the same on
 * every driver: one warn line, then its onRetentionLoss — whose throw is logged, never passed to
 * the driver's reader that found the loss.
 */
import type { ConsumeDurableOptions, DriverLogger, RetentionLoss } from './driver.js';

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
