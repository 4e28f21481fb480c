import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { isCrosswalkError } from '../errors/index.ts';
import {
  certificateFingerprint,
  createMllpListener,
  MllpClient,
  type MllpClientTlsOptions,
  type MllpListenerEvent,
  type MllpTlsOptions,
} from './index.ts';
import { until } from './test-peer.ts';
import { hasOpenssl, makePki } from './test-pki.ts';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

async function startTls(t: TestContext, tls: MllpTlsOptions) {
  const events: MllpListenerEvent[] = [];
  const fingerprints: (string | undefined)[] = [];
  const listener = createMllpListener({
    port: 0,
    tls,
    onEvent: (e) => events.push(e),
    onMessage: (p, ctx) => {
      fingerprints.push(ctx.tlsFingerprint);
      return b(`ACK:${p.toString('latin1')}`);
    },
  });
  const { port } = await listener.listen();
  t.after(() => listener.close({ graceful: false }));
  return { listener, port, events, fingerprints };
}

/** Connects and sends one message; refusal may surface at connect or at the first send (TLS 1.3). */
async function roundTrip(port: number, tls: MllpClientTlsOptions): Promise<string> {
  const c = new MllpClient();
  try {
    await c.connect({ host: '127.0.0.1', port, tls, timeoutMs: 3000 });
    return (await c.send(b('MSH|tls'), { timeoutMs: 3000 })).toString('latin1');
  } finally {
    await c.close();
  }
}

test('mutual TLS: an allowlisted client certificate is served, another valid one is refused', async (t) => {
  if (!hasOpenssl) {
    t.skip('openssl is not installed; cannot generate test certificates');
    return;
  }
  const pki = await makePki(t);
  const trustedFp = certificateFingerprint(pki.clients.trusted.cert);
  const { listener, port, events, fingerprints } = await startTls(t, {
    key: pki.serverKey,
    cert: pki.serverCert,
    ca: pki.ca,
    // Spelled the way openssl prints it, to show the allowlist accepts either form.
    allowedClientFingerprints: [trustedFp.toUpperCase().replace(/(..)(?!$)/g, '$1:')],
  });

  assert.equal(await roundTrip(port, { ca: pki.ca, ...pki.clients.trusted }), 'ACK:MSH|tls');
  assert.deepEqual(fingerprints, [trustedFp]);

  await assert.rejects(
    roundTrip(port, { ca: pki.ca, ...pki.clients.stranger }),
    (e: unknown) => isCrosswalkError(e) && e.code === 'CW_ERR_MLLP_CONNECTION',
  );
  await until(() => listener.stats().tlsRefused === 1, 3000, 'the refusal to be counted');
  const refusal = events.find((e) => e.type === 'connection-refused');
  assert.equal(refusal?.type === 'connection-refused' && refusal.reason, 'not-allowed');
  assert.equal(refusal?.type === 'connection-refused' && refusal.error?.code, 'CW_ERR_MLLP_NOT_ALLOWED');
  assert.equal(fingerprints.length, 1, 'the refused client never reached the handler');

  await assert.rejects(
    roundTrip(port, { ca: pki.ca }),
    (e: unknown) => isCrosswalkError(e) && e.code === 'CW_ERR_MLLP_CONNECTION',
  );
  await until(() => listener.stats().tlsRefused === 2, 3000, 'the certificate-less client to be refused');
  assert.equal(fingerprints.length, 1, 'a client without a certificate never reached the handler');
});

test('server-only TLS serves clients that trust the CA and refuses plaintext', async (t) => {
  if (!hasOpenssl) {
    t.skip('openssl is not installed; cannot generate test certificates');
    return;
  }
  const pki = await makePki(t);
  const { port, fingerprints } = await startTls(t, { key: pki.serverKey, cert: pki.serverCert });
  assert.equal(await roundTrip(port, { ca: pki.ca }), 'ACK:MSH|tls');
  assert.deepEqual(fingerprints, [undefined]);
  const plain = new MllpClient();
  await plain.connect({ host: '127.0.0.1', port, timeoutMs: 3000 });
  await assert.rejects(
    plain.send(b('MSH|plain'), { timeoutMs: 3000 }),
    (e: unknown) => isCrosswalkError(e) && e.code === 'CW_ERR_MLLP_CONNECTION',
  );
  await plain.close();
});
