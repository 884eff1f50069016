// `npm install` step: builds the native backend (binding.gyp) with node-gyp. A failed build (no
// compiler, an unusual platform) must not fail the install: gradlab then runs on wasm and says so.
// GRADLAB_SKIP_NATIVE=1 skips the build.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const statusFile = join(root, 'build', 'native-status.json');

function record(status) {
  mkdirSync(dirname(statusFile), { recursive: true });
  writeFileSync(statusFile, JSON.stringify(status, null, 2) + '\n');
}

if (process.env.GRADLAB_SKIP_NATIVE === '1') {
  record({ built: false, reason: 'GRADLAB_SKIP_NATIVE=1' });
  process.exit(0);
}

// npm passes its own node-gyp in npm_config_node_gyp; otherwise look for one on PATH.
const gyp = process.env.npm_config_node_gyp;
const cmd = gyp && existsSync(gyp) ? process.execPath : 'node-gyp';
const args = gyp && existsSync(gyp) ? [gyp, 'rebuild'] : ['rebuild'];
const r = spawnSync(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
const addon = join(root, 'build', 'Release', 'gradlab_native.node');
if (r.status === 0 && existsSync(addon)) {
  record({ built: true });
  console.log('gradlab: native backend built (build/Release/gradlab_native.node)');
} else {
  rmSync(addon, { force: true });
  const why = r.error ? String(r.error.message) : (r.stderr || r.stdout || '').trim().split('\n').slice(-6).join('\n');
  record({ built: false, reason: why });
  console.warn(`gradlab: the native backend did not build, so gradlab will use WebAssembly.\n${why}`);
}
