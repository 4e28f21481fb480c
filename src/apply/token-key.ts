import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { loadKeyRing, rotateKeyRing } from '../config/key-ring.ts';
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

/** The keys that turn identifiers into tokens: the current one, and the earlier ones, newest first. */
export interface TokenKeys {
  readonly currentId: string;
  readonly current: Buffer;
  readonly earlier: readonly Buffer[];
}

const SETTING = 'CROSSWALK_TOKEN_KEY_FILE';

/**
 * A token key file written before key rings holds the bare key (random bytes, never JSON): it is read as
 * a ring of that one key (id k0), and the first rotation rewrites it as a ring that keeps it.
 */
function bareKey(bytes: Buffer): Buffer | null {
  if (bytes.length > 0 && bytes[0] === 0x7b) {
    try {
      JSON.parse(bytes.toString('utf8'));
      return null;
    } catch {
      return bytes;
    }
  }
  return bytes;
}

/**
 * Reads the token key ring (see config/key-ring.ts), creating one on first use. Tokens are always made
 * with the current key; the earlier keys only link what they tokenised (apply/token-link.ts).
 */
export function loadTokenKeys(path: string): TokenKeys {
  const ring = loadKeyRing(path, SETTING, (b) => {
    const k = bareKey(b);
    if (k !== null && k.length < 16) {
      throw new CrosswalkError('CW_ERR_CONFIG_INVALID', {
        setting: SETTING,
        reason: `${path} holds ${k.length} bytes; at least 16 are needed`,
      });
    }
    return k;
  });
  const ids = [...ring.keys.keys()]
    .filter((id) => id !== ring.current)
    .sort((a, b) => Number(b.slice(1)) - Number(a.slice(1)));
  return {
    currentId: ring.current,
    current: ring.keys.get(ring.current)!,
    earlier: ids.map((id) => ring.keys.get(id)!),
  };
}

/** Adds a new current token key; the earlier ones stay (see loadTokenKeys). Returns its id. */
export function rotateTokenKeys(path: string): string {
  return rotateKeyRing(path, SETTING, new Date(), bareKey);
}
