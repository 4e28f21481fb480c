import type { Migration } from '../port.ts';

/**
 * PostgreSQL: an event's payload is stored as `json` (the text, checked to be JSON) instead of `jsonb`.
 *
 * Turning each event into jsonb's binary form was about a tenth of the server's CPU in the apply stage
 * (five events of some 800 bytes per DFT^P03), and nothing queries inside the payload on the server:
 * readers take the whole payload (node-pg parses both types into the same object), and replay compares
 * the stored text with the text it derives. With `json` that text is the writer's own, byte for byte;
 * the rows converted here keep the text jsonb gave them back (keys ordered by jsonb, `": "` between),
 * which replay recognises per row (`isJsonbText`, apply/replay.ts).
 *
 * The conversion rewrites the table under an exclusive lock, once. SQLite stores the text already.
 */
export const m0015: Migration = {
  id: 15,
  name: 'event payloads stored as json text on PostgreSQL',
  up: (d) =>
    d === 'postgres'
      ? 'ALTER TABLE canonical_events ALTER COLUMN payload TYPE json USING payload::json;'
      : '',
};
