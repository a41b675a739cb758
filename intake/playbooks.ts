/**
 * The intake's default resolver: a routed alert becomes the workflow input through the
 * playbook compiler, with the inventory as the allowlist. Alert values arrive as typed
 * parameters; a parameter of an inventory kind must name an inventory entry, so an alert can
 * never name a command or a path of its own.
 */
import { checkPlaybook, compileNamedPlaybook, findPlaybook, formatProblems, loadInventory, YamlSource } from '../compiler';
import { Problem } from '../common/errors';
import type { IncidentRequest, ResolveIncident } from './resolve';
import type { Route } from './routes';

export interface PlaybookResolverOptions {
  inventoryFile: string;
  /** Your own playbooks, searched before the built-in ones. */
  playbooksDir: string | undefined;
  /** The tourniquet home (rule 8). */
  home: string;
}

/** Check every route against its playbook and the inventory, then resolve requests. */
export function playbookResolver(o: PlaybookResolverOptions, routes: Route[]): ResolveIncident {
  const inventory = loadInventory(o.inventoryFile);
  const problems: string[] = [];
  for (const route of routes) {
    let file: string;
    try {
      file = findPlaybook(route.playbook, o.playbooksDir);
    } catch (err) {
      problems.push(`route "${route.name}": ${(err as Error).message}`);
      continue;
    }
    const literal = Object.fromEntries(Object.entries(route.params).filter(([, v]) => typeof v !== 'object' || Array.isArray(v))) as IncidentRequest['params'];
    const result = checkPlaybook(YamlSource.read(file), { inventory, params: literal, symbolic: true, home: o.home });
    if (result.problems.length) problems.push(`route "${route.name}" → playbook ${route.playbook}:\n${formatProblems(file, result.problems)}`);
    const declared = result.playbook?.parameters ?? {};
    const unknown = Object.keys(route.params).filter((p) => !Object.hasOwn(declared, p));
    if (unknown.length)
      problems.push(
        `route "${route.name}": playbook ${route.playbook} has no parameter ${unknown.join(', ')} (parameters: ${Object.keys(declared).join(', ') || 'none'})`,
      );
    const missing = Object.entries(declared)
      .filter(([name, spec]) => spec.default === undefined && !Object.hasOwn(route.params, name))
      .map(([name]) => name);
    if (missing.length) problems.push(`route "${route.name}": playbook ${route.playbook} needs ${missing.join(', ')}, which the route's params do not give`);
  }
  if (problems.length) throw new Problem('InvalidInput', `routes and playbooks disagree:\n  ${problems.join('\n  ')}`);

  return async (request) =>
    compileNamedPlaybook(request.playbook, {
      playbooksDir: o.playbooksDir,
      inventory,
      params: request.params,
      severity: request.severity,
      title: request.title,
      home: o.home,
    });
}
