import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, it } from 'node:test';
import { isCrosswalkError } from '../errors/index.ts';
import {
  decodeAssertion,
  newAccessToken,
  parseAccessToken,
  parseScopes,
  type SigningAlgorithm,
  sameDigest,
  scopesCover,
  scopesNotAllowed,
  signAssertion,
  validateJwks,
  verifyClientAssertion,
} from './smart.ts';

const AUD = 'https://cw.example/auth/token';
const NOW = new Date('2026-11-25T12:00:00Z');
const nowS = NOW.getTime() / 1000;

function keyed(alg: SigningAlgorithm, kid = 'k1') {
  const pair = alg.startsWith('ES')
    ? generateKeyPairSync('ec', { namedCurve: alg === 'ES384' ? 'P-384' : 'P-256' })
    : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...pair.publicKey.export({ format: 'jwk' }), kid };
  return { privateKey: pair.privateKey, jwks: { keys: [jwk] } };
}

const claims = (extra: Record<string, unknown> = {}) => ({
  iss: 'c1',
  sub: 'c1',
  aud: AUD,
  exp: nowS + 60,
  jti: 'j1',
  ...extra,
});

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return isCrosswalkError(e) ? e.code : `untyped: ${String(e)}`;
  }
  return 'accepted';
}

describe('SMART client assertions', () => {
  for (const alg of ['RS384', 'ES384', 'RS256', 'ES256'] as const) {
    it(`accepts a good ${alg} assertion`, () => {
      const k = keyed(alg);
      const jwt = signAssertion(k.privateKey, { alg, kid: 'k1' }, claims());
      const v = verifyClientAssertion(
        decodeAssertion(jwt),
        { clientId: 'c1', jwks: k.jwks },
        { tokenEndpoint: AUD, now: NOW },
      );
      assert.deepEqual([v.clientId, v.jti, v.alg], ['c1', 'j1', alg]);
    });
  }

  it('uses a key only for its own family and curve, and wants r‖s for ECDSA', () => {
    const rsa = keyed('RS384');
    const p384 = keyed('ES384');
    const ctx = { tokenEndpoint: AUD, now: NOW };
    // An ES384 header naming an RSA key: no usable key.
    const esOnRsa = `${signAssertion(rsa.privateKey, { alg: 'RS384', kid: 'k1' }, claims()).split('.').slice(0, 2).join('.')}.AAAA`;
    const forged = esOnRsa.replace(
      /^[^.]+/,
      Buffer.from(JSON.stringify({ alg: 'ES384', kid: 'k1' })).toString('base64url'),
    );
    assert.equal(
      codeOf(() => verifyClientAssertion(decodeAssertion(forged), { clientId: 'c1', jwks: rsa.jwks }, ctx)),
      'CW_ERR_SMART_UNKNOWN_KEY',
    );
    // ES256 header with a P-384 key: refused.
    const es256 = signAssertion(p384.privateKey, { alg: 'ES384', kid: 'k1' }, claims()).replace(
      /^[^.]+/,
      Buffer.from(JSON.stringify({ alg: 'ES256', kid: 'k1' })).toString('base64url'),
    );
    assert.equal(
      codeOf(() => verifyClientAssertion(decodeAssertion(es256), { clientId: 'c1', jwks: p384.jwks }, ctx)),
      'CW_ERR_SMART_UNKNOWN_KEY',
    );
    // A DER-encoded ECDSA signature is not a JWS signature.
    const good = signAssertion(p384.privateKey, { alg: 'ES384', kid: 'k1' }, claims());
    const input = good.split('.').slice(0, 2).join('.');
    const der = sign('sha384', Buffer.from(input), p384.privateKey).toString('base64url');
    assert.equal(
      codeOf(() =>
        verifyClientAssertion(decodeAssertion(`${input}.${der}`), { clientId: 'c1', jwks: p384.jwks }, ctx),
      ),
      'CW_ERR_SMART_BAD_SIGNATURE',
    );
  });

  it('checks exp to the second: now is expired, 300 s ahead is fine, 301 s is long-lived', () => {
    const k = keyed('ES384');
    const at = (exp: number) =>
      codeOf(() =>
        verifyClientAssertion(
          decodeAssertion(signAssertion(k.privateKey, { alg: 'ES384', kid: 'k1' }, claims({ exp }))),
          { clientId: 'c1', jwks: k.jwks },
          { tokenEndpoint: AUD, now: NOW },
        ),
      );
    assert.equal(at(nowS), 'CW_ERR_SMART_EXPIRED');
    assert.equal(at(nowS + 300), 'accepted');
    assert.equal(at(nowS + 301), 'CW_ERR_SMART_LONG_LIVED');
    assert.equal(at(Number.NaN), 'CW_ERR_SMART_NO_EXPIRY');
    assert.equal(at(-1e20), 'CW_ERR_SMART_EXPIRED');
    assert.equal(at(1e20), 'CW_ERR_SMART_LONG_LIVED');
  });

  it('refuses malformed input with a typed error, never an untyped one', () => {
    for (const bad of [
      '',
      'a',
      'a.b',
      'a.b.c.d',
      '!!.e30.',
      'e30.e30.',
      'W10.e30.',
      `${'a'.repeat(20_000)}.b.c`,
    ]) {
      const c = codeOf(() => decodeAssertion(bad));
      assert.equal(c.startsWith('CW_ERR_SMART_') || c === 'accepted', true, `${bad.slice(0, 20)}: ${c}`);
    }
  });

  it('random input never throws an untyped error (seeded)', () => {
    let seed = 20261125;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const parts = [
      'e30',
      'eyJhbGciOiJub25lIn0',
      'eyJhbGciOiJFUzM4NCIsImtpZCI6MX0',
      'W10',
      'bnVsbA',
      'IiI',
      'AA',
      '',
      '.',
      '!',
    ];
    const k = keyed('ES384');
    for (let i = 0; i < 1000; i++) {
      const jwt = Array.from(
        { length: 1 + Math.floor(rnd() * 4) },
        () => parts[Math.floor(rnd() * parts.length)],
      ).join('.');
      const c = codeOf(() =>
        verifyClientAssertion(
          decodeAssertion(jwt),
          { clientId: 'c1', jwks: k.jwks },
          { tokenEndpoint: AUD, now: NOW },
        ),
      );
      assert.equal(c.startsWith('CW_ERR_SMART_'), true, `${jwt}: ${c}`);
    }
  });

  it('refuses a JWKS with private or symmetric keys, duplicate or missing kids, weak RSA', () => {
    const good = keyed('ES384').jwks;
    assert.deepEqual(validateJwks('c1', good), ['k1']);
    const priv = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ format: 'jwk' });
    assert.equal(
      codeOf(() => validateJwks('c1', { keys: [{ ...priv, kid: 'p' }] })),
      'CW_ERR_SMART_BAD_JWKS',
    );
    assert.equal(
      codeOf(() => validateJwks('c1', { keys: [{ kty: 'oct', k: 'c2VjcmV0', kid: 's' }] })),
      'CW_ERR_SMART_BAD_JWKS',
    );
    assert.equal(
      codeOf(() => validateJwks('c1', { keys: [good.keys[0], good.keys[0]] })),
      'CW_ERR_SMART_BAD_JWKS',
    );
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' });
    assert.equal(
      codeOf(() => validateJwks('c1', { keys: [{ ...weak, kid: 'w' }] })),
      'CW_ERR_SMART_BAD_JWKS',
    );
    assert.equal(
      codeOf(() => validateJwks('c1', [])),
      'CW_ERR_SMART_BAD_JWKS',
    );
  });
});

describe('SMART scopes', () => {
  it('parses v1 and v2 permissions and decides per type and interaction', () => {
    const s = parseScopes('system/*.read  system/SupplyDelivery.write system/Practitioner.cruds');
    assert.equal(scopesCover(s, 'Location', 'read'), true);
    assert.equal(scopesCover(s, 'Location', 'write'), false);
    assert.equal(scopesCover(s, 'SupplyDelivery', 'write'), true);
    assert.equal(scopesCover(s, 'Practitioner', 'write'), true);
    assert.deepEqual([...parseScopes('system/Device.rs')[0]!.permissions], ['read']);
    assert.deepEqual([...parseScopes('system/Device.cu')[0]!.permissions], ['write']);
    assert.deepEqual([...parseScopes('system/Device.*')[0]!.permissions].sort(), ['read', 'write']);
    for (const bad of [
      'patient/*.read',
      'user/Device.read',
      'system/Device.rc',
      'system/device.read',
      'system/Device.admin',
    ]) {
      assert.equal(
        codeOf(() => parseScopes(bad)),
        'CW_ERR_SMART_BAD_SCOPE',
        bad,
      );
    }
  });

  it('narrows: a request may ask only for what the registration covers', () => {
    const allowed = parseScopes('system/*.read system/SupplyDelivery.write');
    assert.deepEqual(
      scopesNotAllowed(parseScopes('system/Location.read system/SupplyDelivery.cu'), allowed),
      [],
    );
    assert.deepEqual(scopesNotAllowed(parseScopes('system/*.write system/Device.*'), allowed), [
      'system/*.write',
      'system/Device.*',
    ]);
    assert.deepEqual(scopesNotAllowed(parseScopes('system/*.read'), parseScopes('system/Device.read')), [
      'system/*.read',
    ]);
  });
});

describe('access tokens', () => {
  it('cwa_<id>_<secret>: the stored digest matches only the same secret', () => {
    const t = newAccessToken();
    const p = parseAccessToken(t.token);
    assert.equal(p?.id, t.id);
    assert.equal(sameDigest(p!.secretSha256, t.secretSha256), true);
    const other = parseAccessToken(`cwa_${t.id}_${'0'.repeat(64)}`);
    assert.equal(sameDigest(other!.secretSha256, t.secretSha256), false);
    assert.equal(parseAccessToken('cwt_abc'), null);
    assert.equal(parseAccessToken(`${t.token}x`), null);
  });
});
