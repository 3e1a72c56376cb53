import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';

/**
 * The SHA-256 of a short text (UTF-8), in hex: the digest node:crypto gives, without loading
 * node:crypto (about 2 ms of a command that needs no other cryptography). For ids and cache keys
 * of small inputs; a large file is hashed faster by node:crypto.
 */
export function sha256Hex(text: string): string {
  return bytesToHex(sha256(utf8ToBytes(text)));
}
