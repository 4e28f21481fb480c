import type { Command } from 'commander';
import { CrosswalkError } from '../../errors/index.ts';
import { storedContent } from '../../server/messages.ts';
import { InboxRepository } from '../../store/inbox-repository.ts';
import { openStore, type Store } from '../../store/index.ts';
import { actingAs } from '../acting.ts';
import { cliIo } from '../io.ts';
import { emit, table } from '../output.ts';
import { configFrom, withSettings } from '../settings-flags.ts';

async function withStore<T>(opts: Record<string, unknown>, fn: (store: Store) => Promise<T>): Promise<T> {
  const config = configFrom(opts);
  const store = await openStore(config.databaseUrl, { poolMax: 2, rawKeyRingFile: config.rawKeyRingFile });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
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
      await actingAs(store, opts, 'messages.read');
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
      await actingAs(store, opts, 'messages.read_phi');
      const m = await new InboxRepository(store).get(BigInt(id));
      if (!m) throw new CrosswalkError('CW_ERR_API_NOT_FOUND', { what: 'message', id });
      if (opts['raw']) {
        cliIo().stdout.write(m.raw);
        return;
      }
      const content = storedContent(m.messageType, m.raw, m.ack);
      const { raw: _raw, ack: _ack, ...meta } = m;
      const head = [
        `message ${m.id}  ${m.messageType}  control id ${m.controlId}  from ${m.sender}`,
        `received ${m.receivedAt} on ${m.interfaceName}, ${m.sizeBytes} bytes, sha256 ${m.contentSha256}`,
      ];
      emit(Boolean(opts['json']), { ...meta, ...content }, () =>
        content.format === 'fhir'
          ? [
              ...head,
              `answered ${JSON.stringify(content.answer)}`,
              '',
              JSON.stringify(content.envelope, null, 2),
            ].join('\n')
          : [
              ...head,
              `acknowledged ${m.ackCode} (ACK control id ${content.ackControlId})`,
              '',
              ...content.segments.flatMap((s) => [
                s.segment,
                ...s.fields.map((f) => `  ${f.position.padEnd(16)} ${f.value}`),
              ]),
            ].join('\n'),
      );
    });
  });
}
