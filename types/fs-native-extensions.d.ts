declare module 'fs-native-extensions' {
  /**
   * Non-blocking whole-file lock: on Linux an open file description lock (F_OFD_SETLK), on macOS
   * flock(2). false when another description holds a conflicting lock. An exclusive lock needs a
   * descriptor open for writing, a shared one a descriptor open for reading.
   */
  export function tryLock(fd: number, opts?: { shared?: boolean }): boolean;
}
