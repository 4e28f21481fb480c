/**
 * SMART Backend Services (HL7 SMART App Launch, "Backend Services"): a system client authenticates at
 * the token endpoint with a JWT it signed with its private key (RFC 7523 private_key_jwt), and gets a
 * short-lived bearer token whose `system/…` scopes say which FHIR types it may read or write.
 *
 * Pure: parsing and verifying the compact JWS, the SMART scope grammar, the access-token format. The
 * only dependency is node:crypto; no JWT library, so the accepted algorithms are exactly the ones named
 * here. What needs storage (the client registry, used jtis, issued tokens) is the caller's.
 *
 * Invariants:
 * - Only asymmetric algorithms are accepted (RS384, ES384, RS256, ES256). `none` and every HMAC are
 *   refused before any key is looked at, so a public key can never be used as an HMAC secret.
 * - A key is used only for the algorithm family and curve it is: an RSA key never checks an ES384
 *   signature, a P-256 key never an ES384 one.
 * - An assertion lives at most MAX_ASSERTION_SECONDS; with the used-jti table keeping each jti until its
 *   exp, a stolen assertion can be replayed nowhere and its record can be pruned after exp.
 * - Every refusal is a CrosswalkError with its own code; OAUTH_ERROR_OF maps the code to the RFC 6749
 *   error the token endpoint answers with.
 */
import {
  createHash,
  createPublicKey,
  type JsonWebKey,
  type KeyObject,
  randomBytes,
  sign,
  timingSafeEqual,
  verify,
} from 'node:crypto';
import { CrosswalkError, type ErrorCode } from '../errors/index.ts';
import type { Action, Principal, Role } from './access.ts';

export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** The longest an assertion may live (exp − now), per the SMART Backend Services profile. */
export const MAX_ASSERTION_SECONDS = 300;
/** How long an access token lives; a client asks again with a new assertion. */
export const ACCESS_TOKEN_SECONDS = 300;

export const SIGNING_ALGORITHMS = ['RS384', 'ES384', 'RS256', 'ES256'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

const ALG: Record<SigningAlgorithm, { hash: string; kty: 'RSA' | 'EC'; curve?: string; sigBytes?: number }> =
  {
    RS384: { hash: 'sha384', kty: 'RSA' },
    RS256: { hash: 'sha256', kty: 'RSA' },
    ES384: { hash: 'sha384', kty: 'EC', curve: 'secp384r1', sigBytes: 96 },
    ES256: { hash: 'sha256', kty: 'EC', curve: 'prime256v1', sigBytes: 64 },
  };

const MIN_RSA_BITS = 2048;

export type OAuthError =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'invalid_scope'
  | 'unsupported_grant_type';

/** The RFC 6749 §5.2 error each refusal of the token endpoint is answered with. */
export function oauthErrorOf(code: ErrorCode): OAuthError {
  switch (code) {
    case 'CW_ERR_SMART_BAD_REQUEST':
    case 'CW_ERR_SMART_ASSERTION_TYPE':
      return 'invalid_request';
    case 'CW_ERR_SMART_GRANT_TYPE':
      return 'unsupported_grant_type';
    case 'CW_ERR_SMART_BAD_SCOPE':
    case 'CW_ERR_SMART_SCOPE_NOT_ALLOWED':
      return 'invalid_scope';
    default:
      // The SMART profile answers every failure to authenticate the client with invalid_client.
      return 'invalid_client';
  }
}

// --- the compact JWS ---------------------------------------------------------------------------------

export interface DecodedAssertion {
  readonly header: Readonly<Record<string, unknown>>;
  readonly claims: Readonly<Record<string, unknown>>;
  /** `base64url(header).base64url(payload)`, what the signature covers. */
  readonly signingInput: string;
  readonly signature: Buffer;
}

const B64URL = /^[A-Za-z0-9_-]+$/;
const MAX_ASSERTION_CHARS = 16_384;

function malformed(reason: string): CrosswalkError {
  return new CrosswalkError('CW_ERR_SMART_MALFORMED_ASSERTION', { reason });
}

function jsonPart(part: string, what: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    throw malformed(`its ${what} is not base64url-encoded JSON`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw malformed(`its ${what} is not an object`);
  return v as Record<string, unknown>;
}

/** Splits a compact JWS into its parts; nothing here is trusted until `verifyClientAssertion`. */
export function decodeAssertion(jwt: string): DecodedAssertion {
  if (jwt.length > MAX_ASSERTION_CHARS) throw malformed(`longer than ${MAX_ASSERTION_CHARS} characters`);
  const parts = jwt.split('.');
  if (parts.length !== 3) throw malformed('a compact JWS has three dot-separated parts');
  const [h, p, s] = parts as [string, string, string];
  if (!B64URL.test(h) || !B64URL.test(p)) throw malformed('header and payload must be base64url');
  if (s !== '' && !B64URL.test(s)) throw malformed('the signature must be base64url');
  return {
    header: jsonPart(h, 'header'),
    claims: jsonPart(p, 'payload'),
    signingInput: `${h}.${p}`,
    signature: Buffer.from(s, 'base64url'),
  };
}

/** Refuses `none` and anything but the accepted asymmetric algorithms, before any key is involved. */
export function assertionAlgorithm(header: Readonly<Record<string, unknown>>): SigningAlgorithm {
  const alg = header['alg'];
  if (typeof alg !== 'string' || alg === '') throw malformed('the header has no alg');
  if (alg.toLowerCase() === 'none') throw new CrosswalkError('CW_ERR_SMART_ALG_NONE');
  if (!(SIGNING_ALGORITHMS as readonly string[]).includes(alg)) {
    throw new CrosswalkError('CW_ERR_SMART_ALG_REFUSED', {
      alg: alg.slice(0, 20),
      accepted: SIGNING_ALGORITHMS.join(', '),
    });
  }
  return alg as SigningAlgorithm;
}

/** The client id an assertion claims (its `iss`), used only to find the keys that will verify it. */
export function claimedClientId(a: DecodedAssertion): string {
  const iss = a.claims['iss'];
  if (typeof iss !== 'string' || iss === '' || iss.length > 200) throw malformed('iss must be the client id');
  return iss;
}

// --- keys ----------------------------------------------------------------------------------------------

export interface Jwks {
  readonly keys: readonly JsonWebKey[];
}

/**
 * Checks a client's public JWKS at registration: an object with keys, each public (no private part),
 * with a kid, of a type and curve some accepted algorithm can use. Returns the kids.
 */
export function validateJwks(clientId: string, jwks: unknown): string[] {
  const bad = (reason: string) => new CrosswalkError('CW_ERR_SMART_BAD_JWKS', { clientId, reason });
  if (typeof jwks !== 'object' || jwks === null || !Array.isArray((jwks as Jwks).keys)) {
    throw bad('expected {"keys": [...]}');
  }
  const keys = (jwks as Jwks).keys;
  if (keys.length === 0) throw bad('it has no keys');
  const kids = new Set<string>();
  for (const k of keys) {
    if (typeof k.kid !== 'string' || k.kid === '') throw bad('every key needs a kid');
    if (kids.has(k.kid)) throw bad(`kid ${k.kid} appears twice`);
    kids.add(k.kid);
    if ('d' in k || 'p' in k || 'k' in k) throw bad(`key ${k.kid} carries private or symmetric material`);
    let key: KeyObject;
    try {
      key = createPublicKey({ key: k, format: 'jwk' });
    } catch (e) {
      throw bad(`key ${k.kid} is not a public JWK (${(e as Error).message})`);
    }
    const fits = SIGNING_ALGORITHMS.some((alg) => keyFits(key, k, alg));
    if (!fits) throw bad(`key ${k.kid} fits none of ${SIGNING_ALGORITHMS.join(', ')}`);
  }
  return [...kids];
}

function keyFits(key: KeyObject, jwk: JsonWebKey, alg: SigningAlgorithm): boolean {
  const a = ALG[alg];
  if (typeof jwk.alg === 'string' && jwk.alg !== alg) return false;
  if (typeof jwk.use === 'string' && jwk.use !== 'sig') return false;
  if (a.kty === 'RSA') {
    return key.asymmetricKeyType === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) >= MIN_RSA_BITS;
  }
  return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === a.curve;
}

// --- the assertion -------------------------------------------------------------------------------------

export interface RegisteredKeys {
  readonly clientId: string;
  readonly jwks: Jwks;
}

export interface AssertionContext {
  /** The token endpoint's own URL: the only `aud` accepted. */
  readonly tokenEndpoint: string;
  readonly now: Date;
}

export interface VerifiedAssertion {
  readonly clientId: string;
  readonly jti: string;
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  /** exp as an ISO instant: the used-jti record may be pruned after it. */
  readonly expiresAt: string;
}

/**
 * Verifies everything about an assertion that needs no storage: algorithm, key, signature, iss/sub,
 * aud and exp. The jti is returned for the caller to record once (a replay is a unique-key conflict).
 */
export function verifyClientAssertion(
  a: DecodedAssertion,
  client: RegisteredKeys,
  ctx: AssertionContext,
): VerifiedAssertion {
  const alg = assertionAlgorithm(a.header);
  const clientId = client.clientId;
  const kid = a.header['kid'];
  if (typeof kid !== 'string' || kid === '') throw malformed('the header has no kid');
  const shownKid = kid.slice(0, 80);
  const jwk = client.jwks.keys.find((k) => k.kid === kid);
  let key: KeyObject | null = null;
  if (jwk) {
    try {
      key = createPublicKey({ key: jwk, format: 'jwk' });
    } catch {
      key = null;
    }
  }
  if (!jwk || !key || !keyFits(key, jwk, alg)) {
    throw new CrosswalkError('CW_ERR_SMART_UNKNOWN_KEY', { clientId, alg, kid: shownKid });
  }
  const spec = ALG[alg];
  const input = Buffer.from(a.signingInput, 'ascii');
  const ok =
    spec.kty === 'RSA'
      ? verify(spec.hash, input, key, a.signature)
      : a.signature.length === spec.sigBytes &&
        verify(spec.hash, input, { key, dsaEncoding: 'ieee-p1363' }, a.signature);
  if (!ok) throw new CrosswalkError('CW_ERR_SMART_BAD_SIGNATURE', { clientId, kid: shownKid });

  const { iss, sub, aud, exp, jti } = a.claims;
  if (iss !== clientId || sub !== clientId) {
    throw new CrosswalkError('CW_ERR_SMART_ISSUER_MISMATCH', {
      reason: `iss ${String(iss).slice(0, 80)}, sub ${String(sub).slice(0, 80)}, client ${clientId}`,
    });
  }
  const audiences = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
  if (!audiences.includes(ctx.tokenEndpoint)) {
    throw new CrosswalkError('CW_ERR_SMART_WRONG_AUDIENCE', {
      aud: audiences.length === 0 ? '(none)' : audiences.map((x) => String(x).slice(0, 120)).join(', '),
      expected: ctx.tokenEndpoint,
    });
  }
  if (typeof exp !== 'number' || !Number.isFinite(exp)) throw new CrosswalkError('CW_ERR_SMART_NO_EXPIRY');
  const nowSeconds = ctx.now.getTime() / 1000;
  // Clamped to the range a Date can hold, so an absurd exp is refused as expired or long-lived, not thrown.
  const expIso = new Date(Math.max(-8.64e12, Math.min(exp, 8.64e12)) * 1000).toISOString();
  if (exp <= nowSeconds) throw new CrosswalkError('CW_ERR_SMART_EXPIRED', { exp: expIso });
  if (exp > nowSeconds + MAX_ASSERTION_SECONDS) {
    throw new CrosswalkError('CW_ERR_SMART_LONG_LIVED', { exp: expIso, maxSeconds: MAX_ASSERTION_SECONDS });
  }
  if (typeof jti !== 'string' || jti === '' || jti.length > 255) {
    throw malformed('jti must be a string of 1 to 255 characters');
  }
  return { clientId, jti, kid, alg, expiresAt: expIso };
}

/**
 * Signs a compact JWS (what a system client does; used by tests and by anyone scripting a client).
 * ECDSA signatures are written as JWS wants them, r‖s, not DER.
 */
export function signAssertion(
  privateKey: KeyObject,
  header: Readonly<Record<string, unknown>> & { alg: SigningAlgorithm },
  claims: Readonly<Record<string, unknown>>,
): string {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const input = `${enc({ typ: 'JWT', ...header })}.${enc(claims)}`;
  const spec = ALG[header.alg];
  const sig =
    spec.kty === 'RSA'
      ? sign(spec.hash, Buffer.from(input), privateKey)
      : sign(spec.hash, Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
  return `${input}.${sig.toString('base64url')}`;
}

// --- scopes --------------------------------------------------------------------------------------------

export type Interaction = 'read' | 'write';

/** One `system/<Type>.<permissions>` scope: `*` for every type. */
export interface SmartScope {
  readonly text: string;
  readonly resourceType: string;
  readonly permissions: ReadonlySet<Interaction>;
}

const SCOPE = /^system\/(\*|[A-Z][A-Za-z]{1,63})\.([a-z*]+)$/;

/**
 * Parses a space-separated scope list. SMART v1 permissions `read`, `write`, `*`; v2 `cruds` letters in
 * that order (`r`/`s` read, `c`/`u` write; `d` is accepted but grants nothing, as /fhir has no delete).
 */
export function parseScopes(text: string): SmartScope[] {
  const out: SmartScope[] = [];
  for (const s of text.split(/\s+/).filter((x) => x !== '')) {
    const m = SCOPE.exec(s);
    if (!m) {
      throw new CrosswalkError('CW_ERR_SMART_BAD_SCOPE', {
        scope: s.slice(0, 80),
        reason: 'expected system/<Type or *>.<read|write|*> or a v2 cruds suffix',
      });
    }
    const [, resourceType, perm] = m as unknown as [string, string, string];
    const permissions = new Set<Interaction>();
    if (perm === 'read') permissions.add('read');
    else if (perm === 'write') permissions.add('write');
    else if (perm === '*') {
      permissions.add('read');
      permissions.add('write');
    } else if (/^c?r?u?d?s?$/.test(perm)) {
      if (/[rs]/.test(perm)) permissions.add('read');
      if (/[cu]/.test(perm)) permissions.add('write');
    } else {
      throw new CrosswalkError('CW_ERR_SMART_BAD_SCOPE', {
        scope: s.slice(0, 80),
        reason: `unknown permissions ${perm.slice(0, 10)}`,
      });
    }
    out.push({ text: s, resourceType, permissions });
  }
  return out;
}

/** Whether the scopes allow `interaction` on `resourceType`. */
export function scopesCover(scopes: readonly SmartScope[], resourceType: string, interaction: Interaction) {
  return scopes.some(
    (s) => (s.resourceType === '*' || s.resourceType === resourceType) && s.permissions.has(interaction),
  );
}

/** The requested scopes that the registered ones do not cover (empty: the request is allowed). */
export function scopesNotAllowed(requested: readonly SmartScope[], allowed: readonly SmartScope[]): string[] {
  return requested
    .filter((r) => {
      const all = r.resourceType === '*';
      return [...r.permissions].some((p) =>
        all
          ? !allowed.some((a) => a.resourceType === '*' && a.permissions.has(p))
          : !scopesCover(allowed, r.resourceType, p),
      );
    })
    .map((r) => r.text);
}

// --- access tokens -------------------------------------------------------------------------------------

export interface IssuedSecret {
  /** What the client is given once: `cwa_<id>_<secret>`. */
  readonly token: string;
  readonly id: string;
  /** What is stored: SHA-256 of the secret part, hex. */
  readonly secretSha256: string;
}

const ACCESS_TOKEN = /^cwa_([0-9a-f]{16})_([0-9a-f]{64})$/;

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export function newAccessToken(random: (n: number) => Buffer = randomBytes): IssuedSecret {
  const id = random(8).toString('hex');
  const secret = random(32).toString('hex');
  return { token: `cwa_${id}_${secret}`, id, secretSha256: sha256(secret) };
}

/** The id and secret hash of a presented token, or null when it is not one of ours. */
export function parseAccessToken(token: string): { id: string; secretSha256: string } | null {
  const m = ACCESS_TOKEN.exec(token);
  return m ? { id: m[1]!, secretSha256: sha256(m[2]!) } : null;
}

/** Constant-time comparison of two hex SHA-256 digests. */
export function sameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === 32 && y.length === 32 && timingSafeEqual(x, y);
}

/**
 * The principal a SMART access token stands for: the client's roles at scope `*`, narrowed to the FHIR
 * actions its scopes name (per-type checks are `scopesCover`'s, on each request).
 */
export function principalForClient(
  clientId: string,
  tokenId: string,
  roles: readonly Role[],
  scopes: readonly SmartScope[],
): Principal {
  const actions = new Set<Action>();
  if (scopes.some((s) => s.permissions.has('read'))) actions.add('fhir.read');
  if (scopes.some((s) => s.permissions.has('write'))) actions.add('fhir.write');
  return {
    kind: 'client',
    subject: clientId,
    via: 'smart',
    credentialId: tokenId,
    grants: roles.map((role) => ({ role, scope: '*' as const })),
    allowedActions: actions,
  };
}
