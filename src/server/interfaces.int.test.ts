import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseMessage } from '../hl7v2/index.ts';
import { certificateFingerprint, MllpClient } from '../mllp/index.ts';
import { hasOpenssl, makePki } from '../mllp/test-pki.ts';
import { InboxRepository } from '../store/inbox-repository.ts';
import { openStore } from '../store/index.ts';
import { eachEngine } from '../store/test-engines.ts';

const BIN = new URL('../../bin/crosswalk.mjs', import.meta.url).pathname;

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function serve(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, [BIN, 'serve', '--http-port', '0'], {
    env: { ...process.env, CROSSWALK_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${stderr}`)), 60_000);
    child.stderr!.on('data', (d) => {
      stderr += d;
      if (stderr.includes('serving')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
  });
  return child;
}

const msg = (id: string) =>
  Buffer.from(`MSH|^~\\&|EPIC|HRMC|||20261124||ADT^A04|${id}|P|2.5\rEVN|A04|20261124\rPID|1||123^^^HRMC\r`);

eachEngine('configured MLLP interfaces', (engine) => {
  test('each interface listens on its port, labels what it receives, and TLS ones refuse strangers', async (t) => {
    if (!hasOpenssl) return t.skip('openssl is not installed; cannot make test certificates');
    const pki = await makePki(t);
    const url = await engine.freshUrl({ migrated: true });
    const [plainPort, tlsPort] = [await freePort(), await freePort()];
    const interfaces = [
      { name: 'adt-feed', port: plainPort, orderingKey: 'adt', ackMode: 'original' },
      {
        name: 'or-charges-tls',
        port: tlsPort,
        tls: {
          keyFile: join(pki.dir, 'server.key'),
          certFile: join(pki.dir, 'server.crt'),
          caFile: join(pki.dir, 'ca.crt'),
          // The trusted client's fingerprint; the stranger, signed by the same CA, is refused.
          allowedClientFingerprints: [certificateFingerprint(pki.clients.trusted.cert)],
        },
      },
    ];
    const child = await serve({
      CROSSWALK_DATABASE_URL: url,
      CROSSWALK_MLLP_INTERFACES: JSON.stringify(interfaces),
    });
    try {
      const plain = new MllpClient();
      await plain.connect({ host: '127.0.0.1', port: plainPort });
      assert.equal(parseMessage(await plain.send(msg('P1'), { timeoutMs: 10_000 })).get('MSA-1'), 'AA');
      await plain.close();

      const trusted = new MllpClient();
      await trusted.connect({
        host: '127.0.0.1',
        port: tlsPort,
        tls: { ca: pki.ca, ...pki.clients.trusted },
      });
      assert.equal(parseMessage(await trusted.send(msg('T1'), { timeoutMs: 10_000 })).get('MSA-1'), 'AA');
      await trusted.close();

      const stranger = new MllpClient();
      const refused = await stranger
        .connect({ host: '127.0.0.1', port: tlsPort, tls: { ca: pki.ca, ...pki.clients.stranger } })
        .then(() => stranger.send(msg('S1'), { timeoutMs: 5_000 }))
        .then(
          () => false,
          () => true,
        );
      await stranger.close();
      assert.equal(refused, true, 'a client certificate not on the allowlist is refused');

      const store = await openStore(url);
      try {
        const rows = await new InboxRepository(store).list();
        assert.deepEqual(rows.map((r) => [r.controlId, r.interfaceName, r.orderingKey]).sort(), [
          ['P1', 'adt-feed', 'adt'],
          ['T1', 'or-charges-tls', 'or-charges-tls'],
        ]);
      } finally {
        await store.close();
      }
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });
});
