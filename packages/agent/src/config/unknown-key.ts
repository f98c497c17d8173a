/**
 * A misspelt key of the config file (`metric`, `esl.prot`, `broker.tls.ca`) said only zod's
 * `(root): Unrecognized key: "metric"`: it is named by its full path, with the closest key its
 * section knows, read from the schema itself so that the two cannot drift.
 */
import { closestName } from './closest-name.js';

/** The parts of a zod 4 schema's definition walked here (the wrappers around an object). */
interface Def {
  type: string;
  shape?: Readonly<Record<string, Schema>>;
  innerType?: Schema;
  in?: Schema;
  options?: readonly Schema[];
}
interface Schema {
  _zod: { def: Def };
}

/** The keys an object of `schema` takes at `path` (an object inside a union: its own keys). */
export function knownKeysAt(schema: unknown, path: readonly PropertyKey[]): string[] {
  const keys: string[] = [];
  const visit = (s: Schema, rest: readonly PropertyKey[]): void => {
    const def = s._zod.def;
    if (def.innerType !== undefined) return visit(def.innerType, rest);
    if (def.type === 'pipe' && def.in !== undefined) return visit(def.in, rest);
    if (def.options !== undefined) return def.options.forEach((o) => visit(o, rest));
    if (def.shape === undefined) return;
    if (rest.length === 0) {
      keys.push(...Object.keys(def.shape));
      return;
    }
    const next = def.shape[String(rest[0])];
    if (next !== undefined) visit(next, rest.slice(1));
  };
  visit(schema as Schema, path);
  return keys;
}

/** `[field, message]` for keys unknown at `path`: the first named with the closest known key, the others listed. */
export function unknownKeysProblem(schema: unknown, path: readonly PropertyKey[], unknown: readonly string[]): [field: string, message: string] {
  const at = (key: string) => [...path.map(String), key].join('.');
  const [first = '', ...others] = unknown;
  const close = closestName(first.toLowerCase(), knownKeysAt(schema, path));
  const also = others.length === 0 ? '' : `; also unknown: ${others.map(at).join(', ')}`;
  return [at(first), `unknown key${close === undefined ? '' : ` (did you mean ${at(close)}?)`}${also}`];
}
