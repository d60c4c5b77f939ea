// Starts a worker thread from a module URL. Compiled code (dist/, .js) starts directly; source
// (.ts, under vitest or tsx) starts through an eval'd bootstrap that loads the entry with tsx,
// because a Worker given a .ts file does not pass through tsx's hooks.
import { fileURLToPath } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

export function spawnWorker(entry: URL, options: Omit<WorkerOptions, 'eval'> = {}): Worker {
  if (!entry.pathname.endsWith('.ts')) return new Worker(fileURLToPath(entry), options);
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const bootstrap =
    `import(${JSON.stringify(tsxApi)})` +
    `.then((m) => m.tsImport(${JSON.stringify(entry.href)}, ${JSON.stringify(entry.href)}))`;
  return new Worker(bootstrap, { ...options, eval: true });
}
