/**
 * Eight hex digits that make a temp file's name unique. Not a secret: every writer opens the name
 * with O_EXCL (`flag: 'wx'`), so a file or symlink planted under it makes the write fail and is
 * never followed. Math.random, not node:crypto, whose loading costs `up` and `down` about 2 ms.
 */
export function nameNonce(): string {
  return Math.floor(Math.random() * 0x1_0000_0000)
    .toString(16)
    .padStart(8, '0');
}

/** `<file>.<pid>.<nonce>.tmp`: where a writer of `file` writes before it renames (or links) into place. */
export function tempFileFor(file: string): string {
  return `${file}.${process.pid}.${nameNonce()}.tmp`;
}
