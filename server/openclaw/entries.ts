/**
 * A discovered OpenClaw gateway as inventory text: the `openclaw:` entry tourniquet acts on,
 * followed by what the gateway holds (credentials by fingerprint, skills, plugins, hooks, MCP
 * servers, channels, cron jobs), each as a comment naming the step that acts on it. The
 * result parses as an inventory on its own, and merges into an existing one by hand.
 *
 * No secret value is ever written: credentials are named by where they live and their
 * fingerprint.
 */
import YAML from 'yaml';
import type { OpenClawDiscovery } from './discover';

export interface InventoryEntry {
  description: string;
  stateDir: string;
  configPath: string;
  port: number;
  tokenFrom: 'config' | { envFile: string; key: string };
}

/** The `openclaw:` entry for the discovered gateway, or why there can be none. */
export function gatewayEntry(found: OpenClawDiscovery): { entry: InventoryEntry; warnings: string[] } {
  const { gateway } = found;
  const warnings: string[] = [];
  let tokenFrom: InventoryEntry['tokenFrom'] = 'config';
  // The state dir's .env is where OpenClaw itself looks for a token kept out of the config.
  const envFileToken = found.credentials.find((c) => c.source === 'env-file' && c.name === 'OPENCLAW_GATEWAY_TOKEN');
  if (gateway.token.source !== 'config' && envFileToken?.source === 'env-file') tokenFrom = { envFile: envFileToken.file, key: 'OPENCLAW_GATEWAY_TOKEN' };
  else if (gateway.token.source === 'env')
    warnings.push(
      'the gateway token comes from the environment variable OPENCLAW_GATEWAY_TOKEN: put it in an env file and set tokenFrom: {envFile, key} (tourniquet reads it at run time)',
    );
  else if (gateway.token.source === 'secretRef')
    warnings.push('the gateway token is a SecretRef: set tokenFrom to an env file that holds it, or the token actions cannot reach the gateway');
  else if (gateway.token.source === 'none') warnings.push('the gateway has no token (gateway.auth): tourniquet needs token auth to act on it');
  if (gateway.bind !== 'loopback') warnings.push(`the gateway binds ${gateway.bind}, not loopback: tourniquet reaches it on 127.0.0.1:${gateway.port}`);
  return {
    entry: {
      description: `the OpenClaw gateway of ${gateway.stateDir}`,
      stateDir: gateway.stateDir,
      configPath: gateway.configPath,
      port: gateway.port,
      tokenFrom,
    },
    warnings,
  };
}

/** The inventory text: the entry, then comments listing what the gateway holds. */
export function renderInventory(found: OpenClawDiscovery, name: string): string {
  const { entry, warnings } = gatewayEntry(found);
  const doc = YAML.stringify({ openclaw: { [name]: entry } });
  const lines: string[] = [
    `# OpenClaw gateway discovered in ${found.gateway.stateDir}${found.gateway.running ? ` (running: pid ${found.gateway.running.pid}, port ${found.gateway.running.port})` : ' (not running)'}.`,
    '# Playbooks name it as {{gateway}} = ' + name + '; what it holds is listed below, as the steps that act on it.',
    ...warnings.map((w) => `# WARNING: ${w}`),
    doc.trimEnd(),
  ];
  const section = (title: string, items: string[]) => {
    lines.push('', `# ${title}:${items.length ? '' : ' none'}`);
    // One line per item, whatever a name holds: a newline would end the comment.
    for (const item of items) lines.push(`#   ${item.replace(/[\r\n]+/g, ' ')}`);
  };
  const token = found.gateway.token;
  section('credentials (fingerprints only; openclawRotateToken rotates the gateway token, the others are rotated where they live)', [
    ...(token.source === 'config' || token.source === 'env' ? [`gateway token: ${'fingerprint' in token ? token.fingerprint : ''} (${token.source})`] : []),
    ...found.credentials
      .filter((c) => !(c.source === 'config' && c.path === 'gateway.auth.token'))
      .map((c) => `${c.name}: ${c.source}${'fingerprint' in c ? ` ${c.fingerprint}` : ''}${'file' in c ? ` in ${c.file}` : ''}`),
  ]);
  const component = (kind: string, id: string, enabled: boolean, extra = '') =>
    `${id}${extra} ${enabled ? 'enabled' : 'disabled'}; disable: { action: openclawDisable, args: { gateway: ${name}, kind: ${kind}, name: ${JSON.stringify(id)} } }`;
  section(
    'skills',
    found.skills.map((s) => component('skill', s.key, s.enabled, ` (${s.location}${s.path ? `: ${s.path}` : ''})`)),
  );
  section(
    'plugins',
    found.plugins.map((p) => component('plugin', p.id, p.enabled)),
  );
  section(
    'hooks',
    found.hooks.map((h) => component('hook', h.name, h.enabled)),
  );
  section(
    'MCP servers',
    found.mcpServers.map((m) => component('mcp', m.name, m.enabled, m.command ? ` (${[m.command, ...m.args].join(' ')})` : '')),
  );
  section(
    'channels',
    found.channels.map((c) => component('channel', c.id, c.enabled, c.credentialPaths.length ? ` (credentials: ${c.credentialPaths.join(', ')})` : '')),
  );
  if (found.cronJobs === undefined) section('cron jobs (not read)', []);
  else
    section(
      'cron jobs (openclawFreezeAutomations stops them all and disables the shell-payload ones)',
      found.cronJobs.map(
        (j) =>
          `${j.name} (${j.id}) ${j.enabled ? 'enabled' : 'disabled'}, ${j.payloadKind}${j.command ? ` SHELL PAYLOAD: ${JSON.stringify(j.command)}` : ''}${j.declarationKey ? `, declared by ${j.declarationKey}` : ''}`,
      ),
    );
  section('paths', [
    `workspace: ${found.paths.workspace}`,
    ...found.paths.memory.map((m) => `memory: ${m}`),
    ...found.paths.logs.map((l) => `log: ${l}`),
    ...found.paths.databases.map((d) => `database: ${d}`),
  ]);
  for (const note of found.notes) lines.push(`# NOTE: ${note}`);
  return `${lines.join('\n')}\n`;
}
