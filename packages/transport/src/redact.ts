/**
 * Credentials never leave a driver: every URL that goes into an error message, a log line or a
 * status event loses its user-info (`amqp://alice:pw@host` → `amqp://***@host`).
 */

/** A URL's user-info (with or without scheme: `bootstrapList` strips Kafka's) up to its `@`. */
const USERINFO = /([a-z][a-z0-9+.-]*:\/\/)?[^\s/?#,'"()]*@/gi;

/** A URL, a comma-separated list of them, or a text quoting some (a library's error message), without credentials. */
export function redact(text: string): string {
  return text.replace(USERINFO, (_m, scheme: string | undefined) => `${scheme ?? ''}***@`);
}
