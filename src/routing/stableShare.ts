/**
 * A stable point in [0, 1) for a key (FNV-1a, 32 bit): the same request id or caller always lands
 * on the same side of a canary split. Pure and dependency-free so workflow code may use it too.
 */
export function stableShare(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // Avalanche the low bits so sequential ids spread evenly.
  h = (h ^ (h >>> 16)) >>> 0;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h = (h ^ (h >>> 13)) >>> 0;
  return h / 0x1_0000_0000;
}

export function inShare(key: string, share: number): boolean {
  return share > 0 && stableShare(key) < share;
}
