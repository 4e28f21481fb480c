import { ddlTypes } from '../ddl.ts';
import type { Migration } from '../port.ts';

/** Instance metadata: a generated instance id and when this database was first migrated. */
export const m0001: Migration = {
  id: 1,
  name: 'foundation',
  up: (d) => {
    const t = ddlTypes(d);
    return `
      CREATE TABLE crosswalk_meta (
        key ${t.text} PRIMARY KEY,
        value ${t.text} NOT NULL,
        updated_at ${t.timestamp} NOT NULL DEFAULT ${t.now}
      );`;
  },
};
