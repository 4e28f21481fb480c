import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { CrosswalkError } from '../errors/index.ts';

/**
 * Reads the tokenisation key, creating a random one (mode 0600) on first use so the embedded default
 * needs no setup. The key is not in the database on purpose: whoever holds only the data cannot
 * recompute a patient's token.
 */
export function loadTokenKey(path: string): Buffer {
  let key: Buffer;
  try {
    key = readFileSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new CrosswalkError('CW_ERR_CONFIG_FILE', {
        path,
        reason: (e as NodeJS.ErrnoException).code ?? 'unreadable',
      });
    }
    key = randomBytes(32);
    try {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, key, { mode: 0o600, flag: 'wx' });
      chmodSync(path, 0o600);
    } catch (w) {
      // Another process created it first: use theirs.
      if ((w as NodeJS.ErrnoException).code === 'EEXIST') return loadTokenKey(path);
      throw new CrosswalkError('CW_ERR_CONFIG_FILE', {
        path,
        reason: (w as NodeJS.ErrnoException).code ?? 'unwritable',
      });
    }
  }
  if (key.length < 16) {
    throw new CrosswalkError('CW_ERR_CONFIG_INVALID', {
      setting: 'CROSSWALK_TOKEN_KEY_FILE',
      reason: `${path} holds ${key.length} bytes; at least 16 are needed`,
    });
  }
  return key;
}
