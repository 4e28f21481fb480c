import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isCrosswalkError } from '../errors/index.ts';
import { openStore } from './open.ts';
import { numberPlaceholders } from './postgres.ts';
import { parseDatabaseUrl } from './target.ts';

test('database URLs select the engine, and credentials never reach the display form', () => {
  assert.deepEqual(parseDatabaseUrl('./.crosswalk/x.db'), {
    engine: 'sqlite',
    path: './.crosswalk/x.db',
    display: 'sqlite:./.crosswalk/x.db',
  });
  assert.equal(parseDatabaseUrl('sqlite:/tmp/a.db').engine, 'sqlite');
  assert.equal(parseDatabaseUrl('file:/tmp/a.db').engine, 'sqlite');
  const pgTarget = parseDatabaseUrl('postgres://app:s3cret@db.example:5432/crosswalk');
  assert.equal(pgTarget.engine, 'postgres');
  assert.equal(pgTarget.display, 'postgres://app@db.example:5432/crosswalk');
  assert.ok(!pgTarget.display.includes('s3cret'));
});

test('an unsupported engine is refused with a code naming the setting', () => {
  assert.throws(
    () => parseDatabaseUrl('mysql://root@localhost/x'),
    (e) =>
      isCrosswalkError(e) &&
      e.code === 'CW_ERR_CONFIG_ENGINE' &&
      e.message.includes('CROSSWALK_DATABASE_URL'),
  );
});

test('? placeholders are numbered for PostgreSQL', () => {
  assert.equal(numberPlaceholders('SELECT ? , ?, (?)'), 'SELECT $1 , $2, ($3)');
});

test('an unreachable PostgreSQL gives CW_ERR_STORE_UNREACHABLE without the password', async () => {
  await assert.rejects(openStore('postgres://u:hunter2@127.0.0.1:1/none'), (e) => {
    return isCrosswalkError(e) && e.code === 'CW_ERR_STORE_UNREACHABLE' && !e.message.includes('hunter2');
  });
});
