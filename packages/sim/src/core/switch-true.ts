/** switch_true (switch_utils.h): yes, on, true, t, enabled, active, allow, or a non-zero number. */
export function switchTrue(value: string | undefined): boolean {
  if (value === undefined) return false;
  if (['yes', 'on', 'true', 't', 'enabled', 'active', 'allow'].includes(value.toLowerCase())) return true;
  return /^-?\d+(\.\d+)?$/.test(value) && Number.parseInt(value, 10) !== 0;
}
