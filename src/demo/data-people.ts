/**
 * Name parts, specialties and job codes for synthetic people. Names are common given and family names
 * combined at random; any resemblance to a real person is the coincidence of common names. Two family
 * names carry an apostrophe and a hyphen, and one given name a space, so that feeds exercise escaping
 * and parsing of names that real systems meet every day.
 */

import type { JobCode, PractitionerKind } from './model.ts';

/** Whitespace-separated words; an underscore stands for a space inside one entry. */
function words(text: string): string[] {
  return text
    .trim()
    .split(/\s+/)
    .map((w) => w.replace(/_/g, ' '));
}

export const GIVEN_NAMES_F: readonly string[] = words(`
  Abigail Adriana Alicia Amara Andrea Angela Anita Beatriz Brianna Camila Carmen Caroline Chloe Claire
  Daniela Denise Diana Elena Emily Erin Fatima Gabriela Grace Hannah Imani Isabel Jasmine Jessica
  Joanna Julia Karen Katherine Laura Leah Lena Linda Lucia Maya Megan Mei Monica Nadia Naomi Natalie
  Nicole Olivia Patricia Priya Rachel Rebecca Rosa Ruth Samantha Sandra Sara Sofia Stephanie Tamara
  Teresa Valerie Vanessa Victoria Wendy Yasmin Zoe Mary_Beth
`);

export const GIVEN_NAMES_M: readonly string[] = words(`
  Aaron Adam Ahmed Alan Andre Andrew Anthony Arjun Benjamin Brandon Brian Caleb Carlos Charles
  Christopher Daniel David Derek Diego Dylan Edward Eric Ethan Felix Frank Gabriel George Gregory
  Hassan Henry Isaac Jack Jacob James Jason Javier Jeffrey Jonathan Jorge Joseph Joshua Kenji Kevin
  Lamar Lucas Luis Marcus Mark Matthew Michael Nathan Nicholas Omar Patrick Paul Peter Rafael Raymond
  Richard Robert Samuel Scott Sean Steven Thomas Timothy Victor Vikram William Xavier
`);

export const FAMILY_NAMES: readonly string[] = words(`
  Abbott Acosta Adeyemi Aguilar Ahmed Alvarez Anderson Bailey Baker Banerjee Barnes Bell Bennett
  Brooks Bryant Butler Campbell Carter Castillo Chavez Chen Clark Coleman Collins Cook Cooper Cruz
  Daniels Davis Diaz Dixon Edwards Ellis Evans Fischer Fisher Flores Foster Garcia Gibson Gomez
  Gonzalez Gordon Graham Gray Green Griffin Gupta Hall Hamilton Harris Hayes Henderson Hernandez
  Hughes Hunt Ibrahim Jackson James Jenkins Jensen Johnson Jones Kang Kelly Kennedy Khan Kim King
  Kowalski Kumar Lee Lewis Lin Long Lopez Marshall Martin Martinez Mason Meyer Mitchell Moore Morales
  Morgan Murphy Myers Nakamura Nguyen Novak Okafor O'Connor Ortiz Owens Park Patel Perez Perry
  Peterson Phillips Powell Price Ramirez Reed Reyes Richardson Rivera Roberts Robinson Rodriguez
  Rogers Ross Russell Sanchez Sanders Santos Schmidt Scott Shah Simmons Singh Smith-Alvarez Stewart
  Sullivan Tanaka Taylor Thomas Thompson Torres Tran Turner Vasquez Walker Wallace Wang Ward
  Washington Watson White Williams Wilson Wong Wood Wright Yamamoto Young Zhang
`);

export interface PractitionerSpec {
  readonly specialty: string;
  readonly kind: PractitionerKind;
  readonly credential: string;
  readonly count: number;
  /** Of `count`, how many are community (non-employed) practitioners with no employee record. */
  readonly community: number;
  /** Department key whose cost center employs them, per entity kind preference. */
  readonly departmentKey: string;
  /** Entity codes they practise at, first is primary. */
  readonly entities: readonly string[];
  readonly jobCode: string;
}

export const PRACTITIONER_SPECS: readonly PractitionerSpec[] = [
  {
    specialty: 'Orthopaedic Surgery',
    kind: 'physician',
    credential: 'MD',
    count: 8,
    community: 3,
    departmentKey: 'SURG',
    entities: ['HRMC', 'WCCH', 'HRSC'],
    jobCode: '1010',
  },
  {
    specialty: 'General Surgery',
    kind: 'physician',
    credential: 'MD',
    count: 8,
    community: 2,
    departmentKey: 'SURG',
    entities: ['HRMC', 'WCCH'],
    jobCode: '1010',
  },
  {
    specialty: 'Interventional Cardiology',
    kind: 'physician',
    credential: 'MD',
    count: 5,
    community: 1,
    departmentKey: 'CATH',
    entities: ['HRMC'],
    jobCode: '1010',
  },
  {
    specialty: 'Cardiac Electrophysiology',
    kind: 'physician',
    credential: 'MD',
    count: 2,
    community: 0,
    departmentKey: 'CATH',
    entities: ['HRMC'],
    jobCode: '1010',
  },
  {
    specialty: 'Ophthalmology',
    kind: 'physician',
    credential: 'MD',
    count: 5,
    community: 3,
    departmentKey: 'SURG',
    entities: ['HRSC'],
    jobCode: '1010',
  },
  {
    specialty: 'Anesthesiology',
    kind: 'physician',
    credential: 'MD',
    count: 8,
    community: 0,
    departmentKey: 'SURG',
    entities: ['HRMC', 'WCCH', 'HRSC'],
    jobCode: '1010',
  },
  {
    specialty: 'Emergency Medicine',
    kind: 'physician',
    credential: 'DO',
    count: 8,
    community: 0,
    departmentKey: 'ED',
    entities: ['HRMC', 'WCCH'],
    jobCode: '1010',
  },
  {
    specialty: 'Hospital Medicine',
    kind: 'physician',
    credential: 'MD',
    count: 8,
    community: 1,
    departmentKey: 'MS',
    entities: ['HRMC', 'WCCH'],
    jobCode: '1010',
  },
  {
    specialty: 'Critical Care Medicine',
    kind: 'physician',
    credential: 'MD',
    count: 3,
    community: 0,
    departmentKey: 'ICU',
    entities: ['HRMC', 'WCCH'],
    jobCode: '1010',
  },
  {
    specialty: 'Nurse Anesthesia',
    kind: 'crna',
    credential: 'CRNA',
    count: 6,
    community: 0,
    departmentKey: 'SURG',
    entities: ['HRMC', 'WCCH', 'HRSC'],
    jobCode: '1020',
  },
  {
    specialty: 'Acute Care Nurse Practitioner',
    kind: 'nurse-practitioner',
    credential: 'NP',
    count: 5,
    community: 0,
    departmentKey: 'ICU',
    entities: ['HRMC', 'WCCH'],
    jobCode: '1030',
  },
  {
    specialty: 'Surgical Physician Assistant',
    kind: 'physician-assistant',
    credential: 'PA-C',
    count: 4,
    community: 0,
    departmentKey: 'SURG',
    entities: ['HRMC', 'WCCH'],
    jobCode: '1040',
  },
];

export const JOB_CODES: readonly JobCode[] = [
  { code: '1010', title: 'Physician - Employed', laborCategory: 'physician' },
  { code: '1020', title: 'Certified Registered Nurse Anesthetist', laborCategory: 'advanced-practice' },
  { code: '1030', title: 'Nurse Practitioner', laborCategory: 'advanced-practice' },
  { code: '1040', title: 'Physician Assistant', laborCategory: 'advanced-practice' },
  { code: '2010', title: 'Registered Nurse', laborCategory: 'nursing' },
  { code: '2020', title: 'Registered Nurse - Perioperative', laborCategory: 'nursing' },
  { code: '2030', title: 'Licensed Practical Nurse', laborCategory: 'nursing' },
  { code: '2040', title: 'Patient Care Technician', laborCategory: 'nursing' },
  { code: '3010', title: 'Surgical Technologist', laborCategory: 'technical' },
  { code: '3020', title: 'Cardiovascular Technologist', laborCategory: 'technical' },
  { code: '3030', title: 'Sterile Processing Technician', laborCategory: 'technical' },
  { code: '4010', title: 'Pharmacist', laborCategory: 'pharmacy' },
  { code: '4020', title: 'Pharmacy Technician', laborCategory: 'pharmacy' },
  { code: '5010', title: 'Materials Handler', laborCategory: 'support' },
  { code: '5020', title: 'Buyer - Supply Chain', laborCategory: 'support' },
  { code: '5030', title: 'Unit Secretary', laborCategory: 'support' },
];

/** Hourly base rate range in cents per job code. */
export const HOURLY_RATE_CENTS: Readonly<Record<string, readonly [number, number]>> = {
  '1010': [12500, 24000],
  '1020': [8800, 11500],
  '1030': [6200, 8200],
  '1040': [5900, 7800],
  '2010': [3900, 5600],
  '2020': [4300, 6100],
  '2030': [2600, 3300],
  '2040': [1800, 2300],
  '3010': [2500, 3400],
  '3020': [3000, 4200],
  '3030': [2000, 2700],
  '4010': [6200, 7600],
  '4020': [1900, 2500],
  '5010': [1800, 2300],
  '5020': [2800, 3800],
  '5030': [1700, 2200],
};

/**
 * Staff without an NPI in the EHR's provider file, per entity: [job code, department key, count].
 * Department keys that an entity lacks are skipped.
 */
export const STAFF_PLAN: Readonly<Record<string, readonly (readonly [string, string, number])[]>> = {
  HRMC: [
    ['2010', 'ED', 14],
    ['2010', 'ICU', 14],
    ['2010', 'MS4W', 12],
    ['2010', 'MS5E', 12],
    ['2020', 'SURG', 16],
    ['2020', 'PACU', 8],
    ['2020', 'CATH', 5],
    ['2030', 'MS4W', 3],
    ['2040', 'MS5E', 5],
    ['2040', 'ED', 4],
    ['3010', 'SURG', 12],
    ['3020', 'CATH', 6],
    ['3030', 'SPD', 10],
    ['4010', 'PHARM', 6],
    ['4020', 'PHARM', 7],
    ['5010', 'MM', 8],
    ['5020', 'MM', 3],
    ['5030', 'MS4W', 2],
    ['5030', 'ICU', 2],
  ],
  WCCH: [
    ['2010', 'ED', 8],
    ['2010', 'ICU', 6],
    ['2010', 'MS3N', 9],
    ['2020', 'SURG', 7],
    ['2020', 'PACU', 4],
    ['2040', 'MS3N', 3],
    ['3010', 'SURG', 5],
    ['3030', 'SPD', 4],
    ['4010', 'PHARM', 3],
    ['4020', 'PHARM', 3],
    ['5010', 'MM', 4],
    ['5020', 'MM', 1],
  ],
  HRSC: [
    ['2020', 'SURG', 6],
    ['2020', 'PACU', 5],
    ['3010', 'SURG', 5],
    ['3030', 'SPD', 3],
    ['4020', 'PHARM', 1],
    ['5010', 'MM', 2],
  ],
};

/** US street names and towns for synthetic patient addresses (traffic). */
export const STREETS: readonly string[] = words(`
  Maple_Ave Oak_St Cedar_Ln Elm_St Lakeview_Dr Hillcrest_Rd River_Rd Birch_Ct Willow_Way Sunset_Blvd
  Park_Pl Meadow_Ln Harbor_View_Dr Orchard_St Ridge_Rd
`);
export const TOWNS: readonly (readonly [town: string, zip: string])[] = [
  ['Harbor Ridge', '44901'],
  ['Willow Creek', '44903'],
  ['Eastbrook', '44905'],
  ['Millbrook', '44907'],
  ['Fairhaven', '44909'],
  ['Stonebridge', '44911'],
];
