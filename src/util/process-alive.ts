// Whether a process id belongs to a running process (signal 0 probes without sending; EPERM
// means it runs under another user).
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
