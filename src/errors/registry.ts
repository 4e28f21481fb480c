/**
 * The one registry of Crosswalk's error codes. A code is stable forever once released: the exception
 * queue stores it, dashboards group by it, runbooks name it. Retire a code by marking it, never by reuse.
 *
 * Each code names the team that owns the work item it becomes, whether a plain retry can succeed, and
 * the HTTP status an API answer carries. Message templates use {name} placeholders and must never be
 * given patient identifiers: they reach logs and ERP-bound documents.
 */

export type OwningTeam =
  | 'integration'
  | 'supply-chain'
  | 'revenue-integrity'
  | 'finance'
  | 'data-stewardship'
  | 'security'
  | 'operations';

export interface ErrorDefinition {
  readonly team: OwningTeam;
  readonly retryable: boolean;
  readonly httpStatus: number;
  readonly message: string;
  /**
   * How long the owning team has to resolve the exception this code becomes, in hours from when it
   * was raised: the team's default unless the code names its own (see TEAM_SLA_HOURS).
   */
  readonly slaHours: number;
}

/**
 * Default time to resolve a work item, per owning team. Operations and security problems stop the flow
 * or expose it, so hours; an interface fault blocks its messages, so a working day; supply chain and
 * finance items hold postings back from the books; revenue integrity and data stewardship work through
 * master data and charge reviews over days.
 */
export const TEAM_SLA_HOURS: Readonly<Record<OwningTeam, number>> = {
  operations: 2,
  security: 4,
  integration: 8,
  'supply-chain': 24,
  finance: 48,
  'revenue-integrity': 72,
  'data-stewardship': 72,
};

function def(
  team: OwningTeam,
  retryable: boolean,
  httpStatus: number,
  message: string,
  slaHours: number = TEAM_SLA_HOURS[team],
): ErrorDefinition {
  return { team, retryable, httpStatus, message, slaHours };
}

export const ERRORS = {
  // --- configuration (operations) -------------------------------------------------------------
  CW_ERR_CONFIG_INVALID: def('operations', false, 500, 'invalid setting {setting}: {reason}'),
  CW_ERR_CONFIG_FILE: def('operations', false, 500, 'cannot read configuration file {path}: {reason}'),
  CW_ERR_CONFIG_ENGINE: def('operations', false, 500, 'unknown database engine in {setting}: {value}'),

  // --- demo data (src/demo) --------------------------------------------------------------------
  CW_ERR_DEMO_OPTION: def('operations', false, 400, 'invalid demo option {option}: {reason}'),

  // --- storage ---------------------------------------------------------------------------------
  CW_ERR_STORE_UNREACHABLE: def('operations', true, 503, 'database unreachable at {target}: {reason}'),
  CW_ERR_STORE_NOT_MIGRATED: def(
    'operations',
    true,
    503,
    'database schema is at version {found}, expected {expected}',
  ),
  CW_ERR_STORE_AHEAD: def(
    'operations',
    false,
    500,
    'database schema version {found} is newer than this build ({expected})',
  ),
  CW_ERR_STORE_MIGRATION: def('operations', false, 500, 'migration {id} failed: {reason}'),
  CW_ERR_STORE_WRITE: def('operations', true, 503, 'database write failed: {reason}'),
  CW_ERR_STORE_RAW_UNREADABLE: def(
    'security',
    false,
    500,
    'stored body {table} {row} does not decrypt with key {keyId}: altered, moved from another row, or sealed under another key ring',
  ),
  CW_ERR_STORE_RAW_KEY_UNKNOWN: def(
    'security',
    false,
    500,
    'stored body {table} {row} was sealed with key {keyId}, which the raw key ring ({path}) does not hold',
  ),

  // --- server / CLI ----------------------------------------------------------------------------
  CW_ERR_SERVER_PORT_IN_USE: def('operations', false, 500, '{listener} port {port} is already in use'),
  CW_ERR_SERVER_INTERNAL: def(
    'operations',
    true,
    500,
    'internal error; the log holds the details under id {incident}',
  ),
  CW_ERR_SERVER_LISTEN: def('operations', false, 500, '{listener} cannot listen on {host}:{port}: {reason}'),
  CW_ERR_CLI_USAGE: def('operations', false, 400, '{reason}'),
  CW_ERR_CLI_INPUT: def('operations', false, 400, 'cannot read {path}: {reason}'),
  CW_ERR_CLI_AMBIGUOUS_ID: def(
    'operations',
    false,
    409,
    '{what} id {prefix} is ambiguous: it begins {count} ids ({examples}); give more characters',
  ),
  CW_ERR_CLI_WRITE: def('operations', false, 400, 'cannot write {path}: {reason}'),
  CW_ERR_CLI_CLOSE_BLOCKED: def('finance', false, 409, 'period {period} of {entity} cannot close: {reasons}'),
  CW_ERR_DEMO_NOT_EMPTY: def(
    'operations',
    false,
    409,
    'the database at {target} already holds data; demo loads only into an empty one',
  ),
  CW_ERR_API_NOT_FOUND: def('operations', false, 404, 'no {what} with id {id}'),
  CW_ERR_API_BAD_REQUEST: def('operations', false, 400, '{reason}'),

  // --- identity and access (security) ---------------------------------------------------------
  CW_ERR_AUTH_REQUIRED: def('security', false, 401, 'authentication required: {how}'),
  CW_ERR_AUTH_INVALID: def('security', false, 401, 'the credential is not valid: {reason}'),
  CW_ERR_AUTH_FORBIDDEN: def('security', false, 403, '{subject} may not {action}: {reason}'),
  CW_ERR_AUTH_SIGN_IN: def(
    'security',
    false,
    401,
    'sign-in failed: unknown user, wrong password or disabled',
  ),
  CW_ERR_AUTH_ACTOR_MISMATCH: def(
    'security',
    false,
    403,
    'the claimed actor {claimed} is not the authenticated {subject}',
  ),
  CW_ERR_IDENTITY_RULE: def('security', false, 409, '{reason}'),
  CW_ERR_IDENTITY_UNKNOWN: def('security', false, 404, 'no {what} {name}'),
  CW_ERR_IDENTITY_EXISTS: def('security', false, 409, '{what} {name} already exists'),
  CW_ERR_IDENTITY_PASSWORD: def('security', false, 400, '{reason}'),

  // --- HL7 v2 (integration) --------------------------------------------------------------------
  CW_ERR_HL7_EMPTY: def('integration', false, 400, 'HL7 v2 message is empty'),
  CW_ERR_HL7_NO_MSH: def(
    'integration',
    false,
    400,
    'HL7 v2 message does not start with an MSH segment (found {found})',
  ),
  CW_ERR_HL7_BAD_DELIMITERS: def('integration', false, 400, 'MSH-1/MSH-2 delimiters are invalid: {reason}'),
  CW_ERR_HL7_BAD_SEGMENT: def('integration', false, 400, 'malformed segment at {position}: {reason}'),
  CW_ERR_HL7_BAD_ESCAPE: def('integration', false, 400, 'bad escape sequence at {position}: {reason}'),
  CW_ERR_HL7_TOO_LARGE: def(
    'integration',
    false,
    413,
    '{what} at {position} is {size} {unit}, over the limit of {limit}',
  ),
  CW_ERR_HL7_REQUIRED_FIELD: def('integration', false, 400, 'required field {field} is empty ({position})'),
  CW_ERR_HL7_CHARSET: def('integration', false, 400, 'unsupported character set {charset} in MSH-18'),
  CW_ERR_HL7_BATCH: def('integration', false, 400, 'batch envelope is malformed: {reason}'),
  CW_ERR_HL7_BAD_BYTES: def(
    'integration',
    false,
    400,
    'bytes of {position} are not valid {charset} (first bad byte at offset {offset})',
  ),
  CW_ERR_HL7_BAD_PATH: def('integration', false, 400, 'invalid HL7 position {path}: {reason}'),
  CW_ERR_HL7_BAD_VALUE: def('integration', false, 400, 'value for {position} cannot be written: {reason}'),

  // --- canonical events, mapping releases, interpretation (integration) -------------------------
  CW_ERR_CANONICAL_INVALID_EVENT: def('integration', false, 422, 'invalid {type} event: {field} {reason}'),
  CW_ERR_CANONICAL_TOKEN_KEY: def('operations', false, 500, 'the token key must be at least {min} bytes'),
  CW_ERR_MAP_UNMAPPED_ITEM: def(
    'supply-chain',
    false,
    422,
    'EHR supply code {code} at {position} has no ERP item mapping on {date}',
  ),
  CW_ERR_MAP_UNKNOWN_DEPARTMENT: def(
    'data-stewardship',
    false,
    422,
    'EHR department {code} at {position} is not mapped on {date}',
  ),
  CW_ERR_MAP_UNKNOWN_LOCATION: def(
    'data-stewardship',
    false,
    422,
    'point of care {pointOfCare} at facility {facility} ({position}) is not mapped on {date}',
  ),
  CW_ERR_MAP_UNKNOWN_FACILITY: def(
    'data-stewardship',
    false,
    422,
    'facility {facility} ({position}) is not mapped to a legal entity on {date}',
  ),
  CW_ERR_MAP_UNKNOWN_CHARGE_CODE: def(
    'revenue-integrity',
    false,
    422,
    'charge code {code} at {position} is not in the charge master on {date}',
  ),
  CW_ERR_MAP_UNKNOWN_PRACTITIONER: def(
    'data-stewardship',
    false,
    422,
    'practitioner NPI {npi} is not linked to an employee on {date}',
  ),
  CW_ERR_MAP_UNKNOWN_UOM: def(
    'supply-chain',
    false,
    422,
    'item {item} has no unit of measure {uom} on {date} ({position})',
  ),
  CW_ERR_MAP_UNKNOWN_TRANSACTION_TYPE: def(
    'integration',
    false,
    422,
    'transaction type {value} at {position} has no field rule in the mapping release',
  ),
  CW_ERR_MAP_NO_ACCOUNT_RULE: def(
    'finance',
    false,
    422,
    'no account determination for {eventType} of category {category} in entity {entity} on {date}',
  ),
  CW_ERR_MAP_INVALID_RELEASE: def('integration', false, 422, 'mapping release is invalid: {reason}'),
  CW_ERR_MAP_FILE: def('integration', false, 422, 'mapping release file {file}, line {line}: {reason}'),
  CW_ERR_MAP_SELF_APPROVAL: def(
    'security',
    false,
    403,
    'release {release} was proposed by {author}; someone else must approve it',
  ),
  CW_ERR_MAP_BAD_TRANSITION: def(
    'integration',
    false,
    409,
    'release {release} is {status}; it cannot be {action}',
  ),
  CW_ERR_MAP_UNKNOWN_RELEASE: def('integration', false, 404, 'no mapping release {release}'),
  CW_ERR_MAP_NO_ROLLBACK: def('integration', false, 409, 'no earlier active release to roll back to'),
  CW_ERR_INTERPRET_UNSUPPORTED_TYPE: def(
    'integration',
    false,
    422,
    'message type {messageType} is not interpreted: {reason}',
  ),
  CW_ERR_INTERPRET_BAD_QUANTITY: def(
    'integration',
    false,
    422,
    'quantity {value} at {position} cannot be used: {reason}',
  ),
  CW_ERR_INTERPRET_BAD_AMOUNT: def(
    'integration',
    false,
    422,
    'amount {value} at {position} cannot be used: {reason}',
  ),
  CW_ERR_INTERPRET_BAD_TIMESTAMP: def(
    'integration',
    false,
    422,
    '{position} holds {value}, which is not a usable HL7 date/time',
  ),
  CW_ERR_INTERPRET_MISSING_FIELD: def(
    'integration',
    false,
    422,
    '{position} is empty; it is needed for {what}',
  ),
  CW_ERR_INTERPRET_BAD_VALUE: def('integration', false, 422, '{position} holds {value}: {reason}'),

  // --- FHIR R4 (integration) --------------------------------------------------------------------
  CW_ERR_FHIR_UNSUPPORTED_TYPE: def(
    'integration',
    false,
    404,
    '{resourceType} is not a resource type Crosswalk serves; it serves {supported}',
  ),
  CW_ERR_FHIR_BAD_JSON: def('integration', false, 400, 'the body is not a JSON object: {reason}'),
  CW_ERR_FHIR_TOO_DEEP: def('integration', false, 400, 'the body nests deeper than {limit} levels'),
  CW_ERR_FHIR_TOO_LARGE: def(
    'integration',
    false,
    413,
    'the body is {size} bytes, over the limit of {limit}',
  ),
  CW_ERR_FHIR_MEDIA_TYPE: def(
    'integration',
    false,
    415,
    'content type {contentType} is not accepted; send application/fhir+json',
  ),
  CW_ERR_FHIR_INVALID_RESOURCE: def('integration', false, 400, 'invalid {resourceType}: {path} {reason}'),
  CW_ERR_FHIR_NOT_FOUND: def('integration', false, 404, 'no {resourceType} with id {id}'),
  CW_ERR_FHIR_BAD_SEARCH: def('integration', false, 400, 'search parameter {name}: {reason}'),
  CW_ERR_FHIR_CONDITIONAL_NO_MATCH: def(
    'integration',
    false,
    404,
    'the conditional reference to {resourceType} at {position} matches no resource',
  ),
  CW_ERR_FHIR_CONDITIONAL_MULTIPLE: def(
    'integration',
    false,
    412,
    'the condition on {resourceType} at {position} matches {count} resources; it must match at most one',
  ),
  CW_ERR_FHIR_IDENTITY_CONFLICT: def(
    'integration',
    false,
    409,
    '{resourceType} {id} ({why}) was already received with different content; send an update instead',
  ),
  CW_ERR_FHIR_ID_MISMATCH: def(
    'integration',
    false,
    400,
    'the id in the body differs from the id in the URL',
  ),
  CW_ERR_FHIR_BAD_BUNDLE: def('integration', false, 400, 'Bundle {position}: {reason}'),
  CW_ERR_FHIR_NOT_ALLOWED: def('integration', false, 405, '{method} is not supported on {what}'),

  // --- SMART Backend Services for /fhir (security; src/governance/smart.ts) ---------------------
  // The token endpoint answers each with the RFC 6749 error named in smart.ts (OAUTH_ERROR_OF); a
  // refusal names what was wrong with the request, never the client's key material.
  CW_ERR_SMART_BAD_REQUEST: def('security', false, 400, 'token request refused: {reason}'),
  CW_ERR_SMART_GRANT_TYPE: def(
    'security',
    false,
    400,
    'grant_type {grantType} is not supported: system clients use client_credentials',
  ),
  CW_ERR_SMART_ASSERTION_TYPE: def(
    'security',
    false,
    400,
    'client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
  ),
  CW_ERR_SMART_MALFORMED_ASSERTION: def(
    'security',
    false,
    401,
    'the client assertion is not a usable JWT: {reason}',
  ),
  CW_ERR_SMART_ALG_NONE: def('security', false, 401, 'the client assertion is unsigned (alg none)'),
  CW_ERR_SMART_ALG_REFUSED: def(
    'security',
    false,
    401,
    'the client assertion is signed with {alg}; accepted: {accepted}',
  ),
  CW_ERR_SMART_UNKNOWN_CLIENT: def('security', false, 401, 'no registered system client {clientId}'),
  CW_ERR_SMART_CLIENT_DISABLED: def('security', false, 401, 'system client {clientId} is disabled'),
  CW_ERR_SMART_UNKNOWN_KEY: def(
    'security',
    false,
    401,
    'system client {clientId} has no usable {alg} key with kid {kid}',
  ),
  CW_ERR_SMART_BAD_SIGNATURE: def(
    'security',
    false,
    401,
    'the signature of the client assertion does not verify with key {kid} of {clientId}',
  ),
  CW_ERR_SMART_ISSUER_MISMATCH: def(
    'security',
    false,
    401,
    'the client assertion must have iss = sub = the client id: {reason}',
  ),
  CW_ERR_SMART_WRONG_AUDIENCE: def(
    'security',
    false,
    401,
    'the client assertion is addressed to {aud}, not to this token endpoint {expected}',
  ),
  CW_ERR_SMART_NO_EXPIRY: def('security', false, 401, 'the client assertion has no numeric exp'),
  CW_ERR_SMART_EXPIRED: def('security', false, 401, 'the client assertion expired at {exp}'),
  CW_ERR_SMART_LONG_LIVED: def(
    'security',
    false,
    401,
    'the client assertion expires at {exp}, more than {maxSeconds} s from now',
  ),
  CW_ERR_SMART_REPLAYED_JTI: def(
    'security',
    false,
    401,
    'the client assertion jti was already used by {clientId}: sign a new assertion for each request',
  ),
  CW_ERR_SMART_BAD_SCOPE: def('security', false, 400, 'scope {scope} is not a SMART system scope: {reason}'),
  CW_ERR_SMART_SCOPE_NOT_ALLOWED: def(
    'security',
    false,
    400,
    'system client {clientId} is not registered for scope {scope}',
  ),
  CW_ERR_SMART_TOKEN_MISSING: def(
    'security',
    false,
    401,
    '/fhir needs an access token (Authorization: Bearer), obtained from {tokenEndpoint}',
  ),
  CW_ERR_SMART_TOKEN_INVALID: def('security', false, 401, 'the access token is not valid: {reason}'),
  CW_ERR_SMART_INSUFFICIENT_SCOPE: def(
    'security',
    false,
    403,
    'the access token does not cover {interaction} on {resourceType} (granted: {granted})',
  ),
  CW_ERR_SMART_ROLE_REFUSED: def('security', false, 403, 'system client {clientId}: {reason}'),
  CW_ERR_SMART_BAD_JWKS: def('security', false, 400, 'the JWKS of {clientId} is not usable: {reason}'),
  CW_ERR_SMART_BAD_CLIENT: def('security', false, 400, 'cannot register system client {clientId}: {reason}'),
  CW_ERR_SMART_CLIENT_EXISTS: def('security', false, 409, 'system client {clientId} is already registered'),

  // --- break-glass and segregation of duties (security; src/governance/breakglass.ts) -----------
  CW_ERR_BREAKGLASS_OPENED: def(
    'security',
    false,
    409,
    'break-glass access opened: {user} holds {role} until {until}; someone else must review it (crosswalk breakglass review {id})',
  ),
  CW_ERR_BREAKGLASS_NO_REASON: def('security', false, 400, 'break glass needs a reason (--reason "<text>")'),
  CW_ERR_BREAKGLASS_TOO_LONG: def(
    'security',
    false,
    400,
    'break-glass access lasts 1 to {max} minutes (CROSSWALK_BREAKGLASS_MAX_MINUTES); {minutes} was asked',
  ),
  CW_ERR_BREAKGLASS_BAD_ROLE: def('security', false, 400, 'cannot break glass into {role}: {reason}'),
  CW_ERR_BREAKGLASS_SOD: def(
    'security',
    false,
    403,
    '{user} holds {held}: breaking glass into {role} would give one person security administration and business work',
  ),
  CW_ERR_BREAKGLASS_UNKNOWN_USER: def('security', false, 404, 'no enabled user {user}'),
  CW_ERR_BREAKGLASS_NOT_FOUND: def('security', false, 404, 'no break-glass use {id}'),
  CW_ERR_BREAKGLASS_SELF_REVIEW: def(
    'security',
    false,
    403,
    '{user} broke glass in use {id} and cannot review it: someone else must',
  ),
  CW_ERR_BREAKGLASS_REVIEWED: def(
    'security',
    false,
    409,
    'break-glass use {id} was already reviewed by {reviewer}',
  ),

  // --- MLLP and the inbox (integration) ---------------------------------------------------------
  CW_ERR_MLLP_FRAME_TOO_LARGE: def('integration', false, 413, 'MLLP frame exceeds {limit} bytes'),
  CW_ERR_MLLP_TIMEOUT: def('integration', true, 408, 'MLLP peer {what} timed out after {ms} ms'),
  CW_ERR_MLLP_NOT_ALLOWED: def(
    'security',
    false,
    403,
    'MLLP client certificate {subject} is not on the allowlist',
  ),
  CW_ERR_MLLP_NO_ACK: def('integration', true, 504, 'no ACK received for {controlId} within {ms} ms'),
  CW_ERR_MLLP_CONNECTION: def('integration', true, 503, 'MLLP connection to {target} failed: {reason}'),
  CW_ERR_MLLP_FRAME_INCOMPLETE: def(
    'integration',
    true,
    400,
    'MLLP frame abandoned after {bytes} bytes: {reason}',
  ),
  CW_ERR_INBOX_DUPLICATE_CONFLICT: def(
    'integration',
    false,
    409,
    'message {sender}/{controlId} was already received with different content',
    4, // the sender believes it delivered something we refused: find out which version is true, today
  ),
  CW_ERR_APPLY_REPLAY_APPROVAL: def('finance', false, 403, 'replay cannot be applied: {reason}'),
  CW_ERR_APPLY_INTERNAL: def('integration', true, 500, 'applying the message failed unexpectedly: {reason}'),
  CW_ERR_INBOX_STORE_FAILED: def('operations', true, 503, 'message could not be stored durably: {reason}'),

  // --- the exception work-queue (src/exceptions) -----------------------------------------------
  CW_ERR_EXCEPTION_BAD_TRANSITION: def(
    'operations',
    false,
    409,
    'exception {id} is {status}; it cannot be {action}',
  ),
  CW_ERR_EXCEPTION_INPUT: def('operations', false, 400, 'exception {id} cannot be {action}: {reason}'),
  CW_ERR_EXCEPTION_NOT_REPLAYABLE: def(
    'operations',
    false,
    409,
    'exception {id} cannot be replayed: {reason}',
  ),
  CW_ERR_EXCEPTION_BAD_EDIT: def('integration', false, 400, 'edit {edit} cannot be applied: {reason}'),
  CW_ERR_EXCEPTION_SELF_APPROVAL: def(
    'security',
    false,
    403,
    'the edit of exception {id} was made by {editor}; someone else must approve it',
  ),

  // --- master-data stewardship and four-eyes postings (issue 6) ---------------------------------
  CW_ERR_STEWARDSHIP_NOT_OWNER: def(
    'data-stewardship',
    false,
    409,
    '{senderSystem} ({sender}) sent {count} change(s) to {kind} master data, which {owner} owns: not applied',
  ),
  CW_ERR_OWNERSHIP_BAD_INPUT: def('data-stewardship', false, 400, 'ownership: {reason}'),
  CW_ERR_FOUR_EYES_SELF_APPROVAL: def(
    'security',
    false,
    403,
    '{what} {id} was prepared by {preparer}; the approver ({approver}) must be someone else',
  ),
  CW_ERR_PROPOSAL_NOT_FOUND: def('finance', false, 404, 'no {what} with id {id}'),
  CW_ERR_PROPOSAL_DECIDED: def('finance', false, 409, '{what} {id} was already {decision} by {by}'),
  CW_ERR_MANUAL_JOURNAL_INVALID: def('finance', false, 422, 'manual journal {where}: {reason}'),
  CW_ERR_ADJUSTMENT_INVALID: def('supply-chain', false, 422, 'inventory adjustment: {reason}'),

  // --- inventory (supply chain) ----------------------------------------------------------------
  CW_ERR_INVENTORY_UNKNOWN_ITEM: def('supply-chain', false, 422, 'item {item} is not in the item master'),
  CW_ERR_INVENTORY_MASTER_INVALID: def('supply-chain', false, 422, 'item master for {item}: {reason}'),
  CW_ERR_INVENTORY_UNKNOWN_UOM: def('supply-chain', false, 422, 'item {item} has no unit {uom} ({known})'),
  CW_ERR_INVENTORY_FRACTIONAL_QUANTITY: def(
    'supply-chain',
    false,
    422,
    '{quantity} {uom} of item {item} is not a whole number of {baseUom}',
  ),
  CW_ERR_INVENTORY_BAD_QUANTITY: def('integration', false, 400, 'quantity {quantity} of {item}: {reason}'),
  CW_ERR_INVENTORY_BAD_COMMAND: def('integration', false, 400, 'inventory {what} {key}: {reason}'),
  CW_ERR_INVENTORY_TRACKING: def(
    'supply-chain',
    false,
    422,
    'item {item} is tracked by {tracking}: {reason}',
  ),
  CW_ERR_INVENTORY_NEGATIVE_ON_HAND: def(
    'supply-chain',
    false,
    409,
    'taking {quantity} of item {item} at {location} exceeds the {onHand} on hand',
  ),
  CW_ERR_INVENTORY_NEGATIVE_REVALUED: def(
    'finance',
    false,
    409,
    'negative on-hand of item {item} at {location} revalued by {value} at the inflow cost',
  ),
  CW_ERR_INVENTORY_SERIAL_UNKNOWN: def(
    'supply-chain',
    false,
    409,
    'serial {serial} of item {item} is not on hand at {location}',
  ),
  CW_ERR_INVENTORY_SERIAL_USED: def('supply-chain', false, 409, 'serial {serial} of item {item} is {status}'),
  CW_ERR_INVENTORY_SERIAL_EXISTS: def(
    'supply-chain',
    false,
    409,
    'serial {serial} of item {item} is already {status} at {location}',
  ),
  CW_ERR_INVENTORY_RETURN_EXCEEDS: def(
    'supply-chain',
    false,
    409,
    'return of {quantity} exceeds the {remaining} left to return from movement {origin}',
  ),
  CW_ERR_INVENTORY_KEY_CONFLICT: def(
    'integration',
    false,
    409,
    'inventory movement {key} was already applied with different content',
  ),

  // --- ledger (finance) ------------------------------------------------------------------------
  CW_ERR_LEDGER_UNBALANCED: def(
    'finance',
    false,
    422,
    'journal entry {entry} does not balance in {currency}: debits {debits}, credits {credits}',
  ),
  CW_ERR_LEDGER_BAD_ENTRY: def('finance', false, 422, 'journal entry {entry} is invalid: {reason}'),
  CW_ERR_LEDGER_BAD_AMOUNT: def('finance', false, 400, 'amount {amount} is invalid: {reason}'),
  CW_ERR_LEDGER_PERIOD_CLOSED: def(
    'finance',
    false,
    409,
    'period {period} of {entity} takes no postings and no later period is open',
    8, // nothing of the entity can post until a period is opened
  ),
  CW_ERR_LEDGER_NO_PERIOD: def('finance', false, 409, 'no fiscal period of {entity} covers {date}'),
  CW_ERR_LEDGER_BAD_PERIOD: def(
    'finance',
    false,
    400,
    'fiscal period {period} of {entity} is invalid: {reason}',
  ),
  CW_ERR_LEDGER_PERIOD_TRANSITION: def(
    'finance',
    false,
    409,
    'period {period} of {entity} cannot go from {from} to {to}',
  ),
  CW_ERR_LEDGER_UNKNOWN_ACCOUNT: def(
    'finance',
    false,
    422,
    'account {account} is not in the chart of accounts',
  ),
  CW_ERR_LEDGER_NOT_POSTABLE: def(
    'finance',
    false,
    422,
    'account {account} takes no postings for {entity}: {reason}',
  ),
  CW_ERR_LEDGER_UNKNOWN_ENTITY: def(
    'finance',
    false,
    422,
    'legal entity {entity} is not known to the ledger',
  ),
  CW_ERR_LEDGER_UNKNOWN_COST_CENTER: def(
    'finance',
    false,
    422,
    'cost center {costCenter} is not a cost center of {entity}',
  ),
  CW_ERR_LEDGER_UNKNOWN_CURRENCY: def('finance', false, 422, 'currency {currency} is not configured'),
  CW_ERR_LEDGER_NO_INTERCOMPANY: def(
    'finance',
    false,
    422,
    'no intercompany relationship from {entity} to {counterparty}',
  ),
  CW_ERR_LEDGER_NO_RULE: def(
    'finance',
    false,
    422,
    'no posting rule for event {eventType}, entity {entity}, item category {category}',
  ),
  CW_ERR_LEDGER_NO_ACCOUNT: def(
    'finance',
    false,
    422,
    'rule {rule} finds no account for {selector}: {reason}',
  ),
  CW_ERR_LEDGER_MISSING_INPUT: def(
    'finance',
    false,
    422,
    'rule {rule} needs {input}, which the event does not carry',
  ),
  CW_ERR_LEDGER_BAD_RULES: def('finance', false, 500, 'posting rule table is invalid: {reason}'),
  CW_ERR_LEDGER_BAD_SETUP: def('finance', false, 500, 'ledger master data is invalid: {reason}'),
  CW_ERR_LEDGER_LATE_POSTING: def(
    'finance',
    false,
    409,
    'events of {entity} dated in period {fromPeriod}, which takes no postings, were posted to {period}',
  ),

  // --- outbox (finance) ------------------------------------------------------------------------
  CW_ERR_OUTBOX_UNBALANCED_BATCH: def(
    'finance',
    false,
    422,
    'journal batch {batch} does not balance for {entity} in {currency}: debits {debits}, credits {credits}',
  ),
  CW_ERR_OUTBOX_BAD_DOCUMENT: def('integration', false, 500, 'outbox document is malformed: {reason}'),
  CW_ERR_OUTBOX_UNKNOWN_DESTINATION: def('integration', false, 404, 'no outbox destination named {name}'),
  CW_ERR_OUTBOX_NO_DESTINATION: def(
    'integration',
    false,
    409,
    'no configured outbox destination takes {kind} documents{detail}',
  ),
  CW_ERR_OUTBOX_BAD_STATE: def(
    'integration',
    false,
    409,
    'document {document} at {destination} is {state}; this needs {expected}',
  ),
  CW_ERR_OUTBOX_DELIVERY_FAILED: def(
    'integration',
    true,
    503,
    'delivery of {document} to {destination} failed and will be retried: {reason}',
  ),
  CW_ERR_OUTBOX_REJECTED: def(
    'integration',
    false,
    422,
    '{destination} refused document {document}: {reason}',
  ),
  CW_ERR_OUTBOX_UNKNOWN_OUTCOME: def(
    'integration',
    false,
    409,
    'the outcome of sending {document} to {destination} is unknown ({reason}) and the destination does not honour idempotency keys: quarantined until someone checks the receiver',
  ),
  CW_ERR_OUTBOX_QUEUEING: def(
    'integration',
    true,
    503,
    'destination {destination} is queueing: {depth} documents waiting, the oldest for {oldestSeconds} s',
  ),
} as const satisfies Record<string, ErrorDefinition>;

export type ErrorCode = keyof typeof ERRORS;
