// Benchmarks wait for another process or thread to reach a state (a slave connected, caught
// up): poll a condition every few ms until it holds or a deadline passes.
const POLL_MS = 2;

export async function waitUntil(condition: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
