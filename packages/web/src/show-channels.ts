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

export function parseShowChannels(text: string): Record<string, unknown>[] {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) return (JSON.parse(trimmed) as { rows?: Record<string, unknown>[] }).rows ?? [];
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.trim() !== '');
  const head = lines[start] ?? '';
  if (/^\d+ total\.$/.test(head.trim())) return [];
  // The delimiter is whatever follows the first column name (`,` by default, or `as delim <d>`).
  if (!head.startsWith('uuid') || head.length <= 4) throw new Error(`not a show channels listing: ${JSON.stringify(head.slice(0, 40))}`);
  const delim = head.slice(4, 5);
  const columns = head.split(delim);
  const rows: Record<string, unknown>[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.trim() === '') break; // then `N total.`
    const fields = line.split(delim);
    // Fewer fields: not a row (a value broken by a newline); more: a value holds the delimiter.
    if (fields.length < columns.length || fields[0] === '') continue;
    const row: Record<string, unknown> = {};
    const take = fields.length === columns.length ? columns : SAFE_LEADING;
    take.forEach((c, i) => (row[c] = fields[i] ?? ''));
    rows.push(row);
  }
  return rows;
}
