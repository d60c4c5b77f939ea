// Picks the FileIO backend from the `ioBackend` setting. 'auto' uses the addon when it loaded
// and otherwise falls back to the node backend, warning once per process; 'native' without
// the addon is an error that says why the addon is missing.
import { ErrorCode, StoreError } from '../errors.js';
import { consoleLogger, type Logger } from '../util/logger.js';
import type { FileIO, IoBackendChoice } from './file-io.js';
import { loadNativeAddon } from './native-addon.js';
import { NativeFileIO } from './native-file-io.js';
import { NodeFileIO } from './node-file-io.js';

let warnedFallback = false;

export function selectFileIO(choice: IoBackendChoice = 'auto', logger: Logger = consoleLogger('io')): FileIO {
  if (choice === 'node') return new NodeFileIO();
  const load = loadNativeAddon();
  if (load.addon) return new NativeFileIO(load.addon);
  if (choice === 'native') {
    throw new StoreError(ErrorCode.NATIVE_UNAVAILABLE, `ioBackend=native but the addon is not available: ${load.error}`);
  }
  if (!warnedFallback) {
    warnedFallback = true;
    logger.warn(`native IO addon not loaded (${load.error}); using the pure-Node IO backend (no mmap, O_DIRECT or sendfile)`);
  }
  return new NodeFileIO();
}
