/** evidence verify: check an incident's captured evidence for tampering. */
import type { Command } from 'commander';
import { z } from 'zod';
import { Problem } from '../../common/errors';
import { action, print, printJson } from '../command';

export function registerEvidenceCommands(program: Command): void {
  const evidence = program.command('evidence').description('Work with the evidence incidents captured');
  evidence
    .command('verify')
    .description(
      'Check every evidence folder of an incident against its SHA-256 manifest, and each manifest against the hash in the workflow history; exit 8 on any mismatch',
    )
    .argument('<id>', 'incident id')
    .option('--offline', 'do not ask the Temporal server: check files against their manifests only')
    .option('--json', 'print JSON')
    .action(
      action(z.object({ offline: z.boolean().optional() }), async (ctx, o, id: string) => {
        const { recordedManifests, renderReport, verifyIncidentEvidence } = await import('../../client/evidence');
        const config = ctx.config();
        const recorded = o.offline ? undefined : await recordedManifests(await ctx.client(), id);
        const reports = await verifyIncidentEvidence(config.home, id, recorded);
        if (ctx.json) printJson(reports);
        else for (const r of reports) print(renderReport(r, recorded !== undefined));
        const bad = reports.filter((r) => !r.ok).length;
        if (bad) throw new Problem('VerificationFailed', `${bad} of ${reports.length} evidence folder(s) of ${id} failed verification`);
        if (!ctx.json)
          print(`${reports.length} evidence folder(s) of ${id} verified${recorded ? ' against the workflow history' : ' (offline: manifests only)'}`);
      }),
    );
}
