import {
  createCipheriv,
  createDecipheriv,
  createSecretKey,
  type KeyObject,
  randomFillSync,
} from 'node:crypto';
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

/**
 * Nonces are random, drawn from a pool filled 4,096 at a time: one small randomBytes call per message
 * cost more than the encryption itself on the inbox's hot path. Still 96 random bits per body, never
 * reused (a slice is handed out once).
 */
const NONCE_POOL = NONCE * 4096;
let pool = Buffer.alloc(0);
let poolAt = 0;
function nextNonce(): Buffer {
  if (poolAt + NONCE > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafe(NONCE_POOL));
    poolAt = 0;
  }
  const n = pool.subarray(poolAt, poolAt + NONCE);
  poolAt += NONCE;
  return n;
}

function aadOf(table: string, contentSha256: string): Buffer {
  return Buffer.from(`crosswalk-raw-v1\u0000${table}\u0000${contentSha256}`, 'utf8');
}

export class RawCipher {
  private ringCache: KeyRing | null;
  /** Key objects by id: building one per call from the bytes is the other hot-path cost. */
  private readonly keyObjects = new Map<string, KeyObject>();

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
    const load = () => {
      const ring = loadKeyRing(path, 'CROSSWALK_RAW_KEY_RING_FILE');
      for (const [id, key] of ring.keys) {
        if (key.length !== 32) {
          throw new CrosswalkError('CW_ERR_CONFIG_INVALID', {
            setting: 'CROSSWALK_RAW_KEY_RING_FILE',
            reason: `${path}: key ${id} is not 32 bytes (AES-256)`,
          });
        }
      }
      return ring;
    };
    return new RawCipher(load, path, path);
  }

  private get ring(): KeyRing {
    this.ringCache ??= this.load();
    return this.ringCache;
  }

  private keyObject(id: string, bytes: Buffer): KeyObject {
    let k = this.keyObjects.get(id);
    if (!k) {
      k = createSecretKey(bytes);
      this.keyObjects.set(id, k);
    }
    return k;
  }

  get currentKeyId(): string {
    return this.ring.current;
  }

  seal(table: string, contentSha256: string, plain: Uint8Array): SealedBody {
    const ring = this.ring;
    const nonce = nextNonce();
    const c = createCipheriv(
      'aes-256-gcm',
      this.keyObject(ring.current, ring.keys.get(ring.current)!),
      nonce,
    );
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
      const d = createDecipheriv('aes-256-gcm', this.keyObject(keyId, key), bytes.subarray(0, NONCE));
      d.setAAD(aadOf(table, contentSha256));
      d.setAuthTag(bytes.subarray(NONCE, NONCE + TAG));
      const body = d.update(bytes.subarray(NONCE + TAG));
      // GCM is a stream mode: final() only checks the tag and gives no bytes, so the body is not copied
      // again into a joined buffer (a sixth of the cost of opening a body).
      const last = d.final();
      return last.length === 0 ? body : Buffer.concat([body, last]);
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
