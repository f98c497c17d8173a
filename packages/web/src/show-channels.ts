/**
 * FreeSWITCH's `show channels` reply as rows: `as json` (`{"row_count":…,"rows":[…]}`), or the
 * default delimited listing (a header line, one line a channel, a blank line, `N total.`) that is
 * about a third of the size (no key names): what the dashboard falls back to when the JSON is
 * larger than the broker carries. Pure: text in, rows out.
 */

/**
 * The leading columns of a delimited row that hold no free text: when a value (caller name,
 * application data…) contains the delimiter, the row has too many fields, and only these are
 * taken (the rest keep what the table knew).
 */
const SAFE_LEADING = ['uuid', 'direction', 'created', 'created_epoch', 'name', 'state'] as const;

export interface ShowChannelsListing {
  rows: Record<string, unknown>[];
  /**
   * Every channel of the reply is in `rows`. False when the delimited listing had lines that are
   * not rows (a value with a line break — multi-line application data — splits its row) or its
   * `N total.` does not match: a channel missing from `rows` may still be live, so a reader must
   * not take its absence as a hangup.
   */
  complete: boolean;
}

/** The rows of a `show channels` reply (see {@link readShowChannels} for whether they are all). */
export function parseShowChannels(text: string): Record<string, unknown>[] {
  return readShowChannels(text).rows;
}

export function readShowChannels(text: string): ShowChannelsListing {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) return jsonListing(JSON.parse(trimmed) as { rows?: unknown });
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.trim() !== '');
  const head = lines[start] ?? '';
  if (/^\d+ total\.$/.test(head.trim())) return { rows: [], complete: true };
  // The delimiter is whatever follows the first column name (`,` by default, or `as delim <d>`).
  if (!head.startsWith('uuid') || head.length <= 4) throw new Error(`not a show channels listing: ${JSON.stringify(head.slice(0, 40))}`);
  const delim = head.slice(4, 5);
  const columns = head.split(delim);
  const direction = columns.indexOf('direction');
  const epoch = columns.indexOf('created_epoch');
  // The listing ends with a blank line and `N total.`; every line between the header and them
  // is a row. A blank line before that is a value's line break, not the end.
  let end = lines.length;
  while (end > start + 1 && (lines[end - 1] ?? '').trim() === '') end--;
  const total = /^(\d+) total\.$/.exec((lines[end - 1] ?? '').trim());
  if (total !== null) end--;
  if (end > start + 1 && (lines[end - 1] ?? '').trim() === '') end--;
  const rows: Record<string, unknown>[] = [];
  const body = lines.slice(start + 1, end);
  let skipped = 0;
  for (const line of body) {
    const fields = line.split(delim);
    // Fewer fields, or not the shape of a row's start (a direction, an epoch): not a row but the
    // rest of a value broken by a newline. More fields: a value holds the delimiter.
    if (fields.length < columns.length || fields[0] === '' || !rowStart(fields, direction, epoch)) {
      skipped++;
      continue;
    }
    const row: Record<string, unknown> = {};
    const take = fields.length === columns.length ? columns : SAFE_LEADING;
    take.forEach((c, i) => (row[c] = fields[i] ?? ''));
    rows.push(row);
  }
  return { rows, complete: total !== null && skipped === 0 && body.length === Number(total[1]) };
}

/**
 * `{"row_count":N,"rows":[…]}` (no `rows` when there are no channels). The reply comes from
 * whoever answers on the node's lane: a row that is not an object with a uuid is left out (the
 * listing is then not whole), and `rows` that is not a list is no listing at all.
 */
function jsonListing(reply: { rows?: unknown }): ShowChannelsListing {
  const rows = reply.rows ?? [];
  if (!Array.isArray(rows)) throw new Error('not a show channels listing: rows is not a list');
  const good = rows.filter((r): r is Record<string, unknown> => typeof r === 'object' && r !== null && !Array.isArray(r) && typeof (r as { uuid?: unknown }).uuid === 'string');
  return { rows: good, complete: good.length === rows.length };
}

function rowStart(fields: string[], direction: number, epoch: number): boolean {
  if (direction >= 0 && !/^(inbound|outbound)$/.test(fields[direction] ?? '')) return false;
  return epoch < 0 || /^\d+$/.test(fields[epoch] ?? '');
}
