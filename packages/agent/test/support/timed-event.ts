/** A FreeSWITCH event as the agent's EventPublisher reads it: its name and its own timestamp (µs). */
export const timedEvent = (name: string, ts: number) => ({ name, headers: new Map([['Event-Name', name], ['Event-Date-Timestamp', String(ts)]]) });
