import { CrosswalkError, isCrosswalkError } from '../errors/index.ts';
import { formatPath, parseMessage, parsePath } from '../hl7v2/index.ts';
import { samePerson } from '../mapping/index.ts';

/**
 * Corrections a person makes to a failed message before replaying it: `FT1-10=2` (the quantity of the
 * first FT1), `FT1[2]-11.1=1250.00`. The stored raw message is never touched; the edited bytes become a
 * new version linked to it.
 *
 * Financial fields need a second person: an edit of them changes what reaches the books, so the editor
 * cannot also approve it (segregation of duties, as for mapping releases). Every FT1 field is financial —
 * FT1 is the financial transaction segment, and each of its fields feeds a quantity, an amount, an item,
 * a charge code, an account or a cost center — and so is PV1-3, whose point of care decides the par
 * location and cost center. MSH cannot be edited at all: it is the message's identity (sender and
 * control id, the idempotency key) and says how to read the rest.
 */
export interface FieldEdit {
  /** The position in its canonical written form, e.g. `FT1[2]-10`. */
  readonly path: string;
  readonly value: string;
}

const FINANCIAL_SEGMENTS: ReadonlySet<string> = new Set(['FT1']);
const FINANCIAL_FIELDS: ReadonlySet<string> = new Set(['PV1-3']);
const FORBIDDEN_SEGMENTS: ReadonlySet<string> = new Set(['MSH']);
const MAX_VALUE = 500;

/** Parses `PATH=VALUE` as typed on the command line or sent to the API. */
export function parseEdit(text: string): FieldEdit {
  const eq = text.indexOf('=');
  if (eq <= 0) {
    throw new CrosswalkError('CW_ERR_EXCEPTION_BAD_EDIT', {
      edit: text.slice(0, 60),
      reason: 'write it as POSITION=VALUE, e.g. FT1-10=2',
    });
  }
  return checkEdit({ path: text.slice(0, eq).trim(), value: text.slice(eq + 1) });
}

export function checkEdit(edit: FieldEdit): FieldEdit {
  let p: ReturnType<typeof parsePath>;
  try {
    p = parsePath(edit.path);
  } catch (e) {
    throw new CrosswalkError('CW_ERR_EXCEPTION_BAD_EDIT', {
      edit: edit.path.slice(0, 60),
      reason: isCrosswalkError(e) ? e.message : 'not an HL7 position',
    });
  }
  if (FORBIDDEN_SEGMENTS.has(p.segment)) {
    throw new CrosswalkError('CW_ERR_EXCEPTION_BAD_EDIT', {
      edit: edit.path,
      reason: 'MSH identifies the message and cannot be edited',
    });
  }
  if (edit.value.length > MAX_VALUE || /[\r\n]/.test(edit.value)) {
    throw new CrosswalkError('CW_ERR_EXCEPTION_BAD_EDIT', {
      edit: edit.path,
      reason: `a value is one line of at most ${MAX_VALUE} characters`,
    });
  }
  return { path: formatPath(p), value: edit.value };
}

/** Whether an edit touches a field that reaches the books (see above). */
export function isFinancial(edit: FieldEdit): boolean {
  const p = parsePath(edit.path);
  return FINANCIAL_SEGMENTS.has(p.segment) || FINANCIAL_FIELDS.has(`${p.segment}-${p.field}`);
}

export function needsApproval(edits: readonly FieldEdit[]): boolean {
  return edits.some(isFinancial);
}

/**
 * The message with the edits applied, encoded in its own delimiters and character set. Every edited
 * segment must exist: an edit never adds a segment, so a typo in the occurrence cannot invent a line.
 */
export function applyEdits(raw: Uint8Array, edits: readonly FieldEdit[]): Buffer {
  if (edits.length === 0) {
    throw new CrosswalkError('CW_ERR_EXCEPTION_BAD_EDIT', { edit: '(none)', reason: 'no field to change' });
  }
  const message = parseMessage(raw);
  for (const e of edits) {
    const p = parsePath(checkEdit(e).path);
    if (message.segment(p.segment, p.occurrence) === undefined) {
      throw new CrosswalkError('CW_ERR_EXCEPTION_BAD_EDIT', {
        edit: e.path,
        reason: `the message has no ${p.segment} number ${p.occurrence}`,
      });
    }
    try {
      message.set(e.path, e.value);
    } catch (err) {
      throw new CrosswalkError('CW_ERR_EXCEPTION_BAD_EDIT', {
        edit: e.path,
        reason: isCrosswalkError(err) ? err.message : 'the value cannot be written',
      });
    }
  }
  return message.encode();
}

/** The second person of a financial edit: named, and not the editor. */
export function checkApprover(exceptionId: bigint, editor: string, approver: string): string {
  const who = approver.trim();
  if (who === '') {
    throw new CrosswalkError('CW_ERR_EXCEPTION_INPUT', {
      id: String(exceptionId),
      action: 'approved',
      reason: 'name who approves the edit',
    });
  }
  if (samePerson(who, editor)) {
    throw new CrosswalkError('CW_ERR_EXCEPTION_SELF_APPROVAL', { id: String(exceptionId), editor });
  }
  return who;
}
