/**
 * A snapshot as JSON in pieces: the same text as JSON.stringify, never one string. A snapshot
 * holds the whole channel table: as one string a big table could pass V8's longest string
 * (~512 MiB), and JSON.stringify then failed after the page stream's headers were sent.
 */

/** Characters gathered before a piece is handed out (one socket write each). */
const PIECE_CHARS = 64 * 1024;

/** `value`'s JSON, each element of its top-level arrays serialised on its own. */
export function* jsonPieces(value: object): Generator<string, void, undefined> {
  let piece = '{';
  let comma = '';
  for (const [key, v] of Object.entries(value) as Array<[string, unknown]>) {
    if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue; // as JSON.stringify
    piece += `${comma}${JSON.stringify(key)}:`;
    comma = ',';
    if (!Array.isArray(v)) {
      piece += JSON.stringify(v);
      continue;
    }
    piece += '[';
    for (let i = 0; i < v.length; i++) {
      piece += `${i === 0 ? '' : ','}${JSON.stringify(v[i]) ?? 'null'}`;
      if (piece.length >= PIECE_CHARS) {
        yield piece;
        piece = '';
      }
    }
    piece += ']';
  }
  yield `${piece}}`;
}
