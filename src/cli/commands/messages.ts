import type { Command } from 'commander';
import { CrosswalkError } from '../../errors/index.ts';
import { type Hl7Message, parseMessage } from '../../hl7v2/index.ts';
import { InboxRepository } from '../../store/inbox-repository.ts';
import { openStore, type Store } from '../../store/index.ts';
import { emit, table } from '../output.ts';
import { configFrom, withSettings } from '../settings-flags.ts';

async function withStore<T>(opts: Record<string, unknown>, fn: (store: Store) => Promise<T>): Promise<T> {
  const config = configFrom(opts);
  const store = await openStore(config.databaseUrl, { poolMax: 2 });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

export interface FieldLine {
  /** 1-based, as the spec writes it: PID-5.1, FT1-7.2, PID-3[2].1 */
  readonly position: string;
  readonly value: string;
}

/** The parsed tree as position = value lines, down to subcomponents; empty positions are left out. */
export function fieldLines(message: Hl7Message): { segment: string; fields: FieldLine[] }[] {
  const out: { segment: string; fields: FieldLine[] }[] = [];
  const counts = new Map<string, number>();
  const d = message.delimiters;
  for (const seg of message.segments) {
    const n = (counts.get(seg.name) ?? 0) + 1;
    counts.set(seg.name, n);
    const name = n > 1 ? `${seg.name}[${n}]` : seg.name;
    const fields: FieldLine[] = [];
    const occurrence = n;
    for (let f = 1; f <= seg.fieldCount; f++) {
      const raw = message.getRaw(`${seg.name}-${f}`, occurrence);
      if (raw === '') continue;
      if (seg.name === 'MSH' && f <= 2) {
        fields.push({ position: `${name}-${f}`, value: raw });
        continue;
      }
      const reps = d.repetition === '' ? [raw] : raw.split(d.repetition);
      reps.forEach((rep, r) => {
        const rr = reps.length > 1 ? `[${r + 1}]` : '';
        const comps = d.component === '' ? [rep] : rep.split(d.component);
        comps.forEach((comp, c) => {
          const subs = d.subcomponent === '' ? [comp] : comp.split(d.subcomponent);
          subs.forEach((_sub, s) => {
            const path = `${seg.name}-${f}[${r + 1}].${c + 1}.${s + 1}`;
            const position = `${name}-${f}${rr}${comps.length > 1 || subs.length > 1 ? `.${c + 1}` : ''}${subs.length > 1 ? `.${s + 1}` : ''}`;
            if (message.isNull(path, occurrence)) fields.push({ position, value: '""' });
            else {
              const value = message.get(path, occurrence);
              if (value !== '') fields.push({ position, value });
            }
          });
        });
      });
    }
    out.push({ segment: name, fields });
  }
  return out;
}

export function messagesCommand(program: Command): void {
  const messages = program.command('messages').description('inspect the HL7 v2 messages in the inbox');
  withSettings(
    messages
      .command('list')
      .description('the most recent messages received, newest first')
      .option('--limit <n>', 'how many', '50')
      .option('--rejected', 'list refused messages (unparseable, conflicting) instead')
      .option('--json', 'print JSON'),
  ).action(async (opts: Record<string, unknown>) => {
    const limit = Number(opts['limit']);
    if (!Number.isSafeInteger(limit) || limit < 1)
      throw new CrosswalkError('CW_ERR_CLI_USAGE', { reason: '--limit must be a whole number ≥ 1' });
    await withStore(opts, async (store) => {
      const repo = new InboxRepository(store);
      if (opts['rejected']) {
        const rows = await repo.listRejections(limit);
        emit(Boolean(opts['json']), rows, () =>
          rows.length === 0
            ? 'no refused messages'
            : table([
                ['ID', 'RECEIVED', 'INTERFACE', 'ACK', 'REASON'],
                ...rows.map((r) => [
                  String(r.id),
                  r.receivedAt,
                  r.interfaceName,
                  r.ackCode ?? '',
                  `${r.reasonCode}: ${r.reason}`,
                ]),
              ]),
        );
        return;
      }
      const rows = await repo.list({ limit });
      emit(Boolean(opts['json']), rows, () =>
        rows.length === 0
          ? 'no messages yet'
          : table([
              ['ID', 'RECEIVED', 'INTERFACE', 'SENDER', 'TYPE', 'CONTROL ID', 'ACK', 'BYTES'],
              ...rows.map((r) => [
                String(r.id),
                r.receivedAt,
                r.interfaceName,
                r.sender,
                r.messageType,
                r.controlId,
                r.ackCode,
                String(r.sizeBytes),
              ]),
            ]),
      );
    });
  });

  withSettings(
    messages
      .command('show')
      .description('one message: its metadata and the parsed tree, field by field, with positions')
      .argument('<id>', 'the message id (from messages list)')
      .option('--raw', 'print the stored bytes as received')
      .option('--json', 'print JSON'),
  ).action(async (id: string, opts: Record<string, unknown>) => {
    if (!/^\d+$/.test(id))
      throw new CrosswalkError('CW_ERR_CLI_USAGE', { reason: `message id must be a number, got "${id}"` });
    await withStore(opts, async (store) => {
      const m = await new InboxRepository(store).get(BigInt(id));
      if (!m) throw new CrosswalkError('CW_ERR_API_NOT_FOUND', { what: 'message', id });
      if (opts['raw']) {
        process.stdout.write(m.raw);
        return;
      }
      const tree = fieldLines(parseMessage(m.raw));
      const ack = parseMessage(m.ack);
      const { raw: _raw, ack: _ack, ...meta } = m;
      emit(Boolean(opts['json']), { ...meta, ackControlId: ack.get('MSH-10'), segments: tree }, () =>
        [
          `message ${m.id}  ${m.messageType}  control id ${m.controlId}  from ${m.sender}`,
          `received ${m.receivedAt} on ${m.interfaceName}, ${m.sizeBytes} bytes, sha256 ${m.contentSha256}`,
          `acknowledged ${m.ackCode} (ACK control id ${ack.get('MSH-10')})`,
          '',
          ...tree.flatMap((s) => [
            s.segment,
            ...s.fields.map((f) => `  ${f.position.padEnd(16)} ${f.value}`),
          ]),
        ].join('\n'),
      );
    });
  });
}
