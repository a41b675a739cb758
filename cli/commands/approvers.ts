/**
 * approvers enroll, list, revoke: the people whose decisions the worker can prove. Run on the
 * worker's machine: the store is the worker's file (TOURNIQUET_APPROVERS, or approvers.json
 * in the state folder).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { z } from 'zod';
import { Problem } from '../../common/errors';
import { action, print, printJson } from '../command';

/** Loaded when a command runs, not when the CLI starts. */
const store = () => import('../../common/approvers');
const totp = () => import('../../common/totp');
const compiler = () => import('../../compiler');

export function registerApproverCommands(program: Command): void {
  const approvers = program.command('approvers').description("Enroll, list and revoke approvers (the worker's store of who can prove a decision)");

  approvers
    .command('enroll')
    .description('Enroll an approver: prints the authenticator secret they keep (shown once)')
    .argument('<name>', 'the name they approve as (--by)')
    .option('--ssh-key <file.pub>', 'the public half of an SSH key they already have, to sign decisions with')
    .option('--replace', 'enroll again: a new secret, the old one stops working')
    .option('--json', 'print JSON')
    .action(
      action(z.object({ sshKey: z.string().min(1).optional(), replace: z.boolean().optional() }), async (ctx, o, name: string) => {
        let sshPublicKey: string | undefined;
        if (o.sshKey) {
          try {
            sshPublicKey = readFileSync(o.sshKey, 'utf8');
          } catch (err) {
            throw new Problem('InvalidInput', `cannot read --ssh-key ${o.sshKey}: ${(err as Error).message}`);
          }
        }
        const file = ctx.config().approversFile;
        const [{ enrollApprover }, { otpauthUri }] = await Promise.all([store(), totp()]);
        const enrolled = enrollApprover(file, name, {
          randomBytes,
          now: new Date(),
          ...(sshPublicKey !== undefined ? { sshPublicKey } : {}),
          replace: o.replace === true,
        });
        const uri = otpauthUri(name, enrolled.secret);
        if (ctx.json) return printJson({ ...enrolled, otpauth: uri, store: file });
        print(`Enrolled ${name} in ${file}.`);
        print(`Give ${name} this, privately, once (it is not shown again):`);
        print(`  otpauth URI (scan or paste into an authenticator app): ${uri}`);
        print(`  secret (base32, for manual entry; time-based, 30 s, 6 digits): ${enrolled.secret}`);
        if (enrolled.sshFingerprint)
          print(`  SSH key: ${enrolled.sshFingerprint} (sign with: tourniquet approve <id> <step> --by ${name} --ssh-key <private key>)`);
      }),
    );

  approvers
    .command('list')
    .description(
      "List enrolled approvers (names, enrolment time, SSH key fingerprint; never secrets), and the people of the inventory's approver groups who are not enrolled",
    )
    .option('--json', 'print JSON')
    .action(
      action(z.object({}), async (ctx) => {
        const config = ctx.config();
        const enrolled = (await store()).readApprovers(config.approversFile);
        const rows = Object.entries(enrolled.approvers).map(([name, e]) => ({ name, enrolledAt: e.enrolledAt, ...(e.ssh ? { ssh: e.ssh.fingerprint } : {}) }));
        // Groups name people; a person in a group who is not enrolled cannot approve a proven step.
        const groups = existsSync(config.inventoryFile) ? (await compiler()).loadInventory(config.inventoryFile).approvers : {};
        const missing = Object.entries(groups).flatMap(([group, people]) => people.filter((p) => !enrolled.approvers[p]).map((name) => ({ name, group })));
        if (ctx.json) return printJson({ approvers: rows, notEnrolled: missing });
        if (!rows.length) print('No approvers enrolled (tourniquet approvers enroll <name>).');
        for (const r of rows) print(`${r.name.padEnd(20)} enrolled ${r.enrolledAt}${r.ssh ? `  ssh ${r.ssh}` : ''}`);
        for (const m of missing)
          print(`${m.name.padEnd(20)} NOT enrolled (in approver group ${m.group} of ${config.inventoryFile}): cannot approve a proven step`);
      }),
    );

  approvers
    .command('revoke')
    .description('Revoke an approver: their codes and signatures stop counting at once')
    .argument('<name>', 'the approver')
    .option('--json', 'print JSON')
    .action(
      action(z.object({}), async (ctx, _o, name: string) => {
        (await store()).revokeApprover(ctx.config().approversFile, name);
        if (ctx.json) return printJson({ revoked: name });
        print(`Revoked ${name}.`);
      }),
    );
}
