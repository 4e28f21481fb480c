import type { JsonObject } from './json.ts';
import { RESOURCE_SPECS, searchParamsOf } from './resources.ts';

/**
 * The CapabilityStatement, built from the same table the server runs on (resources.ts), so it cannot
 * claim an interaction or a search parameter the server does not have, nor hide one it does.
 */
export function capabilityStatement(options: {
  version: string;
  date: string;
  baseUrl?: string;
  /** The SMART Backend Services token endpoint, when /fhir requires its access tokens. */
  tokenEndpoint?: string;
}): JsonObject {
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: options.date,
    publisher: 'Crosswalk',
    kind: 'instance',
    software: { name: 'Crosswalk', version: options.version },
    implementation: {
      description:
        'Crosswalk FHIR R4 facade: the resources with back-office effects are interpreted through the active mapping release into canonical events',
      ...(options.baseUrl ? { url: options.baseUrl } : {}),
    },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
    rest: [
      {
        mode: 'server',
        ...(options.tokenEndpoint ? { security: smartSecurity(options.tokenEndpoint) } : {}),
        documentation:
          'Create is idempotent: If-None-Exist, a matching business identifier, or the same id with the same content returns the stored resource and has no new effect; the same identity with different content is refused (409). Entries of a Bundle whose types are not served are refused, or skipped with Prefer: handling=lenient.',
        resource: RESOURCE_SPECS.map((s) => ({
          type: s.type,
          documentation: s.purpose,
          interaction: [
            { code: 'read' },
            { code: 'vread' },
            { code: 'update' },
            { code: 'create' },
            { code: 'search-type' },
          ],
          versioning: 'versioned',
          readHistory: false,
          updateCreate: true,
          conditionalCreate: true,
          conditionalUpdate: false,
          conditionalDelete: 'not-supported',
          referencePolicy: ['literal', 'logical', 'local'],
          searchParam: searchParamsOf(s.type).map((p) => ({
            name: p.name,
            ...(p.definition ? { definition: p.definition } : {}),
            type: p.kind,
            documentation: p.documentation,
          })),
        })),
        interaction: [{ code: 'transaction' }, { code: 'batch' }],
        searchParam: [
          { name: '_count', type: 'number', documentation: `page size (default 50, at most 1000)` },
          { name: '_offset', type: 'number', documentation: 'where the page starts (next links use it)' },
        ],
      },
    ],
  };
}

/**
 * rest.security for SMART Backend Services: the service coding clients look for, and the token endpoint
 * in the oauth-uris extension (SMART App Launch); .well-known/smart-configuration says the same.
 */
function smartSecurity(tokenEndpoint: string): JsonObject {
  return {
    service: [
      {
        coding: [
          {
            system: 'http://terminology.hl7.org/CodeSystem/restful-security-service',
            code: 'SMART-on-FHIR',
          },
        ],
        text: 'SMART Backend Services: client credentials with a private_key_jwt client assertion',
      },
    ],
    extension: [
      {
        url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
        extension: [{ url: 'token', valueUri: tokenEndpoint }],
      },
    ],
    description:
      'Every interaction except metadata needs a bearer token from the token endpoint; system/<Type>.read|write scopes (v2: .rs/.cu) decide which types a client may read or write.',
  };
}
