// pidusage 4 ships no types and @types/pidusage is not installed; only what the bench uses.
declare module 'pidusage' {
  interface Status {
    /** Percent of one core since the previous call for this pid (0 to 100 × cores). */
    cpu: number;
    /** RSS in bytes. */
    memory: number;
    pid: number;
    ppid: number;
    ctime: number;
    elapsed: number;
    timestamp: number;
  }
  function pidusage(pid: number): Promise<Status>;
  namespace pidusage {
    /** Drops the per-pid history and its expiry timer, so the process can exit. */
    function clear(): void;
  }
  export = pidusage;
}
