/**
 * TLS on the listeners of `crosswalk serve` (issue 6, item 6.3), over real sockets with certificates made
 * by openssl in the test: HTTPS answers, plain HTTP to the HTTPS port gets nothing; the default MLLP
 * interface speaks MLLP over TLS, requires a client certificate from the configured CA, and
 * `crosswalk send --ca` gets its ACK.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { killChildren, runCli, startServe } from '../cli/test-process.ts';
import { parseMessage } from '../hl7v2/index.ts';
import { MllpClient } from '../mllp/index.ts';
import { hasOpenssl, makePki } from '../mllp/test-pki.ts';

const dir = mkdtempSync(join(tmpdir(), 'cw-tls-'));
after(() => {
  killChildren();
  rmSync(dir, { recursive: true, force: true });
});

const msg = (id: string) =>
  Buffer.from(`MSH|^~\\&|EPIC|HRMC|||20261124||ADT^A04|${id}|P|2.5\rEVN|A04|20261124\rPID|1||123^^^HRMC\r`);

function get(url: string, options: https.RequestOptions = {}): Promise<number> {
  const lib = url.startsWith('https:') ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.get(url, { ...options, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}

test('HTTPS and MLLP over TLS with client certificates, and crosswalk send --ca', async (t) => {
  if (!hasOpenssl) return t.skip('openssl is not installed; cannot make test certificates');
  const pki = await makePki(t);
  const server = await startServe({
    CROSSWALK_DATABASE_URL: join(dir, 'tls.db'),
    CROSSWALK_RAW_KEY_RING_FILE: join(dir, 'raw-keys.json'),
    CROSSWALK_TOKEN_KEY_FILE: join(dir, 'token.key'),
    CROSSWALK_HTTP_TLS_CERT_FILE: join(pki.dir, 'server.crt'),
    CROSSWALK_HTTP_TLS_KEY_FILE: join(pki.dir, 'server.key'),
    CROSSWALK_MLLP_TLS_CERT_FILE: join(pki.dir, 'server.crt'),
    CROSSWALK_MLLP_TLS_KEY_FILE: join(pki.dir, 'server.key'),
    CROSSWALK_MLLP_TLS_CA_FILE: join(pki.dir, 'ca.crt'),
  });
  try {
    assert.match(server.httpUrl, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(await get(`${server.httpUrl}/healthz`, { ca: pki.ca }), 200, 'HTTPS answers');
    const plain = await get(`${server.httpUrl.replace('https:', 'http:')}/healthz`).then(
      (status) => status,
      () => 'refused',
    );
    assert.notEqual(plain, 200, 'plain HTTP to the HTTPS port gets no answer');
    const untrusted = await get(`${server.httpUrl}/healthz`).then(
      () => 'answered',
      (e: NodeJS.ErrnoException) => e.code ?? 'error',
    );
    assert.notEqual(untrusted, 'answered', 'a client that does not trust the CA does not connect');

    const port = server.mllpPort;
    const trusted = new MllpClient();
    await trusted.connect({ host: '127.0.0.1', port, tls: { ca: pki.ca, ...pki.clients.trusted } });
    assert.equal(parseMessage(await trusted.send(msg('T1'), { timeoutMs: 10_000 })).get('MSA-1'), 'AA');
    await trusted.close();

    const attempt = async (c: MllpClient, options: Parameters<MllpClient['connect']>[0]) => {
      try {
        await c.connect(options);
        await c.send(msg(`X${Math.random()}`.slice(0, 10)), { timeoutMs: 3_000 });
        return 'acknowledged';
      } catch {
        return 'refused';
      } finally {
        await c.close().catch(() => undefined);
      }
    };
    assert.equal(
      await attempt(new MllpClient(), { host: '127.0.0.1', port }),
      'refused',
      'plain MLLP to the TLS port gets no ACK',
    );
    assert.equal(
      await attempt(new MllpClient(), { host: '127.0.0.1', port, tls: { ca: pki.ca } }),
      'refused',
      'a client without a certificate from the CA is refused',
    );

    const file = join(dir, 'one.hl7');
    writeFileSync(file, msg('S1'));
    const to = `127.0.0.1:${port}`;
    const client = ['--tls-cert', join(pki.dir, 'trusted.crt'), '--tls-key', join(pki.dir, 'trusted.key')];
    const sent = await runCli([
      'send',
      file,
      '--to',
      to,
      '--ca',
      join(pki.dir, 'ca.crt'),
      ...client,
      '--json',
    ]);
    assert.equal(sent.code, 0, sent.stderr);
    assert.match(sent.stdout, /"AA"/);
    const system = await runCli(['send', file, '--to', to, '--tls', ...client]);
    assert.notEqual(system.code, 0, '--tls alone does not trust a private CA');
    assert.match(system.stderr, /^crosswalk: /);
  } finally {
    await server.stop();
  }
});
