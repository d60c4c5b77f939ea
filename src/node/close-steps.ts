// Closing a node's parts in a fixed order where every step is attempted: a step that fails is
// logged and the next one still runs; the first failure is rethrown once all have run. Used by
// StoreNode.close() and by openNode's cleanup after a failed start.
import type { Logger } from '../util/logger.js';

export interface CloseStep {
  /** What is closed, for the log ("admin server", "HA service", "store"). */
  readonly what: string;
  readonly close: () => Promise<void>;
}

export async function closeInOrder(steps: readonly CloseStep[], logger: Logger): Promise<void> {
  let first: { error: unknown } | null = null;
  for (const step of steps) {
    try {
      await step.close();
      logger.debug(`close: ${step.what} closed`);
    } catch (err) {
      logger.error(`close: closing the ${step.what} failed: ${(err as Error).message}`);
      first ??= { error: err };
    }
  }
  if (first !== null) throw first.error;
}
