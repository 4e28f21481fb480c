import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { type KeyRing, loadKeyRing } from '../config/key-ring.ts';
import { CrosswalkError } from '../errors/index.ts';

/**
 * Encryption at rest of the stored bodies that carry patient data (raw HL7 v2 and FHIR messages in
 * inbound_messages and inbound_rejections, corrected messages in message_revisions, FHIR resource
 * versions). AES-256-GCM: a fresh 12-byte random nonce per body, the 16-byte tag after it, then the
 * ciphertext; the row records the id of the key that sealed it (`raw_key_id`).
 *
 * The additional data binds a body to its row's identity: the table and the SHA-256 of the plaintext
 * the row records. A ciphertext copied into another row (another message) fails its tag instead of
 * being served as that row's body. The content hash stays over the plaintext, so idempotency (same key,
 * same bytes) and the invariant checker's hash check work unchanged, after decrypting.
 *
 * A row whose key id is NULL was written before encryption existed (migration 0012) and is read as it
 * is; `crosswalk keys reencrypt` seals such rows too.
 */

export interface SealedBody {
  readonly keyId: string;
  readonly bytes: Buffer;
}

const NONCE = 12;
const TAG = 16;

function aadOf(table: string, contentSha256: string): Buffer {
  return Buffer.from(`crosswalk-raw-v1\u0000${table}\u0000${contentSha256}`, 'utf8');
}

export class RawCipher {
  private ringCache: KeyRing | null;

  /** `ring` directly, or a loader called on first use (so opening a store never touches the key file). */
  constructor(
    ring: KeyRing | (() => KeyRing),
    private readonly source = 'in memory',
    /** The key ring file, when the ring came from one (threads open their own stores with it). */
    readonly file: string | null = null,
  ) {
    if (typeof ring === 'function') {
      this.ringCache = null;
      this.load = ring;
    } else {
      this.ringCache = ring;
      this.load = () => ring;
    }
  }

  private readonly load: () => KeyRing;

  /** The key ring file at `path`, read (or created) on first use. */
  static fromFile(path: string): RawCipher {
    return new RawCipher(() => loadKeyRing(path, 'CROSSWALK_RAW_KEY_RING_FILE'), path, path);
  }

  private get ring(): KeyRing {
    this.ringCache ??= this.load();
    return this.ringCache;
  }

  get currentKeyId(): string {
    return this.ring.current;
  }

  seal(table: string, contentSha256: string, plain: Uint8Array): SealedBody {
    const ring = this.ring;
    const nonce = randomBytes(NONCE);
    const c = createCipheriv('aes-256-gcm', ring.keys.get(ring.current)!, nonce);
    c.setAAD(aadOf(table, contentSha256));
    const body = c.update(plain);
    const last = c.final();
    return { keyId: ring.current, bytes: Buffer.concat([nonce, c.getAuthTag(), body, last]) };
  }

  /**
   * The plaintext of a stored body. `row` only names the row in an error (never its content). Refuses,
   * with a security error, a body that was altered, moved from another row or sealed under another ring.
   */
  open(table: string, row: string, contentSha256: string, keyId: string | null, stored: Uint8Array): Buffer {
    const bytes = Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength);
    if (keyId === null) return bytes;
    const key = this.ring.keys.get(keyId);
    if (!key) {
      throw new CrosswalkError('CW_ERR_STORE_RAW_KEY_UNKNOWN', { table, row, keyId, path: this.source });
    }
    if (bytes.length < NONCE + TAG) {
      throw new CrosswalkError('CW_ERR_STORE_RAW_UNREADABLE', { table, row, keyId });
    }
    try {
      const d = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, NONCE));
      d.setAAD(aadOf(table, contentSha256));
      d.setAuthTag(bytes.subarray(NONCE, NONCE + TAG));
      return Buffer.concat([d.update(bytes.subarray(NONCE + TAG)), d.final()]);
    } catch (e) {
      throw new CrosswalkError('CW_ERR_STORE_RAW_UNREADABLE', { table, row, keyId }, { cause: e });
    }
  }
}

/**
 * The key ring of the embedded default (`./.crosswalk/raw-keys.json`, as CROSSWALK_RAW_KEY_RING_FILE
 * defaults), for stores opened without one: the same file `crosswalk serve` uses with default settings.
 */
export const DEFAULT_RAW_KEY_RING_FILE = './.crosswalk/raw-keys.json';
