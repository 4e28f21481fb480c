/**
 * Named crash points for the fault tests: `CROSSWALK_CRASH_AT=<point>[:<nth>]` (read once, when the
 * module loads) makes the process die by SIGKILL the nth time (default the first) execution passes that
 * point — no shutdown hook, no flush, exactly what a power cut or the OOM killer leaves behind.
 *
 * Each point sits between a durable step and the step that makes it visible to someone else, where a
 * crash is hardest to get right:
 * - `inbox-committed`: a message is committed to the inbox, its ACK not yet sent (the sender resends);
 * - `apply-committed`: an apply batch committed with its outbox documents, the deliverer not yet told;
 * - `erp-answered`: a destination answered a document, the answer not yet recorded (the claim is found
 *   in `delivering` at restart: resent where keys are honoured, else quarantined).
 *
 * Unset (production), `crashPoint` is one comparison. The count is per thread: the apply stage runs on a
 * worker thread of its own, which loads this module again and counts its own passes; process.kill from
 * there still ends the whole process. Not a configuration setting: nothing an operator should set.
 */
export type CrashPointName = 'inbox-committed' | 'apply-committed' | 'erp-answered';

const NAMES: readonly CrashPointName[] = ['inbox-committed', 'apply-committed', 'erp-answered'];

function parse(spec: string | undefined): { point: CrashPointName; nth: number } | null {
  if (!spec) return null;
  const [name, nth] = spec.split(':');
  if (!NAMES.includes(name as CrashPointName)) {
    process.stderr.write(`crosswalk: CROSSWALK_CRASH_AT names no crash point (${NAMES.join(', ')})\n`);
    return null;
  }
  const n = nth === undefined ? 1 : Number(nth);
  return { point: name as CrashPointName, nth: Number.isInteger(n) && n > 0 ? n : 1 };
}

const armed = parse(process.env['CROSSWALK_CRASH_AT']);
let passes = 0;

/** Dies here by SIGKILL when CROSSWALK_CRASH_AT names this point and this is its nth pass. */
export function crashPoint(point: CrashPointName): void {
  if (armed === null || armed.point !== point) return;
  passes++;
  if (passes === armed.nth) process.kill(process.pid, 'SIGKILL');
}
