/**
 * Whether a process id names a live process on this machine (signal 0 checks without signalling).
 * EPERM means it lives but belongs to another user. Not an integer above 0 → false: `kill(0, 0)`
 * would ask about our own process group and a negative pid about another group.
 */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
