/** `agent.status`: version, node, uptime, connections, counters. */
import type { CommandHandler } from './registry.js';

export const agentStatusCommand: CommandHandler = {
  name: 'agent.status',
  local: true,
  run: (_request, ctx) => Promise.resolve({ ok: true, message: 'Agent status retrieved', data: ctx.status() }),
};
