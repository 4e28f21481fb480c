import { ddlTypes } from '../ddl.ts';
import type { Migration } from '../port.ts';

/**
 * PHI stays clinical (issue 6, item 6): the stored bodies that carry patient data are sealed with
 * AES-256-GCM (store/raw-cipher.ts), and each row records the id of the key that sealed it, so a key
 * ring can rotate while old rows stay readable. NULL means a row written before this migration, still
 * in the clear until `crosswalk keys reencrypt` seals it.
 *
 * - inbound_messages.raw, inbound_rejections.raw, message_revisions.raw: raw_key_id.
 * - fhir_resource_versions.resource: resource_key_id (the column stays text: a sealed version is kept as
 *   base64 of nonce, tag and ciphertext).
 */
export const m0012: Migration = {
  id: 12,
  name: 'sealed message bodies',
  up: (d) => {
    const t = ddlTypes(d);
    return `
      ALTER TABLE inbound_messages ADD COLUMN raw_key_id ${t.text};
      ALTER TABLE inbound_rejections ADD COLUMN raw_key_id ${t.text};
      ALTER TABLE message_revisions ADD COLUMN raw_key_id ${t.text};
      ALTER TABLE fhir_resource_versions ADD COLUMN resource_key_id ${t.text};`;
  },
};
