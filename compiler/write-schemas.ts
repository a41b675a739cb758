/**
 * `npm run schemas`: write the JSON Schemas of the playbook and inventory formats, generated
 * from the zod schemas (the single source of truth), for editors to autocomplete and check.
 * A test fails when the committed files differ from what this writes.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { inventorySchema } from './inventory';
import { playbookSchema } from './playbook';

export const SCHEMAS_DIR = fileURLToPath(new URL('../schemas', import.meta.url));

export function jsonSchemas(): Record<string, string> {
  const render = (schema: z.ZodType, title: string) =>
    `${JSON.stringify({ ...z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }), title }, null, 2)}\n`;
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
