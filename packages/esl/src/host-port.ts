/** `host:port` as a URL writes it: an IPv6 address in brackets (`[::1]:8021`). */
export function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
