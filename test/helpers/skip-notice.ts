// Makes a skip visible in every reporter: vitest's default reporter shows a skipped test's
// count but not its title, so the reason is also printed once when the test file loads.
export function skipNotice(what: string, reason: string | null): void {
  if (reason !== null) process.stderr.write(`[SKIPPED] ${what}: ${reason}\n`);
}
