/**
 * The one rule for a channel uuid a command puts on a FreeSWITCH line (originate's
 * origination_uuid, hangup's uuid_kill, execute_app's sendmsg): 2–63 characters, one token of
 * letters, digits, -, _, . and : — anything else could smuggle extra arguments into the line.
 */

/** Why `uuid` is not a channel uuid a command may send, or undefined. */
export function channelUuidProblem(uuid: string): string | undefined {
  if (uuid.length < 2 || uuid.length > 63) return 'uuid must be between 2 and 63 characters';
  if (!/^[A-Za-z0-9_.:-]+$/.test(uuid)) return 'uuid must contain only letters, digits, -, _, . and :';
  return undefined;
}
