// Run TypeScript worker files from tests: worker threads do not inherit vitest's transform,
// so they load through tsx.
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Worker } from 'node:worker_threads';
import { spawnWorker } from '../../src/util/spawn-worker.js';

export const TSX_EXEC_ARGV = ['--import', 'tsx'];

export function helperPath(name: string): string {
  return fileURLToPath(new URL(`./${name}`, import.meta.url));
}

/** A worker running test/helpers/<name> (TypeScript, loaded through tsx). */
export function startTsWorker(name: string, workerData: unknown): Worker {
  return spawnWorker(pathToFileURL(helperPath(name)), { workerData });
}

/** Resolve with the worker's first message, or reject on error / exit / deadline. */
export function firstMessage<T>(worker: Worker, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker gave no message within ${timeoutMs} ms`)), timeoutMs);
    worker.once('message', (m: T) => {
      clearTimeout(timer);
      resolve(m);
    });
    worker.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    worker.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited with ${code} before sending a message`));
    });
  });
}
