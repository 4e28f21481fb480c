import { readdirSync, readFileSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { CrosswalkError } from '../../errors/index.ts';
import { parseBatch, parseMessage, readHeader } from '../../hl7v2/index.ts';
import { cliIo, exitWithFailure } from '../io.ts';
import { emit, table } from '../output.ts';
import { sendExpectingNoAck, sendReliably } from '../sender.ts';

function filesUnder(path: string): string[] {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(path);
  } catch (e) {
    throw new CrosswalkError('CW_ERR_CLI_INPUT', {
      path,
      reason: (e as NodeJS.ErrnoException).code ?? 'unreadable',
    });
  }
  if (st.isFile()) return [path];
  if (!st.isDirectory())
    throw new CrosswalkError('CW_ERR_CLI_INPUT', { path, reason: 'not a file or folder' });
  return readdirSync(path)
    .filter((n) => !n.startsWith('.'))
    .sort()
    .flatMap((n) => filesUnder(join(path, n)));
}

/** The messages in a file: batches and runs of messages are split on segment boundaries only. */
export function messagesIn(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (const item of parseBatch(bytes).items) {
    if (item.kind === 'message') out.push(item.message.encode());
    // A message that does not parse is still sent as it is: the receiver decides, and answers AR.
    else if (item.kind === 'failed') out.push(item.bytes);
  }
  return out;
}

/** Consecutive payloads grouped by whether the receiver is asked for no commit ACK on success. */
export function runsByAckRequest(payloads: readonly Buffer[]): { noAck: boolean; payloads: Buffer[] }[] {
  const runs: { noAck: boolean; payloads: Buffer[] }[] = [];
  for (const p of payloads) {
    let noAck = false;
    try {
      const h = readHeader(p, { requireFields: false });
      noAck = h.acceptAckType === 'NE' || h.acceptAckType === 'ER';
    } catch {
      // Unreadable: sent like any other; the receiver answers AR.
    }
    const last = runs.at(-1);
    if (last && last.noAck === noAck) last.payloads.push(p);
    else runs.push({ noAck, payloads: [p] });
  }
  return runs;
}

function parseTarget(to: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(to);
  const port = m ? Number(m[3]) : Number.NaN;
  if (!m || port < 1 || port > 65535) {
    throw new CrosswalkError('CW_ERR_CLI_USAGE', { reason: `--to must be HOST:PORT, got "${to}"` });
  }
  return { host: (m[1] ?? m[2])!, port };
}

function positive(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new CrosswalkError('CW_ERR_CLI_USAGE', { reason: `${name} must be a whole number ≥ 0` });
  return n;
}

function ackCode(reply: Buffer): string {
  try {
    return parseMessage(reply).get('MSA-1') || '??';
  } catch {
    return '??';
  }
}

export function sendCommand(program: Command): void {
  program
    .command('send')
    .description('send HL7 v2 files (or every file in a folder) over MLLP and report the ACK codes')
    .argument(
      '<paths...>',
      'files or folders of HL7 v2 messages (single messages, runs of messages, batch files)',
    )
    .requiredOption('--to <host:port>', 'the MLLP listener to send to')
    .option('--window <n>', 'messages kept in flight', '10')
    .option('--timeout-ms <ms>', 'how long to wait for each ACK', '30000')
    .option(
      '--retry-for-ms <ms>',
      'on a lost connection, reconnect and resend what got no ACK for this long',
      '0',
    )
    .option('--tls', "connect with TLS, trusting the system's CAs (or --ca)")
    .option('--ca <file>', 'connect with TLS, trusting this CA certificate (PEM); same as --tls-ca')
    .option('--tls-ca <file>', 'connect with TLS, trusting this CA certificate (PEM)')
    .option('--tls-cert <file>', 'client certificate (PEM) for mutual TLS')
    .option('--tls-key <file>', 'client private key (PEM) for mutual TLS')
    .option(
      '--error-wait-ms <ms>',
      'for messages whose MSH-15 asks for no ACK (NE, ER): how long to wait for an error reply',
      '2000',
    )
    .option('--json', 'print JSON')
    .action(async (paths: string[], opts: Record<string, string | boolean>) => {
      const { host, port } = parseTarget(String(opts['to']));
      const pem = (flag: string): Buffer | undefined => {
        const file = opts[flag];
        if (typeof file !== 'string') return undefined;
        try {
          return readFileSync(file);
        } catch (e) {
          throw new CrosswalkError('CW_ERR_CLI_INPUT', {
            path: file,
            reason: (e as NodeJS.ErrnoException).code ?? 'unreadable',
          });
        }
      };
      const [ca, cert, key] = [pem('ca') ?? pem('tlsCa'), pem('tlsCert'), pem('tlsKey')];
      const tls =
        opts['tls'] === true || ca || cert || key
          ? {
              ...(ca ? { ca } : {}),
              ...(cert ? { cert } : {}),
              ...(key ? { key } : {}),
              ...(isIP(host) ? {} : { servername: host }),
            }
          : undefined;
      const window = Math.max(1, positive('--window', String(opts['window'])));
      const timeoutMs = Math.max(1, positive('--timeout-ms', String(opts['timeoutMs'])));
      const retryForMs = positive('--retry-for-ms', String(opts['retryForMs']));
      const noAckGraceMs = positive('--error-wait-ms', String(opts['errorWaitMs']));
      const payloads: Buffer[] = [];
      for (const file of paths.flatMap(filesUnder)) payloads.push(...messagesIn(readFileSync(file)));
      if (payloads.length === 0)
        throw new CrosswalkError('CW_ERR_CLI_INPUT', {
          path: paths.join(' '),
          reason: 'no HL7 v2 messages found',
        });

      const showBar = cliIo().stderr.isTTY && !opts['json'];
      const bar = new SingleBar({
        format: 'sending [{bar}] {value}/{total} {codes}',
        hideCursor: true,
        stream: cliIo().stderr as NodeJS.WritableStream,
      });
      const codes = new Map<string, number>();
      const codeText = () => [...codes].map(([c, n]) => `${c}:${n}`).join(' ');
      if (showBar) bar.start(payloads.length, 0, { codes: '' });
      let done = 0;
      // Messages whose MSH-15 asks for no commit ACK on success go one by one (see sendExpectingNoAck);
      // the others are pipelined. Runs keep the file's order, which the receiver applies in.
      const started = performance.now();
      let connections = 0;
      let noReply = 0;
      let notRequested = 0;
      const count = (reply: Buffer) => {
        const c = ackCode(reply);
        codes.set(c, (codes.get(c) ?? 0) + 1);
      };
      try {
        for (const run of runsByAckRequest(payloads)) {
          if (run.noAck) {
            for (const p of run.payloads) {
              const reply = await sendExpectingNoAck(p, {
                host,
                port,
                ...(tls ? { tls } : {}),
                graceMs: noAckGraceMs,
              });
              connections++;
              if (reply) count(reply);
              else notRequested++;
              if (showBar) bar.update(++done, { codes: codeText() });
            }
            continue;
          }
          const result = await sendReliably(run.payloads, {
            host,
            port,
            ...(tls ? { tls } : {}),
            window,
            timeoutMs,
            retryForMs,
            onReply: (_i, reply) => {
              count(reply);
              if (showBar) bar.update(++done, { codes: codeText() });
            },
            onReconnect: (attempt, error) => {
              if (!opts['json'])
                cliIo().stderr.write(
                  `\nconnection lost (${error.message}); reconnecting, attempt ${attempt}\n`,
                );
            },
          });
          connections += result.connections;
          noReply += result.replies.filter((r) => r === null).length;
        }
      } finally {
        if (showBar) bar.stop();
      }
      const result = { connections, elapsedMs: performance.now() - started };
      const summary = {
        to: `${host}:${port}`,
        messages: payloads.length,
        acks: Object.fromEntries(codes),
        noReply,
        noAckRequested: notRequested,
        connections: result.connections,
        elapsedMs: Math.round(result.elapsedMs),
      };
      emit(Boolean(opts['json']), summary, () =>
        [
          `sent ${payloads.length} message(s) to ${summary.to} in ${summary.elapsedMs} ms`,
          table([
            ...[...codes].map(([c, n]) => [`  ${c}`, String(n)]),
            ...(noReply > 0 ? [['  no ACK', String(noReply)]] : []),
            ...(notRequested > 0 ? [['  none asked for (MSH-15 NE/ER)', String(notRequested)]] : []),
          ]),
        ].join('\n'),
      );
      const positiveOnly = [...codes.keys()].every((c) => c === 'AA' || c === 'CA');
      if (!positiveOnly || noReply > 0) exitWithFailure();
    });
}
