/**
 * The applications FreeSWITCH 1.10.12 still runs on a hung-up channel: those registered with
 * SAF_ZOMBIE_EXEC (mod_dptools, mod_db, mod_hash, mod_lua, mod_hiredis). Any other is refused
 * there by switch_core_session_execute_application_get_flags: no event, only FreeSWITCH's `+OK`.
 * Names are matched as FreeSWITCH finds them: its application hash ignores case (`LOG` is `log`).
 */
const ZOMBIE_EXEC_APPS: ReadonlySet<string> = new Set([
  'bgsystem', 'bridge_export', 'eval', 'event', 'export', 'info', 'log', 'multiset', 'multiunset', 'push', 'rename',
  'set', 'set_global', 'set_media_stats', 'set_profile_var', 'system', 'transfer_vars', 'unset', 'unshift',
  'db', 'group', 'hash', 'lua', 'hiredis_raw',
]);

export function runsOnHungUpChannel(app: string): boolean {
  // Public: a JavaScript caller may pass anything.
  return typeof app === 'string' && ZOMBIE_EXEC_APPS.has(app.toLowerCase());
}
