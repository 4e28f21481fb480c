import { appendOnly, ddlTypes } from '../ddl.ts';
import type { Migration } from '../port.ts';

/**
 * The FHIR resource store: every version of every resource written through /fhir (append-only, the
 * JSON as served), the current version of each, and the search rows of the current versions (one per
 * token, reference target or date range of a search parameter; see fhir/search.ts). Resources with
 * back-office effects also get an inbox row (inbound_messages) in the same transaction.
 */
export const m0006: Migration = {
  id: 6,
  name: 'fhir',
  up: (d) => {
    const t = ddlTypes(d);
    return `
      CREATE TABLE fhir_resource_versions (
        resource_type ${t.text} NOT NULL,
        id ${t.text} NOT NULL,
        version_id ${t.int} NOT NULL,
        last_updated ${t.text} NOT NULL,
        resource ${t.text} NOT NULL,
        PRIMARY KEY (resource_type, id, version_id)
      );
      ${appendOnly(d, 'fhir_resource_versions')}
      CREATE TABLE fhir_resources (
        resource_type ${t.text} NOT NULL,
        id ${t.text} NOT NULL,
        version_id ${t.int} NOT NULL,
        last_updated ${t.text} NOT NULL,
        content_sha256 ${t.text} NOT NULL,
        PRIMARY KEY (resource_type, id)
      );
      CREATE INDEX fhir_resources_updated ON fhir_resources (resource_type, last_updated, id);
      CREATE TABLE fhir_search_index (
        resource_type ${t.text} NOT NULL,
        id ${t.text} NOT NULL,
        name ${t.text} NOT NULL,
        system ${t.text},
        value ${t.text},
        lo ${t.text},
        hi ${t.text}
      );
      CREATE INDEX fhir_search_value ON fhir_search_index (resource_type, name, value);
      CREATE INDEX fhir_search_resource ON fhir_search_index (resource_type, id);`;
  },
};
