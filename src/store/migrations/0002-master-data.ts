import { appendOnly, ddlTypes } from '../ddl.ts';
import type { Migration } from '../port.ts';

/**
 * Master data of the organisation (entities, chart of accounts, cost centers, departments, locations),
 * supply chain (vendors, items, units, charge master, par levels) and workforce (practitioners,
 * employees, identity links), plus perpetual inventory: movements are the immutable record, on-hand
 * per item × par location is their running sum (with its lots, and where each serial number is). Keys are the business codes the source systems use.
 */
export const m0002: Migration = {
  id: 2,
  name: 'master data and perpetual inventory',
  up: (d) => {
    const t = ddlTypes(d);
    return `
      CREATE TABLE entities (
        code ${t.text} PRIMARY KEY,
        name ${t.text} NOT NULL,
        kind ${t.text} NOT NULL,
        currency ${t.text} NOT NULL,
        npi ${t.text} NOT NULL,
        hl7_sending_application ${t.text} NOT NULL,
        hl7_facility ${t.text} NOT NULL UNIQUE,
        city ${t.text} NOT NULL,
        state ${t.text} NOT NULL
      );
      CREATE TABLE accounts (
        code ${t.text} PRIMARY KEY,
        name ${t.text} NOT NULL,
        type ${t.text} NOT NULL CHECK (type IN ('asset','liability','equity','revenue','expense')),
        normal_balance ${t.text} NOT NULL CHECK (normal_balance IN ('debit','credit')),
        role ${t.text},
        revenue_code_family ${t.text},
        counterparty_entity_code ${t.text} REFERENCES entities(code)
      );
      CREATE TABLE intercompany_relationships (
        code ${t.text} PRIMARY KEY,
        entity_code ${t.text} NOT NULL REFERENCES entities(code),
        counterparty_entity_code ${t.text} NOT NULL REFERENCES entities(code),
        purpose ${t.text} NOT NULL,
        due_from_account_code ${t.text} NOT NULL REFERENCES accounts(code),
        due_to_account_code ${t.text} NOT NULL REFERENCES accounts(code)
      );
      CREATE TABLE cost_centers (
        code ${t.text} PRIMARY KEY,
        entity_code ${t.text} NOT NULL REFERENCES entities(code),
        number ${t.text} NOT NULL,
        name ${t.text} NOT NULL,
        UNIQUE (entity_code, number)
      );
      CREATE TABLE departments (
        code ${t.text} PRIMARY KEY,
        entity_code ${t.text} NOT NULL REFERENCES entities(code),
        name ${t.text} NOT NULL,
        kind ${t.text} NOT NULL,
        cost_center_code ${t.text} NOT NULL REFERENCES cost_centers(code),
        ehr_department_code ${t.text} NOT NULL
      );
      CREATE TABLE par_locations (
        code ${t.text} PRIMARY KEY,
        entity_code ${t.text} NOT NULL REFERENCES entities(code),
        name ${t.text} NOT NULL,
        kind ${t.text} NOT NULL,
        cost_center_code ${t.text} NOT NULL REFERENCES cost_centers(code),
        replenished_from_code ${t.text} REFERENCES par_locations(code)
      );
      CREATE TABLE care_locations (
        code ${t.text} PRIMARY KEY,
        entity_code ${t.text} NOT NULL REFERENCES entities(code),
        point_of_care ${t.text} NOT NULL,
        facility ${t.text} NOT NULL,
        name ${t.text} NOT NULL,
        kind ${t.text} NOT NULL,
        department_code ${t.text} NOT NULL REFERENCES departments(code),
        par_location_code ${t.text} NOT NULL REFERENCES par_locations(code),
        UNIQUE (facility, point_of_care)
      );
      CREATE TABLE vendors (
        code ${t.text} PRIMARY KEY,
        name ${t.text} NOT NULL,
        kind ${t.text} NOT NULL,
        payment_terms_days ${t.int} NOT NULL
      );
      CREATE TABLE items (
        code ${t.text} PRIMARY KEY,
        ehr_supply_code ${t.text} NOT NULL UNIQUE,
        description ${t.text} NOT NULL,
        category ${t.text} NOT NULL,
        manufacturer_name ${t.text} NOT NULL,
        manufacturer_catalog_number ${t.text} NOT NULL,
        vendor_code ${t.text} NOT NULL REFERENCES vendors(code),
        vendor_catalog_number ${t.text} NOT NULL,
        base_uom ${t.text} NOT NULL,
        unit_cost ${t.bigint} NOT NULL CHECK (unit_cost >= 0),
        currency ${t.text} NOT NULL,
        chargeable ${t.bool} NOT NULL,
        cdm_code ${t.text},
        implant ${t.bool} NOT NULL,
        tracking ${t.text} NOT NULL CHECK (tracking IN ('none','lot','lot-serial')),
        gtin ${t.text},
        bill_only ${t.bool} NOT NULL,
        expires ${t.bool} NOT NULL
      );
      CREATE TABLE item_uoms (
        code ${t.text} PRIMARY KEY,
        item_code ${t.text} NOT NULL REFERENCES items(code),
        uom ${t.text} NOT NULL,
        base_quantity ${t.int} NOT NULL CHECK (base_quantity > 0),
        is_base ${t.bool} NOT NULL,
        is_purchase_unit ${t.bool} NOT NULL,
        UNIQUE (item_code, uom)
      );
      CREATE TABLE charge_master (
        code ${t.text} PRIMARY KEY,
        description ${t.text} NOT NULL,
        revenue_code ${t.text} NOT NULL,
        hcpcs_code ${t.text},
        price ${t.bigint} NOT NULL CHECK (price >= 0),
        currency ${t.text} NOT NULL,
        item_code ${t.text} REFERENCES items(code)
      );
      CREATE TABLE par_levels (
        code ${t.text} PRIMARY KEY,
        par_location_code ${t.text} NOT NULL REFERENCES par_locations(code),
        item_code ${t.text} NOT NULL REFERENCES items(code),
        par_quantity ${t.bigint} NOT NULL,
        reorder_point ${t.bigint} NOT NULL,
        UNIQUE (par_location_code, item_code)
      );
      CREATE TABLE opening_stock (
        code ${t.text} PRIMARY KEY,
        par_location_code ${t.text} NOT NULL REFERENCES par_locations(code),
        item_code ${t.text} NOT NULL REFERENCES items(code),
        quantity ${t.bigint} NOT NULL,
        unit_cost ${t.bigint} NOT NULL,
        currency ${t.text} NOT NULL,
        lot_number ${t.text},
        serial_number ${t.text},
        expiry_date ${t.text}
      );
      CREATE TABLE job_codes (
        code ${t.text} PRIMARY KEY,
        title ${t.text} NOT NULL,
        labor_category ${t.text} NOT NULL
      );
      CREATE TABLE practitioners (
        code ${t.text} PRIMARY KEY,
        npi ${t.text} NOT NULL UNIQUE,
        family_name ${t.text} NOT NULL,
        given_name ${t.text} NOT NULL,
        middle_initial ${t.text},
        credential ${t.text} NOT NULL,
        kind ${t.text} NOT NULL,
        specialty ${t.text} NOT NULL,
        primary_entity_code ${t.text} NOT NULL REFERENCES entities(code)
      );
      CREATE TABLE employees (
        code ${t.text} PRIMARY KEY,
        family_name ${t.text} NOT NULL,
        given_name ${t.text} NOT NULL,
        job_code ${t.text} NOT NULL REFERENCES job_codes(code),
        entity_code ${t.text} NOT NULL REFERENCES entities(code),
        home_cost_center_code ${t.text} NOT NULL REFERENCES cost_centers(code),
        hire_date ${t.text} NOT NULL,
        termination_date ${t.text},
        hourly_rate ${t.bigint} NOT NULL,
        currency ${t.text} NOT NULL,
        fte_percent ${t.int} NOT NULL
      );
      CREATE TABLE identity_links (
        code ${t.text} PRIMARY KEY,
        practitioner_code ${t.text} NOT NULL REFERENCES practitioners(code),
        employee_code ${t.text} NOT NULL REFERENCES employees(code),
        effective_from ${t.text} NOT NULL,
        effective_to ${t.text}
      );
      CREATE TABLE inventory_movements (
        id ${t.serialPk},
        movement_key ${t.text} NOT NULL UNIQUE,
        item_code ${t.text} NOT NULL REFERENCES items(code),
        par_location_code ${t.text} NOT NULL REFERENCES par_locations(code),
        movement_type ${t.text} NOT NULL,
        quantity ${t.bigint} NOT NULL,
        value ${t.bigint} NOT NULL,
        currency ${t.text} NOT NULL,
        lot_number ${t.text},
        serial_number ${t.text},
        occurred_at ${t.text} NOT NULL,
        source_event_id ${t.text},
        recorded_at ${t.timestamp} NOT NULL DEFAULT ${t.now}
      );
      CREATE INDEX inventory_movements_item_location ON inventory_movements (item_code, par_location_code);
      CREATE INDEX inventory_movements_event ON inventory_movements (source_event_id);
      ${appendOnly(d, 'inventory_movements')}
      CREATE TABLE stock_on_hand (
        item_code ${t.text} NOT NULL REFERENCES items(code),
        par_location_code ${t.text} NOT NULL REFERENCES par_locations(code),
        quantity ${t.bigint} NOT NULL,
        value ${t.bigint} NOT NULL,
        currency ${t.text} NOT NULL,
        PRIMARY KEY (item_code, par_location_code)
      );
      CREATE TABLE stock_lots (
        item_code ${t.text} NOT NULL REFERENCES items(code),
        par_location_code ${t.text} NOT NULL REFERENCES par_locations(code),
        lot_number ${t.text} NOT NULL,
        quantity ${t.bigint} NOT NULL,
        PRIMARY KEY (item_code, par_location_code, lot_number)
      );
      CREATE TABLE stock_serials (
        item_code ${t.text} NOT NULL REFERENCES items(code),
        serial_number ${t.text} NOT NULL,
        lot_number ${t.text},
        status ${t.text} NOT NULL CHECK (status IN ('on-hand', 'in-transit', 'issued', 'wasted', 'written-off')),
        par_location_code ${t.text} NOT NULL REFERENCES par_locations(code),
        PRIMARY KEY (item_code, serial_number)
      );`;
  },
};
