/**
 * `npm run schemas`: write the JSON Schemas of the playbook and inventory formats, generated
 * from the zod schemas (the single source of truth), for editors to autocomplete and check.
 * A test fails when the committed files differ from what this writes.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { inventorySchema } from './inventory';
import { playbookEntry, playbookEntryShape, playbookSchema } from './playbook';

export const SCHEMAS_DIR = fileURLToPath(new URL('../schemas', import.meta.url));

export function jsonSchemas(): Record<string, string> {
  // A phase entry is parsed by its shape (a transform, which JSON Schema cannot say): editors
  // get its union, written once and referenced from every phase.
  const { $schema: _, $defs: entryDefs, ...entry } = z.toJSONSchema(playbookEntryShape, { io: 'input', unrepresentable: 'any', reused: 'ref' });
  const override = (ctx: { zodSchema: unknown; jsonSchema: Record<string, unknown> }) => {
    if (ctx.zodSchema === playbookEntry) ctx.jsonSchema.$ref = '#/$defs/playbookEntry';
  };
  const render = (schema: z.ZodType, title: string) => {
    const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', override });
    if (schema === playbookSchema) json.$defs = { ...json.$defs, ...entryDefs, playbookEntry: entry };
    return `${JSON.stringify({ ...json, title }, null, 2)}\n`;
  };
  return {
    'playbook.schema.json': render(playbookSchema, 'tourniquet playbook'),
    'inventory.schema.json': render(inventorySchema, 'tourniquet inventory (tourniquet.yaml)'),
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const [name, text] of Object.entries(jsonSchemas())) {
    writeFileSync(`${SCHEMAS_DIR}/${name}`, text);
    console.log(`wrote schemas/${name}`);
  }
}
