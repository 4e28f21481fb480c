import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { CrosswalkError } from '../errors/index.ts';

/**
 * A key ring: secret keys, each with a short id, one of them current. New writes use the current key;
 * every key stays in the ring so whatever was written with an older one can still be read (or linked).
 * The file is JSON, mode 0600, created with one random key on first use so the embedded default needs no
 * setup; rotation adds a key and makes it current, written atomically (temp file and rename) so a reader
 * never sees half a ring. Keys live outside the database on purpose: a copy of the data alone is useless.
 */
export interface KeyRing {
  readonly current: string;
  readonly keys: ReadonlyMap<string, Buffer>;
}

interface KeyRingFile {
  readonly version: 1;
  readonly current: string;
  readonly keys: readonly { readonly id: string; readonly createdAt: string; readonly key: string }[];
}

const KEY_BYTES = 32;
const ID = /^k[0-9]{1,6}$/;

function fileError(path: string, e: unknown): CrosswalkError {
  return new CrosswalkError('CW_ERR_CONFIG_FILE', {
    path,
    reason: (e as NodeJS.ErrnoException).code ?? 'unreadable',
  });
}

function invalid(setting: string, path: string, reason: string): CrosswalkError {
  return new CrosswalkError('CW_ERR_CONFIG_INVALID', { setting, reason: `${path}: ${reason}` });
}

function parse(text: string, path: string, setting: string): KeyRingFile {
  let doc: KeyRingFile;
  try {
    doc = JSON.parse(text) as KeyRingFile;
  } catch {
    throw invalid(setting, path, 'not a JSON key ring');
  }
  if (doc?.version !== 1 || !Array.isArray(doc.keys) || typeof doc.current !== 'string') {
    throw invalid(setting, path, 'not a version 1 key ring');
  }
  for (const k of doc.keys) {
    if (typeof k?.id !== 'string' || !ID.test(k.id)) throw invalid(setting, path, 'a key id is malformed');
    // 32 bytes for keys this module makes; a key adopted from a single-key file may be shorter (≥ 16).
    if (Buffer.from(String(k.key), 'base64').length < 16) {
      throw invalid(setting, path, `key ${k.id} is shorter than 16 bytes`);
    }
  }
  if (!doc.keys.some((k) => k.id === doc.current)) {
    throw invalid(setting, path, `the current key ${doc.current} is not in the ring`);
  }
  return doc;
}

function ringOf(doc: KeyRingFile): KeyRing {
  return {
    current: doc.current,
    keys: new Map(doc.keys.map((k) => [k.id, Buffer.from(k.key, 'base64')])),
  };
}

function newKey(id: string, at: Date): KeyRingFile['keys'][number] {
  return { id, createdAt: at.toISOString(), key: randomBytes(KEY_BYTES).toString('base64') };
}

/** Writes the whole ring to a temp file beside it and renames it over: readers see the old or the new. */
function writeAtomically(path: string, doc: KeyRingFile): void {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(tmp, `${JSON.stringify(doc, null, 2)}\n`, { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, path);
  } catch (e) {
    throw fileError(path, e);
  }
}

/**
 * Reads the key ring at `path`, creating it with one random key (id k1) when missing. `setting` names the
 * setting that points at it, for error messages. `adopt` recognises a file from before key rings and
 * gives its one key (or null for a ring).
 */
export function loadKeyRing(
  path: string,
  setting: string,
  adopt?: (bytes: Buffer) => Buffer | null,
): KeyRing {
  let text: string;
  try {
    const bytes = readFileSync(path);
    // A file from before key rings (one bare key): read as a ring of that key alone, id k0.
    const single = adopt?.(bytes) ?? null;
    if (single !== null) return { current: 'k0', keys: new Map([['k0', single]]) };
    text = bytes.toString('utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw fileError(path, e);
    const doc: KeyRingFile = { version: 1, current: 'k1', keys: [newKey('k1', new Date())] };
    try {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, `${JSON.stringify(doc, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
      chmodSync(path, 0o600);
    } catch (w) {
      // Another process created it first: use theirs.
      if ((w as NodeJS.ErrnoException).code === 'EEXIST') return loadKeyRing(path, setting, adopt);
      throw fileError(path, w);
    }
    return ringOf(doc);
  }
  return ringOf(parse(text, path, setting));
}

/**
 * Adds a new random key to the ring at `path` and makes it current; the older keys stay (old rows and
 * old tokens need them). Returns the new key's id. Not safe against two rotations at the same instant
 * (the later rename wins and the earlier new key is lost before anything used it): rotate from one place.
 */
export function rotateKeyRing(
  path: string,
  setting: string,
  at = new Date(),
  adopt?: (bytes: Buffer) => Buffer | null,
): string {
  loadKeyRing(path, setting, adopt);
  let doc: KeyRingFile;
  try {
    const bytes = readFileSync(path);
    const single = adopt?.(bytes) ?? null;
    doc =
      single === null
        ? parse(bytes.toString('utf8'), path, setting)
        : {
            version: 1,
            current: 'k0',
            keys: [{ id: 'k0', createdAt: at.toISOString(), key: single.toString('base64') }],
          };
  } catch (e) {
    if (e instanceof CrosswalkError) throw e;
    throw fileError(path, e);
  }
  const next = Math.max(...doc.keys.map((k) => Number(k.id.slice(1)))) + 1;
  const id = `k${next}`;
  writeAtomically(path, { version: 1, current: id, keys: [...doc.keys, newKey(id, at)] });
  return id;
}

/** A ring of one key, kept in memory (tests, and callers that already hold a key). */
export function keyRingOf(keys: Readonly<Record<string, Uint8Array>>, current: string): KeyRing {
  const map = new Map(Object.entries(keys).map(([id, k]) => [id, Buffer.from(k)]));
  if (!map.has(current)) throw new TypeError(`current key ${current} is not in the ring`);
  return { current, keys: map };
}
