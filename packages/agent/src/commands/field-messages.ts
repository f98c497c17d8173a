/**
 * How a command's field refusal reads, the same in every command: a field of another type is
 * `<field> must be a string`; a missing one (absent, or null: null counts as absent, as for the
 * envelope's fields) is `'<field>' field required`, except where mod_event_agent's clients match
 * on its length rule (SPEC §3.4: originate's endpoint/extension, hangup's uuid); a string of the
 * wrong length gets the field's length rule from the command itself. An OPTIONAL field sent as
 * its type's zero value ("" for a string, 0 for a number whose 0 is no valid value) is absent too
 * (optionalValue): Go's encoding/json without `omitempty` and protobuf's JSON mapping send them for
 * a field left unset. A required field's "" is still refused.
 */

export const fieldRequired = (name: string): string => `'${name}' field required`;

export const mustBeString = (name: string): string => `${name} must be a string`;

/** A field's value, null read as absent. */
export function fieldValue(fields: Readonly<Record<string, unknown>>, name: string): unknown {
  return fields[name] ?? undefined;
}

/**
 * An optional field's value, null and the zero values given read as absent: "" for a field taking
 * a string, 0 for one taking a number whose 0 is no valid value (a timeout, a cause) — never where
 * 0 means something (park's `seconds`). Another type's zero stays a value, refused as such.
 */
export function optionalValue(fields: Readonly<Record<string, unknown>>, name: string, zeros: ReadonlyArray<'' | 0>): unknown {
  const value = fieldValue(fields, name);
  return (zeros as readonly unknown[]).includes(value) ? undefined : value;
}

/** An optional string field: the string, undefined when absent (null or ""), or the refusal of another type. */
export function optionalString(fields: Readonly<Record<string, unknown>>, name: string): string | undefined | { error: string } {
  const value = optionalValue(fields, name, ['']);
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : { error: mustBeString(name) };
}

/** A required string field: the string, or the refusal of an absent one (`missing`) or of another type. */
export function requiredString(fields: Readonly<Record<string, unknown>>, name: string, missing = fieldRequired(name)): string | { error: string } {
  // "" is returned as sent: each command refuses it with its own rule (a length, `field required`).
  const value = fieldValue(fields, name);
  if (value === undefined) return { error: missing };
  return typeof value === 'string' ? value : { error: mustBeString(name) };
}
