// The layer rule: every import points down. A module may import from its own top-level folder
// and from the folders its layer lists below; anything else fails lint. Type-only imports
// obey the same table, except the one the STYLE guide asks for: workflows read the activities'
// types (`proxyActivities<ReturnType<typeof createActivities>>`) without loading them.
import { dirname, relative, resolve, sep } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');

/** Top-level folder → the folders it may import from (besides itself). */
export const LAYERS = {
  contract: [],
  common: ['contract'],
  workflows: ['contract'],
  activities: ['contract', 'common'],
  compiler: ['contract', 'common'],
  server: ['contract', 'common'],
  client: ['contract', 'common', 'workflows', 'activities', 'compiler', 'server'],
  intake: ['contract', 'common', 'compiler', 'server', 'client'],
  worker: ['contract', 'common', 'workflows', 'activities', 'server', 'client'],
  cli: ['contract', 'common', 'workflows', 'activities', 'compiler', 'server', 'client', 'intake', 'worker'],
  demo: ['contract', 'common', 'workflows', 'activities', 'compiler', 'server', 'client', 'intake', 'worker', 'cli'],
  bench: ['contract', 'common', 'workflows', 'activities', 'compiler', 'server', 'client', 'intake', 'worker', 'cli', 'demo'],
};

/** Type-only imports allowed on top of the table. */
const TYPE_ONLY = { workflows: ['activities'] };

const folderOf = (file) => relative(ROOT, file).split(sep)[0];

const rule = {
  meta: { type: 'problem', docs: { description: 'imports point down the layers' }, schema: [] },
  create(context) {
    const from = folderOf(context.filename);
    const allowed = LAYERS[from];
    if (!allowed) return {};
    const check = (node, spec, typeOnly) => {
      if (typeof spec !== 'string' || !spec.startsWith('.')) return;
      const to = folderOf(resolve(dirname(context.filename), spec));
      if (to === from || allowed.includes(to) || !(to in LAYERS)) return;
      if (typeOnly && TYPE_ONLY[from]?.includes(to)) return;
      context.report({
        node,
        message: `${from}/ may not import from ${to}/: imports point down the layers (${from} sees ${allowed.join(', ') || 'nothing else'}). Move the shared piece down, or the caller up.`,
      });
    };
    return {
      ImportDeclaration: (n) => check(n.source, n.source.value, n.importKind === 'type' || n.specifiers.every((s) => s.importKind === 'type')),
      ExportNamedDeclaration: (n) => n.source && check(n.source, n.source.value, n.exportKind === 'type'),
      ExportAllDeclaration: (n) => check(n.source, n.source.value, n.exportKind === 'type'),
      ImportExpression: (n) => n.source.type === 'Literal' && check(n.source, n.source.value, false),
    };
  },
};

export default { rules: { layers: rule } };
