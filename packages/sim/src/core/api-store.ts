/**
 * `db` (mod_db) and `hash` (mod_hash) in memory, one store each per simulated core, with
 * FreeSWITCH 1.10.12's argument parsing (`/`-separated, the value the rest of the line) and
 * replies. The `db` and `hash` dialplan applications do not share these stores (they run as no-ops).
 * SimCore.stop() empties both: mod_hash's table is lost at a restart in FreeSWITCH too, while
 * mod_db's rows are in sqlite there and would survive one — persistence is not modelled.
 */
import type { ApiHandler } from './api.js';
import { switchSeparateString } from './separate-string.js';

/** The stores of one core (SimCore owns them). */
export class Stores {
  /** db_data rows by realm, then key; a re-inserted key goes last, as its new row does. */
  readonly db = new Map<string, Map<string, string>>();
  /** mod_hash's table: the key is `<realm>_<key>`. */
  readonly hash = new Map<string, string>();

  clear(): void {
    this.db.clear();
    this.hash.clear();
  }
}

/** limit_execute_sql2str copies the value into a 256-byte buffer. */
function sql2str(value: string | undefined): string {
  if (value === undefined) return '';
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length < 256) return value;
  let end = 255;
  // Not into the middle of a character.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}

/**
 * `db insert|delete|select|exists|count|list/<realm>/<key>[/<value>]`: `!err!` for anything else.
 * sqlite prints a missing key as `(NULL)`; `list` is sorted here (FreeSWITCH: SQLite's order).
 */
const db: ApiHandler = (host, args) => {
  const argv = args === '' ? [] : switchSeparateString(args, '/', 4);
  const [op = '', realm, key, value] = argv;
  const rows = host.stores.db;
  const inRealm = realm === undefined ? undefined : rows.get(realm);
  switch (op.toLowerCase()) {
    case 'insert': {
      if (argv.length < 4 || realm === undefined || key === undefined || value === undefined) break;
      const keys = inRealm ?? new Map<string, string>();
      keys.delete(key);
      keys.set(key, value);
      rows.set(realm, keys);
      return '+OK';
    }
    case 'delete': {
      if (argv.length < 2 || realm === undefined) break;
      inRealm?.delete(key ?? '(NULL)');
      if (inRealm?.size === 0) rows.delete(realm);
      return '+OK';
    }
    case 'select':
      if (argv.length < 3) break;
      return sql2str(inRealm?.get(key ?? ''));
    case 'exists':
      if (argv.length < 3) break;
      return sql2str(inRealm?.get(key ?? '')) === '' ? 'false' : 'true';
    case 'count':
      if (argv.length >= 3) break;
      return String(realm === undefined ? rows.size : inRealm?.size ?? 0);
    case 'list': {
      if (argv.length >= 3) break;
      const names = realm === undefined ? [...rows.keys()] : [...(inRealm?.keys() ?? [])];
      return names.sort().join(',');
    }
  }
  return '!err!';
};

const HASH_USAGE = '-ERR Usage: hash insert|insert_ifempty|select|delete|delete_ifmatch/realm/key[/value]\n';

/** `hash insert|insert_ifempty|select|delete|delete_ifmatch/<realm>/<key>[/<value>]`. */
const hash: ApiHandler = (host, args) => {
  const argv = args === '' ? [] : switchSeparateString(args, '/', 4);
  if (argv.length < 3) return HASH_USAGE;
  const [op = '', realm = '', key = '', value] = argv;
  const table = host.stores.hash;
  const id = `${realm}_${key}`;
  const found = table.get(id);
  switch (op.toLowerCase()) {
    case 'insert':
      if (value === undefined) return HASH_USAGE;
      table.set(id, value);
      return '+OK\n';
    case 'insert_ifempty':
      if (value === undefined) return HASH_USAGE;
      if (found !== undefined) return '-ERR key already exists\n';
      table.set(id, value);
      return '+OK\n';
    case 'delete':
      if (found === undefined) return '-ERR Not found\n';
      table.delete(id);
      return '+OK\n';
    case 'delete_ifmatch':
      if (value === undefined) return HASH_USAGE;
      if (found === undefined) return '-ERR Not found\n';
      if (found !== value) return "-ERR Doesn't match\n";
      table.delete(id);
      return '+OK\n';
    case 'select':
      return found ?? '';
    default:
      return HASH_USAGE;
  }
};

export const STORE_APIS: ReadonlyMap<string, ApiHandler> = new Map<string, ApiHandler>([
  ['db', db],
  ['hash', hash],
]);
