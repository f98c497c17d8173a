/**
 * The first routing of a leg the bus originated to an extension. FreeSWITCH's originate sends the
 * answered leg there with switch_ivr_session_transfer (mod_commands' originate_function), as a
 * uuid_transfer does: the routing carries the same `<time>:<uuid>:bl_xfer:<ext>/<context>/<dialplan>`
 * transfer source, and nothing else FreeSWITCH sends tells it from a transferred call (a bridge's
 * b-leg transferred for the first time looks alike). So the agent's originate names the leg in a
 * channel variable, and a routing is that leg's first while the leg has had one transfer only:
 * FreeSWITCH pushes each transfer source onto `transfer_history`, a second one makes it `ARRAY::…`.
 */

/** Set by the agent's originate (to an extension, not an `&app`) to the leg's own uuid. */
export const ORIGINATED_LEG_VAR = 'fsbus_originated';

/**
 * `get` reads a header of the lookup form (`profile` `Hunt`) or of a channel event (`Caller`).
 * The uuid, not a flag: mod_loopback copies the originate's variables to its b-leg.
 */
export function isFirstRoutingOfBusOriginate(get: (name: string) => string | null | undefined, profile: 'Hunt' | 'Caller'): boolean {
  const source = get(`${profile}-Transfer-Source`);
  const uuid = get('Unique-ID');
  if (!source || !uuid) return false;
  return get(`variable_${ORIGINATED_LEG_VAR}`) === uuid && get('variable_transfer_history') === source;
}
