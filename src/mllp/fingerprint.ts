/** Certificate fingerprints in one canonical spelling: SHA-256, lower-case hex, no separators. */
import { X509Certificate } from 'node:crypto';
import { CrosswalkError } from '../errors/index.ts';

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Accepts `AB:CD:…` (as Node and openssl print it) or plain hex; rejects anything else. */
export function normalizeFingerprint(
  fingerprint: string,
  setting = 'mllp.tls.allowedClientFingerprints',
): string {
  const hex = fingerprint.replace(/[:\s]/g, '').toLowerCase();
  if (!SHA256_HEX.test(hex)) {
    throw new CrosswalkError('CW_ERR_CONFIG_INVALID', {
      setting,
      reason: 'a fingerprint must be 64 hex digits (SHA-256), colons allowed',
    });
  }
  return hex;
}

/** The SHA-256 fingerprint of a PEM certificate, for building an allowlist. */
export function certificateFingerprint(pem: string | Buffer): string {
  return normalizeFingerprint(new X509Certificate(pem).fingerprint256, 'certificate');
}
