// Compiles assembly/kernels.ts into the four wasm modules the backend picks from at load time:
// {plain SIMD, relaxed SIMD} x {private memory (1 thread), shared memory (worker pool)}.
// Run by `npm run build:wasm` (and so by `npm install` through `prepare`).
import asc from 'assemblyscript/asc';
import { mkdirSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'dist', 'wasm');
mkdirSync(outDir, { recursive: true });

// 1 GiB: the shared memory's declared maximum (reserved address space, not committed).
const MAX_PAGES = 16384;
const variants = [
  { name: 'simd', flags: [] },
  { name: 'relaxed', flags: ['--enable', 'relaxed-simd'] },
  { name: 'simd-shared', flags: ['--enable', 'threads', '--sharedMemory', '--maximumMemory', String(MAX_PAGES)] },
  { name: 'relaxed-shared', flags: ['--enable', 'relaxed-simd', '--enable', 'threads', '--sharedMemory', '--maximumMemory', String(MAX_PAGES)] },
];

for (const v of variants) {
  const tmp = join(outDir, `${v.name}.wasm.tmp`);
  const { error, stderr } = await asc.main([
    join(root, 'assembly', 'kernels.ts'),
    '-o', tmp,
    '-O3', '--noAssert', '--runtime', 'stub', '--use', 'abort=',
    '--enable', 'simd', '--importMemory', '--initialMemory', '1',
    ...v.flags,
  ]);
  if (error) {
    process.stderr.write(stderr.toString());
    throw error;
  }
  renameSync(tmp, join(outDir, `${v.name}.wasm`)); // atomic: a reader never sees half a module
}
console.log(`wasm kernels built into ${outDir}`);
