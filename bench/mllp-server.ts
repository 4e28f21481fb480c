/**
 * The listener side of `mllp.bench.ts`, run as a child process so that server and client do not share
 * an event loop (as in production, where the sender is another machine). Started with the name of the
 * implementation; answers every message with the same small ACK; tells its port to the parent over IPC
 * and exits when told to stop.
 *
 *   crosswalk         our listener, handler returns a fixed reply (transport only)
 *   crosswalk-parse   our listener, handler also parses the message with @medplum/core, to match the
 *                     work the Medplum listener does for every message
 *   medplum           @medplum/hl7 Hl7Server (parses every message, replies with a fixed Hl7Message)
 */
import type { AddressInfo } from 'node:net';
import { Hl7Message } from '@medplum/core';
import { Hl7Server } from '@medplum/hl7';
import { createMllpListener } from '../src/mllp/index.ts';

export const ACK_TEXT =
  'MSH|^~\\&|CROSSWALK|ERP|EPIC|HOSP|20240101120000||ACK^P03|ACK00001|P|2.5.1\rMSA|AA|MSG00001\r';

type Impl = 'crosswalk' | 'crosswalk-parse' | 'medplum';

async function start(impl: Impl): Promise<{ port: number; stop: () => Promise<void> }> {
  if (impl === 'medplum') {
    const ack = Hl7Message.parse(ACK_TEXT);
    const server = new Hl7Server((connection) => {
      connection.addEventListener('message', () => connection.send(ack));
    });
    server.start(0);
    const net = server.server!;
    if (!net.listening) await new Promise<void>((r) => net.once('listening', () => r()));
    return {
      port: (net.address() as AddressInfo).port,
      stop: () => server.stop({ forceDrainTimeoutMs: 1000 }),
    };
  }
  const reply = Buffer.from(ACK_TEXT, 'latin1');
  const parse = impl === 'crosswalk-parse';
  const listener = createMllpListener({
    port: 0,
    interfaceName: 'bench',
    maxInFlightPerConnection: 128,
    onMessage: (payload) => {
      if (parse) Hl7Message.parse(payload.toString('utf8'));
      return reply;
    },
  });
  const { port } = await listener.listen();
  return { port, stop: () => listener.close({ graceful: false }) };
}

const impl = process.argv[2] as Impl;
if (!['crosswalk', 'crosswalk-parse', 'medplum'].includes(impl)) {
  console.error(`mllp-server: unknown implementation ${impl}`);
  process.exit(2);
}
const server = await start(impl);
process.on('message', (m: unknown) => {
  if (m === 'stop') void server.stop().finally(() => process.exit(0));
});
process.send?.({ port: server.port });
