/**
 * Lockdown rules as text and argv, kept pure so unit tests check exactly what is applied.
 *
 * nftables: one table of our own per lockdown (`inet tourniquet_<id>`), with input and output
 * chains that drop everything except loopback, IPv6 neighbour discovery and the admin
 * addresses. A drop in our table holds whatever other tables accept, and removing the table
 * removes exactly what we added. iptables (the fallback): two chains of our own, jumped to
 * first from INPUT and OUTPUT.
 */
import type { ActionArgs } from '../../contract';

export type LockArgs = ActionArgs<'lockNetwork'>;

export const isV6 = (address: string) => address.includes(':');

/** Commands run inside the step's network namespace when it names one. */
export const inNetns = (netns: string | undefined, argv: string[]) => (netns ? ['ip', 'netns', 'exec', netns, ...argv] : argv);

function set(name: string, type: string, addresses: string[]): string {
  return `  set ${name} {\n    type ${type}; flags interval;\n${addresses.length ? `    elements = { ${addresses.join(', ')} }\n` : ''}  }`;
}

export function nftRuleset(table: string, args: Pick<LockArgs, 'scope' | 'allow'>): string {
  const v4 = args.allow.filter((a) => !isV6(a));
  const v6 = args.allow.filter(isV6);
  const nd = 'icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit, nd-router-advert } accept';
  const chain = (name: string, hook: string, rules: string[]) =>
    `  chain ${name} {\n    type filter hook ${hook} priority -10; policy accept;\n${rules.map((r) => `    ${r}`).join('\n')}\n  }`;
  let input: string[];
  let output: string[];
  if (args.scope.kind === 'host') {
    input = ['iif "lo" accept', nd, 'ip saddr @admin4 accept', 'ip6 saddr @admin6 accept', 'drop'];
    output = ['oif "lo" accept', nd, 'ip daddr @admin4 accept', 'ip6 daddr @admin6 accept', 'drop'];
  } else {
    const ports = args.scope.ports.join(', ');
    input = args.scope.ports.length
      ? ['iif "lo" accept', 'ip saddr @admin4 accept', 'ip6 saddr @admin6 accept', `tcp dport { ${ports} } drop`, `udp dport { ${ports} } drop`]
      : [];
    const uid = args.scope.uid;
    output =
      uid === undefined
        ? []
        : [
            `meta skuid ${uid} oif "lo" accept`,
            `meta skuid ${uid} ip daddr @admin4 accept`,
            `meta skuid ${uid} ip6 daddr @admin6 accept`,
            `meta skuid ${uid} drop`,
          ];
  }
  return [
    `table inet ${table} {`,
    set('admin4', 'ipv4_addr', v4),
    set('admin6', 'ipv6_addr', v6),
    chain('input', 'input', input),
    chain('output', 'output', output),
    '}',
    '',
  ].join('\n');
}

export const nftListArgv = (table: string) => ['nft', 'list', 'table', 'inet', table];
export const nftApplyArgv = (file: string) => ['nft', '-f', file];
export const nftDeleteArgv = (table: string) => ['nft', 'delete', 'table', 'inet', table];

/** iptables chain names: at most 28 characters. */
export const iptablesChains = (id: string) => ({ input: `TQ-${id}-IN`, output: `TQ-${id}-OUT` });

/** The commands that build the lockdown for one family (`iptables` or `ip6tables`). */
export function iptablesLockArgvs(binary: 'iptables' | 'ip6tables', id: string, args: Pick<LockArgs, 'scope' | 'allow'>): string[][] {
  const { input, output } = iptablesChains(id);
  const admins = args.allow.filter((a) => (binary === 'ip6tables' ? isV6(a) : !isV6(a)));
  const ipt = (...rest: string[]) => [binary, '-w', ...rest];
  const cmds: string[][] = [ipt('-N', input), ipt('-N', output)];
  const scope = args.scope;
  if (scope.kind === 'host') {
    cmds.push(ipt('-A', input, '-i', 'lo', '-j', 'ACCEPT'), ...admins.map((a) => ipt('-A', input, '-s', a, '-j', 'ACCEPT')), ipt('-A', input, '-j', 'DROP'));
    cmds.push(ipt('-A', output, '-o', 'lo', '-j', 'ACCEPT'), ...admins.map((a) => ipt('-A', output, '-d', a, '-j', 'ACCEPT')), ipt('-A', output, '-j', 'DROP'));
  } else {
    if (scope.ports.length) {
      const ports = scope.ports.join(',');
      cmds.push(ipt('-A', input, '-i', 'lo', '-j', 'ACCEPT'), ...admins.map((a) => ipt('-A', input, '-s', a, '-j', 'ACCEPT')));
      for (const proto of ['tcp', 'udp']) cmds.push(ipt('-A', input, '-p', proto, '-m', 'multiport', '--dports', ports, '-j', 'DROP'));
    }
    if (scope.uid !== undefined) {
      const owner = ['-m', 'owner', '--uid-owner', String(scope.uid)];
      cmds.push(
        ipt('-A', output, ...owner, '-o', 'lo', '-j', 'ACCEPT'),
        ...admins.map((a) => ipt('-A', output, ...owner, '-d', a, '-j', 'ACCEPT')),
        ipt('-A', output, ...owner, '-j', 'DROP'),
      );
    }
  }
  cmds.push(ipt('-I', 'INPUT', '1', '-j', input), ipt('-I', 'OUTPUT', '1', '-j', output));
  return cmds;
}

/** The commands that remove it again; each may fail harmlessly when its part is already gone. */
export function iptablesUnlockArgvs(binary: 'iptables' | 'ip6tables', id: string): string[][] {
  const { input, output } = iptablesChains(id);
  const ipt = (...rest: string[]) => [binary, '-w', ...rest];
  return [ipt('-D', 'INPUT', '-j', input), ipt('-D', 'OUTPUT', '-j', output), ipt('-F', input), ipt('-F', output), ipt('-X', input), ipt('-X', output)];
}
