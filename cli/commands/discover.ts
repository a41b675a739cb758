/** discover openclaw: read an installed OpenClaw gateway and print (or write) its inventory entries. */
import type { Command } from 'commander';
import { z } from 'zod';
import { Problem } from '../../common/errors';
import { NAME_PATTERN, NAME_RULE } from '../../contract/grammar';
import { action, print, printJson } from '../command';

const absolute = z.string().regex(/^\//, 'must be an absolute path');

export function registerDiscoverCommands(program: Command): void {
  const discover = program.command('discover').description('Read an installed target and describe it as inventory entries');
  discover
    .command('openclaw')
    .description(
      "Read an OpenClaw gateway's state dir and config (read-only) and print its inventory entry, followed by its credentials (fingerprints only), skills, plugins, hooks, MCP servers, channels and cron jobs as comments naming the steps that act on them",
    )
    .option('--state-dir <dir>', "the gateway's state dir (default: $OPENCLAW_STATE_DIR, else ~/.openclaw)")
    .option('--config <path>', 'its config file (default: $OPENCLAW_CONFIG_PATH, else <state dir>/openclaw.json)')
    .option('--name <name>', 'the inventory name of the gateway', 'claw')
    .option('--write <file>', 'write the entries to this file (refused when it exists) instead of printing them')
    .option('--json', 'print the whole discovery and the entry as JSON')
    .action(
      action(
        z.object({
          stateDir: absolute.optional(),
          config: absolute.optional(),
          name: z.string().regex(NAME_PATTERN, `inventory names are ${NAME_RULE}`),
          write: z.string().min(1).optional(),
        }),
        async (ctx, o) => {
          const { existsSync, writeFileSync } = await import('node:fs');
          const { discoverOpenClaw } = await import('../../server/openclaw/discover');
          const { gatewayEntry, renderInventory } = await import('../../server/openclaw/entries');
          const { findOpenClaw } = await import('../../server/openclaw/install');
          // Cron jobs live in SQLite, which needs Node ≥ 22.5: the project-local OpenClaw install's Node, when there is one.
          const sqliteNode = findOpenClaw()?.node;
          const found = await discoverOpenClaw({
            ...(o.stateDir ? { stateDir: o.stateDir } : {}),
            ...(o.config ? { configPath: o.config } : {}),
            ...(sqliteNode ? { sqliteNode } : {}),
          }).catch((error: Error) => {
            throw new Problem('InvalidInput', error.message);
          });
          if (ctx.json) {
            printJson({ discovery: found, ...gatewayEntry(found) });
            return;
          }
          const text = renderInventory(found, o.name);
          if (!o.write) {
            process.stdout.write(text);
            return;
          }
          if (existsSync(o.write)) throw new Problem('InvalidInput', `${o.write} exists: write to a new file and merge it into your inventory by hand`);
          writeFileSync(o.write, text, { mode: 0o600 });
          print(`wrote the inventory entry of OpenClaw gateway ${o.name} (${found.gateway.stateDir}) to ${o.write}`);
        },
      ),
    );
}
