// `npm run sim -- ...`: bundle the simulator (test/sim/main.ts and the real engine code it drives)
// into one ES module with esbuild, then run it in this process with the same arguments.
// Why a bundle: under tsx every module is transformed on load and every function carries a
// keep-names wrapper; the bundle runs the same code about 1.6 x faster, which is what makes long
// seed runs affordable on two cores. The traces are the same either way (a seed's trace hash does
// not depend on how the code was loaded; `tsx test/sim/main.ts` still works for debugging).
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// inside node_modules so the bundle resolves the project's packages from its own location
const outDir = join(root, 'node_modules', '.cache', 'mqstore-sim');
const outFile = join(outDir, `sim-${process.pid}.mjs`);

mkdirSync(outDir, { recursive: true });
await build({
  entryPoints: [join(root, 'test', 'sim', 'main.ts')],
  outfile: outFile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
});
// main.ts ends with process.exit: remove this run's bundle then
process.on('exit', () => rmSync(outFile, { force: true }));
await import(pathToFileURL(outFile).href);
