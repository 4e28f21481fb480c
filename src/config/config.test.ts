import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isCrosswalkError } from '../errors/index.ts';
import { loadConfig, SETTINGS } from './index.ts';

test('defaults give the embedded database and the standard ports', () => {
  const c = loadConfig({ env: {} });
  assert.equal(c.databaseUrl, './.crosswalk/crosswalk.db');
  assert.equal(c.httpPort, 8080);
  assert.equal(c.mllpPort, 2575);
  assert.ok(Object.isFrozen(c));
});

test('flag beats environment beats file beats default', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-config-'));
  const file = join(dir, 'crosswalk.json');
  writeFileSync(file, JSON.stringify({ httpPort: 9001, CROSSWALK_MLLP_PORT: 3001, logLevel: 'debug' }));
  const c = loadConfig({ file, env: { CROSSWALK_HTTP_PORT: '9002' }, flags: { logLevel: 'warn' } });
  assert.equal(c.httpPort, 9002);
  assert.equal(c.mllpPort, 3001);
  assert.equal(c.logLevel, 'warn');
});

test('a malformed value fails with one line naming the setting as the user wrote it', () => {
  const cases: [Parameters<typeof loadConfig>[0], string][] = [
    [{ env: { CROSSWALK_HTTP_PORT: 'eighty' } }, 'CROSSWALK_HTTP_PORT'],
    [{ env: { CROSSWALK_MLLP_PORT: '70000' } }, 'CROSSWALK_MLLP_PORT'],
    [{ env: {}, flags: { logLevel: 'loud' } }, '--log-level'],
    [{ env: { CROSSWALK_DB_POOL_MAX: '0' } }, 'CROSSWALK_DB_POOL_MAX'],
  ];
  for (const [sources, name] of cases) {
    assert.throws(
      () => loadConfig(sources),
      (e) =>
        isCrosswalkError(e) &&
        e.code === 'CW_ERR_CONFIG_INVALID' &&
        e.message.includes(name) &&
        !e.message.includes('\n'),
      name,
    );
  }
});

test('a bad configuration file is named, and unknown keys are refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-config-'));
  const file = join(dir, 'c.json');
  writeFileSync(file, '{ "httpPortt": 1 }');
  assert.throws(
    () => loadConfig({ file, env: {} }),
    (e) => isCrosswalkError(e) && e.message.includes('httpPortt'),
  );
  writeFileSync(file, '{ nope');
  assert.throws(
    () => loadConfig({ file, env: {} }),
    (e) => isCrosswalkError(e) && e.code === 'CW_ERR_CONFIG_FILE',
  );
  assert.throws(
    () => loadConfig({ file: join(dir, 'missing.json'), env: {} }),
    (e) => isCrosswalkError(e) && e.message.includes('ENOENT'),
  );
});

test('every setting is documented in docs/configuration.md with its variable and flag', () => {
  const doc = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
  for (const spec of Object.values(SETTINGS)) {
    assert.ok(doc.includes(spec.env), `${spec.env} missing from docs/configuration.md`);
    assert.ok(doc.includes(spec.flag), `${spec.flag} missing from docs/configuration.md`);
  }
});

test('MLLP interfaces come as a JSON array, and a bad one is named down to the field', () => {
  const c = loadConfig({
    env: {
      CROSSWALK_MLLP_INTERFACES: JSON.stringify([
        { name: 'or-charges', port: 2600, orderingKey: 'or', ackMode: 'original', charset: 'iso-8859-1' },
        { name: 'adt', port: 2601 },
      ]),
    },
  });
  assert.equal(c.mllpInterfaces.length, 2);
  assert.equal(c.mllpInterfaces[0]!.charset, 'iso-8859-1');
  assert.deepEqual(loadConfig({ env: {} }).mllpInterfaces, []);
  assert.throws(
    () => loadConfig({ env: { CROSSWALK_MLLP_INTERFACES: '[{"name":"x","port":99999}]' } }),
    (e) =>
      isCrosswalkError(e) && e.message.includes('CROSSWALK_MLLP_INTERFACES') && e.message.includes('0.port'),
  );
  assert.throws(
    () => loadConfig({ env: { CROSSWALK_MLLP_INTERFACES: '[{"name":"x","port":1,"ackmode":"auto"}]' } }),
    (e) => isCrosswalkError(e) && e.message.includes('ackmode'),
  );
  assert.throws(
    () => loadConfig({ env: { CROSSWALK_MLLP_INTERFACES: 'not json' } }),
    (e) => isCrosswalkError(e) && e.message.includes('JSON array'),
  );
});
