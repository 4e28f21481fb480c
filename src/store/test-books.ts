import { migrate } from './migrate.ts';
import type { Store } from './port.ts';

/**
 * The smallest books the journal's database rules can be tried on: one entity, an inventory and a
 * supply-expense account, and the periods given (November 2026, open, unless told otherwise).
 */
export async function seedOneEntityBooks(
  store: Store,
  periods: readonly { id: string; start: string; end: string; status: string }[] = [
    { id: '2026-11', start: '2026-11-01', end: '2026-11-30', status: 'open' },
  ],
): Promise<void> {
  await migrate(store);
  await store.executeScript(`
    INSERT INTO entities (code, name, kind, currency, npi, hl7_sending_application, hl7_facility, city, state)
      VALUES ('E1', 'Entity One', 'hospital', 'USD', '1234567893', 'EPIC', 'E1', 'Town', 'ST');
    INSERT INTO accounts (code, name, type, normal_balance) VALUES ('1300', 'Inventory', 'asset', 'debit');
    INSERT INTO accounts (code, name, type, normal_balance) VALUES ('6100', 'Supply expense', 'expense', 'debit');
    ${periods
      .map(
        (p) =>
          `INSERT INTO fiscal_periods (entity_code, id, start_date, end_date, status) VALUES ('E1', '${p.id}', '${p.start}', '${p.end}', '${p.status}');`,
      )
      .join('\n    ')}`);
}
