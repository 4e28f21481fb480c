/** Test-only: a throw-away PKI made with the real openssl, for TLS tests of listeners and clients. */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

export const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

export interface Pki {
  /** Where the PEM files are: ca.crt, server.key, server.crt, trusted.key/.crt, stranger.key/.crt. */
  dir: string;
  ca: string;
  serverKey: string;
  serverCert: string;
  clients: Record<'trusted' | 'stranger', { key: string; cert: string }>;
}

/** A throw-away CA, a server certificate for 127.0.0.1 and two client certificates, made by openssl. */
export async function makePki(t: TestContext): Promise<Pki> {
  const dir = await mkdtemp(join(tmpdir(), 'crosswalk-mllp-tls-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const ssl = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '2',
    '-subj',
    '/CN=Crosswalk Test CA',
  );
  const issue = async (name: string, ext: string): Promise<void> => {
    await writeFile(join(dir, `${name}.ext`), ext);
    ssl('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    ssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      `${name}.ext`,
      '-out',
      `${name}.crt`,
    );
  };
  await issue('server', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  await issue('trusted', 'extendedKeyUsage=clientAuth\n');
  await issue('stranger', 'extendedKeyUsage=clientAuth\n');
  const read = (f: string): Promise<string> => readFile(join(dir, f), 'utf8');
  return {
    dir,
    ca: await read('ca.crt'),
    serverKey: await read('server.key'),
    serverCert: await read('server.crt'),
    clients: {
      trusted: { key: await read('trusted.key'), cert: await read('trusted.crt') },
      stranger: { key: await read('stranger.key'), cert: await read('stranger.crt') },
    },
  };
}
