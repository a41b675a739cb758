/**
 * lockNetwork / unlockNetwork: cut a host's (or one service's) traffic except to and from the
 * admin addresses, with nftables (iptables as the fallback), recorded and reversible.
 * `netns` acts inside a network namespace (`ip netns exec`), e.g. a container's.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { PlannedEffect, StepResult } from '../../contract';
import type { ActivityDeps } from '../deps';
import { StepError } from '../errors';
import { sha256 } from '../../common/hash';
import { incidentDir, safeName, writeFileAtomic, type StepKey } from '../journal';
import { withHeartbeat, defineStep, type StepIO } from '../step';
import * as r from './rules';

interface LockRecord {
  [field: string]: unknown;
  backend: 'nftables' | 'iptables';
  id: string;
  table: string;
  netns?: string;
  /** ip6tables was not usable: IPv6 left as it was (iptables backend only). */
  v6Skipped?: boolean;
  args: r.LockArgs;
}

const lockId = (key: StepKey) => sha256(`${key.workflowId}/${key.runId}/${key.stepId}`).slice(0, 10);

export function networkActivities(deps: ActivityDeps) {
  const run = (io: StepIO | undefined, netns: string | undefined, argv: string[]) =>
    deps.run(r.inNetns(netns, argv), { timeoutMs: 30_000, ...(io ? { signal: io.signal } : {}) });
  const must = async (io: StepIO, netns: string | undefined, argv: string[]) => {
    const result = await run(io, netns, argv);
    if (result.exitCode !== 0) throw new StepError('CommandFailed', `${argv.join(' ')} exited ${result.exitCode}: ${result.stderr.trim().slice(0, 300)}`);
    return result;
  };
  const pickBackend = async (args: r.LockArgs): Promise<'nftables' | 'iptables'> => {
    if (args.backend !== 'auto') return args.backend;
    return (await run(undefined, args.netns, ['nft', '--version'])).exitCode === 0 ? 'nftables' : 'iptables';
  };
  const rulesFile = (key: StepKey) => join(incidentDir(deps.home, key.workflowId), 'network', `${safeName(key.stepId)}.nft`);

  const lockNetwork = defineStep(deps, 'lockNetwork', {
    plan: async (args, key): Promise<PlannedEffect[]> => {
      const id = lockId(key);
      if ((await pickBackend(args)) === 'nftables') {
        return [
          { kind: 'write', detail: `write ${rulesFile(key)}:\n${r.nftRuleset(`tourniquet_${id}`, args)}` },
          { kind: 'command', detail: `run ${JSON.stringify(r.inNetns(args.netns, r.nftApplyArgv(rulesFile(key))))}` },
        ];
      }
      return ['iptables' as const, 'ip6tables' as const].flatMap((b) =>
        r.iptablesLockArgvs(b, id, args).map((argv) => ({ kind: 'command' as const, detail: `run ${JSON.stringify(r.inNetns(args.netns, argv))}` })),
      );
    },
    run: async (io, args): Promise<StepResult> => {
      const earlier = io.pending?.record as LockRecord | undefined;
      const id = lockId(io.key);
      const record: LockRecord = earlier ?? {
        backend: await pickBackend(args),
        id,
        table: `tourniquet_${id}`,
        ...(args.netns ? { netns: args.netns } : {}),
        args,
      };
      let detail: string;
      // "Locked" is what the kernel lists after the change, not what the apply command returned.
      const proof: { check: string; target: string; ok: boolean; detail: string }[] = [];
      if (record.backend === 'nftables') {
        // Our table exists only if an earlier attempt applied it: nft -f applies a file whole or not at all.
        if (!earlier) io.markPending(record);
        if ((await run(io, args.netns, r.nftListArgv(record.table))).exitCode !== 0) {
          const file = rulesFile(io.key);
          mkdirSync(join(file, '..'), { recursive: true, mode: 0o700 });
          writeFileAtomic(file, r.nftRuleset(record.table, args), 0o600);
          await withHeartbeat(io, must(io, args.netns, r.nftApplyArgv(file)));
        }
        const listed = await must(io, args.netns, r.nftListArgv(record.table));
        if (!/\bdrop\b/.test(listed.stdout)) throw new StepError('VerificationFailed', `table inet ${record.table} is in place but holds no drop rule`);
        detail = `nftables table inet ${record.table}`;
        proof.push({
          check: 'ruleset-read-back',
          target: `nft list table inet ${record.table}`,
          ok: true,
          detail: 'the kernel holds our table with its drop rule',
        });
      } else {
        io.markPending(record);
        const families: ('iptables' | 'ip6tables')[] = ['iptables'];
        if ((await run(io, args.netns, ['ip6tables', '-w', '-S', 'INPUT'])).exitCode === 0) families.push('ip6tables');
        else record.v6Skipped = true;
        for (const b of families) {
          // A partial earlier attempt left chains of ours: clear them, then build again.
          if (earlier) for (const argv of r.iptablesUnlockArgvs(b, id)) await run(io, args.netns, argv);
          for (const argv of r.iptablesLockArgvs(b, id, args)) await must(io, args.netns, argv);
        }
        io.markPending(record);
        const chains = r.iptablesChains(id);
        const input = await must(io, args.netns, ['iptables', '-w', '-S', 'INPUT']);
        if (!input.stdout.includes(`-j ${chains.input}`)) throw new StepError('VerificationFailed', `INPUT does not jump to ${chains.input}`);
        proof.push({ check: 'ruleset-read-back', target: 'iptables -S INPUT', ok: true, detail: `the kernel's INPUT jumps to ${chains.input}` });
        detail = `iptables chains ${chains.input}/${chains.output}${record.v6Skipped ? ' (IPv6 not filtered: ip6tables unusable)' : ''}`;
      }
      return {
        summary: `locked the network${args.netns ? ` of netns ${args.netns}` : ''} (${args.scope.kind}) except ${args.allow.join(', ')}: ${detail}`,
        data: {
          backend: record.backend,
          table: record.table,
          netns: args.netns ?? null,
          scope: args.scope,
          allow: args.allow,
          v6Skipped: record.v6Skipped ?? false,
          proof,
          undo: { action: 'unlockNetwork', args: { lockStep: io.key.stepId } },
        },
      };
    },
  });

  const findLock = (io: StepIO, lockStep: string): LockRecord => {
    const entries = io.journal.all(io.key.workflowId).filter((e) => e.action === 'lockNetwork' && e.key.stepId === lockStep && e.record);
    entries.sort((a, b) => a.at.localeCompare(b.at));
    const record = entries.at(-1)?.record as LockRecord | undefined;
    if (!record) throw new StepError('TargetNotFound', `this incident has no lockNetwork step "${lockStep}" that changed anything`);
    return record;
  };

  const unlockNetwork = defineStep(deps, 'unlockNetwork', {
    plan: (args) => [{ kind: 'command', detail: `remove the nftables table or iptables chains that step "${args.lockStep}" added` }],
    run: async (io, args): Promise<StepResult> => {
      const lock = findLock(io, args.lockStep);
      const undo = { action: 'lockNetwork', args: lock.args };
      io.markPending({ unlocking: lock.id });
      if (lock.backend === 'nftables') {
        if ((await run(io, lock.netns, r.nftListArgv(lock.table))).exitCode === 0) await must(io, lock.netns, r.nftDeleteArgv(lock.table));
        if ((await run(io, lock.netns, r.nftListArgv(lock.table))).exitCode === 0)
          throw new StepError('VerificationFailed', `table inet ${lock.table} is still there`);
        return {
          summary: `removed nftables table inet ${lock.table}${lock.netns ? ` in netns ${lock.netns}` : ''}`,
          data: { backend: lock.backend, table: lock.table, undo },
        };
      }
      for (const b of ['iptables', 'ip6tables'] as const) for (const argv of r.iptablesUnlockArgvs(b, lock.id)) await run(io, lock.netns, argv);
      const input = await must(io, lock.netns, ['iptables', '-w', '-S']);
      if (input.stdout.includes(r.iptablesChains(lock.id).input))
        throw new StepError('VerificationFailed', `iptables still has ${r.iptablesChains(lock.id).input}`);
      return {
        summary: `removed iptables chains of lock ${lock.id}${lock.netns ? ` in netns ${lock.netns}` : ''}`,
        data: { backend: lock.backend, chains: r.iptablesChains(lock.id), undo },
      };
    },
  });

  return { lockNetwork, unlockNetwork };
}
