/**
 * Eight hex digits that make a temp file's name unique (`<file>.<pid>.<nonce>.tmp`). Not a
 * secret: every writer opens the name with O_EXCL (`flag: 'wx'`), so a file or symlink planted
 * under it makes the write fail and is never followed. Math.random, not node:crypto, whose
 * loading costs `up` and `down` about 2 ms.
 */
export function nameNonce(): string {
  return Math.floor(Math.random() * 0x1_0000_0000)
    .toString(16)
    .padStart(8, '0');
}
