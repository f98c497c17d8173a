/**
 * Runs `fn` once the work the current task queued has run: Node drains the `process.nextTick`
 * queue, then the promise (microtask) queue, after every callback it makes. Client libraries
 * deliver the messages of one socket read either way — mqtt.js one per nextTick, an async
 * iterator (zeromq) one per microtask, nats.js all in one call — so a write deferred with a bare
 * nextTick goes out between mqtt.js's messages and one deferred with a bare microtask between an
 * iterator's, one write each. A nextTick that queues a microtask runs after both queues have
 * drained, still before the event loop reads from any other socket.
 */
export function afterTask(fn: () => void): void {
  process.nextTick(queueMicrotask, fn);
}
