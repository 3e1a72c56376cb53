import { createRequire } from 'node:module';

/** Takes a lock on an open file without waiting: true when taken, false when another holds it. */
export type TryLock = (fd: number, shared: boolean) => boolean;

interface Binding {
  /** fs-native-extensions' binding: throws (EAGAIN when held elsewhere) rather than returning false. */
  tryLock(fd: number, offset: number, length: number, exclusive: boolean): void;
}

/**
 * fs-native-extensions' tryLock. Its prebuilt addon for this platform is loaded directly (about
 * 1.5 ms) rather than through the package's entry, whose loader packages (require-addon and what
 * it resolves with) cost about 7 ms on every command that takes a lock. Where that file is not
 * there, or is not what this expects, the package's own entry is used.
 */
export async function loadTryLock(): Promise<TryLock> {
  try {
    // The CLI's CommonJS bundles have a require of their own: node:module (and with it part of
    // the ES module loader) is then not loaded for it.
    const load = typeof require === 'function' ? require : createRequire(import.meta.url);
    const binding = load(`fs-native-extensions/prebuilds/${process.platform}-${process.arch}/fs-native-extensions.node`) as Partial<Binding>;
    if (typeof binding.tryLock === 'function') {
      const native = binding.tryLock.bind(binding);
      return (fd, shared) => {
        try {
          native(fd, 0, 0, !shared);
          return true;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'EAGAIN') return false;
          throw e;
        }
      };
    }
  } catch {
    // not prebuilt for this platform: the package's loader finds or builds it
  }
  const { tryLock } = await import('fs-native-extensions');
  return (fd, shared) => tryLock(fd, { shared });
}
