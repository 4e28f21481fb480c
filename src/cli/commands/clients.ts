import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { CrosswalkError } from '../../errors/index.ts';
import {
  disableClient,
  listClients,
  registerClient,
  type SmartClient,
} from '../../store/smart-repository.ts';
import { actingAs } from '../acting.ts';
import { emit, table } from '../output.ts';
import { withSettings } from '../settings-flags.ts';
import { withMigratedStore } from './release.ts';

/**
 * `crosswalk clients register | list | disable`: the SMART Backend Services system clients allowed to
 * use /fhir. A client is its public JWKS (the private key never comes near Crosswalk), the scopes it may
 * ask for and the roles it acts with. Each change is audited as users.manage.
 */

function view(c: SmartClient) {
  return {
    clientId: c.clientId,
    name: c.name,
    scopes: c.scopes,
    roles: c.roles,
    kids: c.jwks.keys.map((k) => k.kid),
    registeredBy: c.registeredBy,
    registeredAt: c.registeredAt,
    disabledAt: c.disabledAt,
    disabledBy: c.disabledBy,
  };
}

function readJwks(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new CrosswalkError('CW_ERR_CLI_INPUT', {
      path,
      reason: (e as NodeJS.ErrnoException).code ?? 'unreadable',
    });
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new CrosswalkError('CW_ERR_CLI_INPUT', { path, reason: 'not JSON' });
  }
}

export function clientsCommand(program: Command): void {
  const clients = program
    .command('clients')
    .description('SMART Backend Services system clients of /fhir: register, list, disable');

  withSettings(
    clients
      .command('register')
      .description('register a system client by its public JWKS and the scopes it may ask for')
      .argument('<id>', 'the client id (the iss and sub of its assertions)')
      .requiredOption(
        '--jwks <file>',
        'its public keys as a JWKS JSON file ({"keys": [...]}, each with a kid)',
      )
      .requiredOption(
        '--scopes <list>',
        'space-separated SMART system scopes, e.g. "system/*.read system/SupplyDelivery.write"',
      )
      .option('--name <text>', 'a description of the client')
      .option('--roles <list>', 'space-separated roles it acts with', 'service')
      .option('--as <name>', "who registers it (must be the token's user)")
      .option('--json', 'print JSON'),
  ).action(async (id: string, opts: Record<string, unknown>) => {
    const jwks = readJwks(String(opts['jwks']));
    await withMigratedStore(opts, async (store) => {
      const actor = (await actingAs(store, opts, 'users.manage')).subject;
      const c = await registerClient(store, {
        clientId: id,
        name: typeof opts['name'] === 'string' ? opts['name'] : null,
        jwks,
        scopes: String(opts['scopes']),
        roles: String(opts['roles'])
          .split(/\s+/)
          .filter((r) => r !== ''),
        actor,
      });
      emit(
        Boolean(opts['json']),
        view(c),
        () => `registered system client ${c.clientId} (scopes ${c.scopes}; roles ${c.roles.join(' ')})`,
      );
    });
  });

  withSettings(
    clients.command('list').description('every registered system client').option('--json', 'print JSON'),
  ).action(async (opts: Record<string, unknown>) => {
    await withMigratedStore(opts, async (store) => {
      await actingAs(store, opts, 'users.manage');
      const all = (await listClients(store)).map(view);
      emit(Boolean(opts['json']), all, () =>
        all.length === 0
          ? 'no system clients'
          : table([
              ['CLIENT', 'STATE', 'ROLES', 'KEYS', 'SCOPES'],
              ...all.map((c) => [
                c.clientId,
                c.disabledAt ? `disabled ${c.disabledAt}` : 'active',
                c.roles.join(' '),
                c.kids.join(' '),
                c.scopes,
              ]),
            ]),
      );
    });
  });

  withSettings(
    clients
      .command('disable')
      .description('disable a system client: no new tokens, and its live tokens stop working')
      .argument('<id>', 'the client id')
      .option('--as <name>', "who disables it (must be the token's user)")
      .option('--json', 'print JSON'),
  ).action(async (id: string, opts: Record<string, unknown>) => {
    await withMigratedStore(opts, async (store) => {
      const actor = (await actingAs(store, opts, 'users.manage')).subject;
      const c = await disableClient(store, id, actor);
      emit(Boolean(opts['json']), view(c), () => `system client ${c.clientId} disabled (${c.disabledAt})`);
    });
  });
}
