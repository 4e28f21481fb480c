import type { Migration } from '../port.ts';
import { m0001 } from './0001-foundation.ts';
import { m0002 } from './0002-master-data.ts';
import { m0003 } from './0003-inbox.ts';
import { m0004 } from './0004-posting.ts';
import { m0005 } from './0005-exceptions.ts';
import { m0006 } from './0006-fhir.ts';
import { m0007 } from './0007-outbox.ts';
import { m0008 } from './0008-journal-checks.ts';
import { m0009 } from './0009-audit.ts';
import { m0010 } from './0010-identity.ts';
import { m0011 } from './0011-smart.ts';
import { m0012 } from './0012-phi.ts';
import { m0013 } from './0013-stewardship.ts';
import { m0014 } from './0014-set-based-references.ts';
import { m0015 } from './0015-event-payload-json.ts';

/** Every migration, in order. Forward-only: append, never edit or renumber a released one. */
export const MIGRATIONS: readonly Migration[] = [
  m0001,
  m0002,
  m0003,
  m0004,
  m0005,
  m0006,
  m0007,
  m0008,
  m0009,
  m0010,
  m0011,
  m0012,
  m0013,
  m0014,
  m0015,
];
