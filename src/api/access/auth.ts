// API tokens: stored as SHA-256 hashes, checked in constant time.
import { createHash, timingSafeEqual } from 'node:crypto';

export const hashToken = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

export function tokenChecker(hashes: () => string[]): (token: string) => boolean {
  return (token) => {
    const presented = Buffer.from(hashToken(token), 'hex');
    let ok = false;
    // Compare against every hash, no early exit: the time taken says nothing about which one matched.
    for (const h of hashes()) ok = timingSafeEqual(presented, Buffer.from(h, 'hex')) || ok;
    return ok;
  };
}

export function bearer(header: string | undefined): string | null {
  const m = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  return m ? m[1]! : null;
}
