/** An in-memory inventory with the names the built-in playbooks are tested with. */
import { parseInventory, YamlSource } from '../../compiler';
import { SANDBOX_PARAMS } from '../../demo/sandbox';

/**
 * Parameters of every built-in playbook for the test inventories: the sandbox's, plus the
 * OpenClaw playbooks' gateway (`claw`, which the sandbox does not run: see test/openclaw).
 */
export const PLAYBOOK_PARAMS: Record<string, Record<string, string>> = {
  ...SANDBOX_PARAMS,
  'openclaw-prompt-injection': { gateway: 'claw' },
  'openclaw-runaway-automation': { gateway: 'claw' },
  'openclaw-secret-exposure': { gateway: 'claw' },
  'openclaw-memory-corruption': { gateway: 'claw' },
  'openclaw-public-leak': { gateway: 'claw', channel: 'telegram' },
  'openclaw-destructive-action': { gateway: 'claw' },
  'openclaw-service-outage': { gateway: 'claw', service: 'gateway' },
};

/** The OpenClaw inventory entry of the test inventories: a gateway that is not running. */
export function clawEntry(root: string, port: number) {
  return { stateDir: `${root}/openclaw`, port };
}

export function testInventory(root = '/srv/agent') {
  return parseInventory(
    YamlSource.fromData('test-inventory.yaml', {
      approvers: { oncall: ['alice', 'bob', 'carol'] },
      services: { gateway: { manager: { kind: 'process', pidfile: `${root}/run/gateway.pid` }, logs: [`${root}/run/gateway.log`] } },
      credentials: { 'agent-api-key': { envFile: `${root}/.env`, key: 'AGENT_API_KEY', restart: ['gateway'] } },
      paths: {
        workspace: { path: `${root}/workspace` },
        memory: { path: `${root}/workspace/memory` },
        'untrusted-page': { path: `${root}/run/page.html` },
        transcript: { path: `${root}/run/gateway.log` },
        'bad-card': { path: `${root}/workspace/memory/card-001.md` },
      },
      networks: { 'agent-egress': { allow: ['127.0.0.1/32'] } },
      backups: { 'workspace-backup': { path: 'workspace', archive: '/backups/ws.tgz' }, 'memory-backup': { path: 'memory', archive: '/backups/mem.tgz' } },
      repos: { 'agent-repo': { path: `${root}/repo` } },
      checks: { 'gateway-health': { url: 'http://127.0.0.1:8080/health' } },
      openclaw: { claw: clawEntry(root, 18789) },
      commands: {
        'pause-queue': { argv: ['queuectl', 'pause'], freezes: ['gateway'] },
        'wipe-cache': { argv: ['rm', '-r', `${root}/workspace/cache`], changes: ['workspace'] },
        'list-jobs': { argv: ['queuectl', 'list'], readOnly: true },
      },
    }),
  );
}
