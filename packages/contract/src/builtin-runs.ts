/**
 * What a built-in command's own fields make FreeSWITCH run (SPEC §3.4, docs/contract.md), for the
 * denylist (verb-policy.ts reads them as it reads the same FreeSWITCH text): `execute_app` runs
 * its `app` with its `args` (as uuid_broadcast's `<app>::<args>` or json's execute) after setting
 * `vars` (uuid_setvar); `originate` sets `variables` and the caller-id ones in its `{…}` block and
 * runs an `&app(args)` extension on the answered leg. Pure: fields in, no validation (a field of
 * the wrong type is the command's to refuse, and is left out here).
 */

/** Applications run with their arguments, and channel variables set (name, value). */
export interface BuiltinRuns {
  apps: Array<readonly [app: string, args: string]>;
  variables: Array<readonly [name: string, value: string]>;
}

/** A value the command takes as text (a variable's number or boolean too), else undefined. */
function text(value: unknown): string | undefined {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined;
}

/** The name/value pairs of an object field (the ones the command takes as text). */
function variablesOf(value: unknown): Array<readonly [string, string]> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [];
  const out: Array<readonly [string, string]> = [];
  for (const [name, raw] of Object.entries(value as Record<string, unknown>)) {
    const v = text(raw);
    if (v !== undefined) out.push([name, v]);
  }
  return out;
}

/**
 * `&app(args)`: FreeSWITCH's originate ends the arguments at a `)`; which one depends on its
 * reading, so both the first and the last are taken (the union of the verbs is read).
 */
export function extensionApps(extension: string): Array<readonly [string, string]> {
  if (!extension.startsWith('&')) return [];
  const body = extension.slice(1);
  const open = body.indexOf('(');
  if (open < 0) return [[body, '']];
  const app = body.slice(0, open);
  const rest = body.slice(open + 1);
  const first = rest.indexOf(')');
  const last = rest.lastIndexOf(')');
  return [
    [app, first < 0 ? rest : rest.slice(0, first)],
    [app, last < 0 ? rest : rest.slice(0, last)],
  ];
}

/** What the built-in `command` (trimmed, as the registry matches it) runs from `fields`; undefined for one that runs nothing named in them. */
export function builtinRuns(command: string, fields: Readonly<Record<string, unknown>>): BuiltinRuns | undefined {
  if (command === 'execute_app') {
    const app = fields['app'];
    const args = fields['args'];
    return { apps: typeof app === 'string' ? [[app, typeof args === 'string' ? args : '']] : [], variables: variablesOf(fields['vars']) };
  }
  if (command === 'originate') {
    const variables = variablesOf(fields['variables']);
    for (const [field, name] of [
      ['caller_id_name', 'origination_caller_id_name'],
      ['caller_id_number', 'origination_caller_id_number'],
    ] as const) {
      const v = fields[field];
      if (typeof v === 'string') variables.push([name, v]);
    }
    // `destination` is `extension`'s alias: both are read (the command picks one).
    const apps = ['extension', 'destination'].flatMap((f) => {
      const v = fields[f];
      return typeof v === 'string' ? extensionApps(v) : [];
    });
    return { apps, variables };
  }
  return undefined;
}
