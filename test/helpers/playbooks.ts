/** An in-memory inventory with the names the built-in playbooks are tested with. */
import { parseInventory, YamlSource } from '../../compiler';

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
      commands: {
        'pause-queue': { argv: ['queuectl', 'pause'], freezes: ['gateway'] },
        'wipe-cache': { argv: ['rm', '-r', `${root}/workspace/cache`], changes: ['workspace'] },
        'list-jobs': { argv: ['queuectl', 'list'], readOnly: true },
      },
    }),
  );
}
