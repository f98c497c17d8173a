/**
 * How a command's field refusal reads, the same in every command: a field of another type is
 * `<field> must be a string`; a missing one (absent, or null: null counts as absent, as for the
 * envelope's fields) is `'<field>' field required`, except where mod_event_agent's clients match
 * on its length rule (SPEC §3.4: originate's endpoint/extension, hangup's uuid); a string of the
 * wrong length gets the field's length rule from the command itself.
 */

export const fieldRequired = (name: string): string => `'${name}' field required`;

export const mustBeString = (name: string): string => `${name} must be a string`;

/** A field's value, null read as absent. */
export function fieldValue(fields: Readonly<Record<string, unknown>>, name: string): unknown {
  return fields[name] ?? undefined;
}

/** An optional string field: the string, undefined when absent, or the refusal of another type. */
export function optionalString(fields: Readonly<Record<string, unknown>>, name: string): string | undefined | { error: string } {
  const value = fieldValue(fields, name);
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : { error: mustBeString(name) };
}

/** A required string field: the string, or the refusal of an absent one (`missing`) or of another type. */
export function requiredString(fields: Readonly<Record<string, unknown>>, name: string, missing = fieldRequired(name)): string | { error: string } {
  return optionalString(fields, name) ?? { error: missing };
}
