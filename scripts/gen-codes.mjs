// Writes assembly/codes.ts and native/src/codes.h from the op-code table in src/backend/codes.ts
// (read from its build, so run `npm run build` first; `npm run gen:codes` does both).
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generatedCodeFiles } from '../dist/src/backend/codes.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
for (const [rel, text] of Object.entries(generatedCodeFiles())) {
  writeFileSync(join(root, rel), text);
  console.log(`gen-codes: wrote ${rel}`);
}
