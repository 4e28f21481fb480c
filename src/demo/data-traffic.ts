/**
 * What a day's cases consume. Each case type lists supply "slots": a pattern over item descriptions,
 * how likely the slot is used, how many distinct matching items and how many of each. The planner
 * fills a slot only from items stocked at the care location's par location (or bill-only implants),
 * so demo usage never drives a par location below zero. Procedure codes are CPT codes (coding system
 * C4) with our own short names.
 */

import type { EntityKind } from './model.ts';

export interface Slot {
  readonly match: RegExp;
  /** Probability the slot is used at all. */
  readonly p: number;
  /** Distinct items drawn, inclusive range. */
  readonly pick: readonly [number, number];
  /** Quantity of each, base units, inclusive range. */
  readonly qty: readonly [number, number];
}

const slot = (
  match: RegExp,
  p: number,
  pick: readonly [number, number],
  qty: readonly [number, number],
): Slot => ({
  match,
  p,
  pick,
  qty,
});

export interface CaseType {
  readonly key: string;
  readonly procedureCode: string;
  readonly procedureName: string;
  readonly entityKinds: readonly EntityKind[];
  readonly room: 'operating-room' | 'procedure-room';
  readonly minutes: readonly [number, number];
  readonly surgeonSpecialties: readonly string[];
  readonly patientClass: 'I' | 'O';
  readonly hospitalService: string;
  readonly ages: readonly [number, number];
  /** Relative frequency among the case types an entity can do. */
  readonly weight: number;
  readonly slots: readonly Slot[];
}

const OR_BASICS: readonly Slot[] = [
  slot(/^GLOVE SURG/, 1, [2, 3], [2, 6]),
  slot(/^GOWN SURGICAL/, 1, [1, 1], [2, 4]),
  slot(/^(DRAPE|COVER) /, 0.9, [1, 2], [1, 2]),
  slot(/^SUTURE /, 0.9, [1, 3], [1, 3]),
  slot(/^SPONGE LAP|^GAUZE SPONGE/, 0.8, [1, 2], [1, 4]),
  slot(/^PENCIL ELECTROSURGICAL/, 0.7, [1, 1], [1, 1]),
  slot(/^APPLICATOR CHLORHEXIDINE/, 0.8, [1, 1], [1, 2]),
  slot(/^BLADE SURGICAL/, 0.6, [1, 2], [1, 2]),
];

const CATH_BASICS: readonly Slot[] = [
  slot(/^PACK HEART CATH/, 1, [1, 1], [1, 1]),
  slot(/^GLOVE SURG/, 1, [1, 2], [2, 4]),
  slot(/^SHEATH INTRODUCER/, 1, [1, 1], [1, 1]),
  slot(/^SYRINGE LUER-LOCK/, 0.8, [1, 2], [1, 3]),
  slot(/^SET PRESSURE MONITORING/, 0.7, [1, 1], [1, 1]),
  slot(/^DEVICE VASCULAR CLOSURE|^BAND RADIAL/, 0.8, [1, 1], [1, 1]),
];

export const CASE_TYPES: readonly CaseType[] = [
  {
    key: 'tka',
    procedureCode: '27447',
    procedureName: 'Total knee arthroplasty',
    entityKinds: ['hospital'],
    room: 'operating-room',
    minutes: [90, 150],
    surgeonSpecialties: ['Orthopaedic Surgery'],
    patientClass: 'I',
    hospitalService: 'ORT',
    ages: [52, 86],
    weight: 3,
    slots: [
      ...OR_BASICS,
      slot(/^PACK TOTAL JOINT/, 1, [1, 1], [1, 1]),
      slot(/^KNEE FEMORAL COMPONENT/, 1, [1, 1], [1, 1]),
      slot(/^KNEE TIBIAL BASEPLATE/, 1, [1, 1], [1, 1]),
      slot(/^KNEE TIBIAL INSERT/, 1, [1, 1], [1, 1]),
      slot(/^PATELLA COMPONENT/, 0.7, [1, 1], [1, 1]),
    ],
  },
  {
    key: 'tha',
    procedureCode: '27130',
    procedureName: 'Total hip arthroplasty',
    entityKinds: ['hospital'],
    room: 'operating-room',
    minutes: [90, 160],
    surgeonSpecialties: ['Orthopaedic Surgery'],
    patientClass: 'I',
    hospitalService: 'ORT',
    ages: [50, 88],
    weight: 2,
    slots: [
      ...OR_BASICS,
      slot(/^PACK TOTAL JOINT/, 1, [1, 1], [1, 1]),
      slot(/^HIP FEMORAL STEM/, 1, [1, 1], [1, 1]),
      slot(/^HIP ACETABULAR SHELL/, 1, [1, 1], [1, 1]),
      slot(/^HIP FEMORAL HEAD/, 1, [1, 1], [1, 1]),
      slot(/^DRAPE HIP/, 0.8, [1, 1], [1, 1]),
    ],
  },
  {
    key: 'orif',
    procedureCode: '25607',
    procedureName: 'Open fixation, distal radius fracture',
    entityKinds: ['hospital'],
    room: 'operating-room',
    minutes: [60, 120],
    surgeonSpecialties: ['Orthopaedic Surgery'],
    patientClass: 'O',
    hospitalService: 'ORT',
    ages: [18, 80],
    weight: 2,
    slots: [
      ...OR_BASICS,
      slot(/^PLATE LOCKING/, 1, [1, 1], [1, 1]),
      slot(/^SCREW (CORTICAL|LOCKING)/, 1, [3, 6], [1, 2]),
      slot(/^COVER C-ARM/, 0.9, [1, 1], [1, 1]),
    ],
  },
  {
    key: 'arthroscopy',
    procedureCode: '29881',
    procedureName: 'Knee arthroscopy with meniscectomy',
    entityKinds: ['hospital', 'ambulatory-surgery-center'],
    room: 'operating-room',
    minutes: [35, 75],
    surgeonSpecialties: ['Orthopaedic Surgery'],
    patientClass: 'O',
    hospitalService: 'ORT',
    ages: [20, 70],
    weight: 3,
    slots: [
      ...OR_BASICS,
      slot(/^DRAPE ARTHROSCOPY/, 1, [1, 1], [1, 1]),
      slot(/^BLADE ARTHROSCOPIC/, 1, [1, 1], [1, 1]),
      slot(/^WAND ABLATION/, 0.8, [1, 1], [1, 1]),
      slot(/^ANCHOR SUTURE/, 0.4, [1, 2], [1, 2]),
    ],
  },
  {
    key: 'lap-chole',
    procedureCode: '47562',
    procedureName: 'Laparoscopic cholecystectomy',
    entityKinds: ['hospital'],
    room: 'operating-room',
    minutes: [50, 110],
    surgeonSpecialties: ['General Surgery'],
    patientClass: 'O',
    hospitalService: 'SUR',
    ages: [22, 80],
    weight: 3,
    slots: [
      ...OR_BASICS,
      slot(/^TROCAR/, 1, [2, 3], [1, 1]),
      slot(/^CLIP APPLIER/, 1, [1, 1], [1, 1]),
      slot(/^BAG SPECIMEN/, 0.9, [1, 1], [1, 1]),
      slot(/^SHEARS ULTRASONIC|^SEALER\/DIVIDER/, 0.4, [1, 1], [1, 1]),
    ],
  },
  {
    key: 'hernia',
    procedureCode: '49505',
    procedureName: 'Open inguinal hernia repair',
    entityKinds: ['hospital', 'ambulatory-surgery-center'],
    room: 'operating-room',
    minutes: [45, 90],
    surgeonSpecialties: ['General Surgery'],
    patientClass: 'O',
    hospitalService: 'SUR',
    ages: [25, 85],
    weight: 2,
    slots: [...OR_BASICS, slot(/^PACK MINOR PROCEDURE/, 1, [1, 1], [1, 1])],
  },
  {
    key: 'colectomy',
    procedureCode: '44204',
    procedureName: 'Laparoscopic partial colectomy',
    entityKinds: ['hospital'],
    room: 'operating-room',
    minutes: [120, 210],
    surgeonSpecialties: ['General Surgery'],
    patientClass: 'I',
    hospitalService: 'SUR',
    ages: [40, 88],
    weight: 1,
    slots: [
      ...OR_BASICS,
      slot(/^TROCAR/, 1, [3, 3], [1, 2]),
      slot(/^STAPLER LINEAR CUTTER/, 1, [1, 1], [1, 1]),
      slot(/^RELOAD LINEAR CUTTER/, 1, [1, 2], [1, 3]),
      slot(/^SEALER\/DIVIDER|^SHEARS ULTRASONIC/, 0.9, [1, 1], [1, 1]),
      slot(/^CATHETER FOLEY/, 0.9, [1, 1], [1, 1]),
    ],
  },
  {
    key: 'cataract',
    procedureCode: '66984',
    procedureName: 'Cataract extraction with lens implant',
    entityKinds: ['ambulatory-surgery-center'],
    room: 'operating-room',
    minutes: [20, 40],
    surgeonSpecialties: ['Ophthalmology'],
    patientClass: 'O',
    hospitalService: 'OPH',
    ages: [55, 92],
    weight: 6,
    slots: [
      slot(/^PACK CATARACT/, 1, [1, 1], [1, 1]),
      slot(/^IOL /, 1, [1, 1], [1, 1]),
      slot(/^PACK PHACO/, 1, [1, 1], [1, 1]),
      slot(/^KNIFE OPHTHALMIC/, 0.9, [1, 1], [1, 1]),
      slot(/^DRAPE OPHTHALMIC/, 0.9, [1, 1], [1, 1]),
      slot(/^GLOVE SURG/, 1, [1, 1], [2, 2]),
    ],
  },
  {
    key: 'pci',
    procedureCode: '92928',
    procedureName: 'Percutaneous coronary stent placement',
    entityKinds: ['hospital'],
    room: 'procedure-room',
    minutes: [60, 120],
    surgeonSpecialties: ['Interventional Cardiology'],
    patientClass: 'O',
    hospitalService: 'CAR',
    ages: [42, 88],
    weight: 3,
    slots: [
      ...CATH_BASICS,
      slot(/^GUIDEWIRE CORONARY/, 1, [1, 2], [1, 1]),
      slot(/^CATHETER GUIDE/, 1, [1, 1], [1, 1]),
      slot(/^BALLOON PTCA/, 1, [1, 2], [1, 1]),
      slot(/^STENT CORONARY/, 1, [1, 2], [1, 1]),
    ],
  },
  {
    key: 'diagnostic-cath',
    procedureCode: '93458',
    procedureName: 'Left heart catheterization with angiography',
    entityKinds: ['hospital'],
    room: 'procedure-room',
    minutes: [30, 60],
    surgeonSpecialties: ['Interventional Cardiology'],
    patientClass: 'O',
    hospitalService: 'CAR',
    ages: [40, 88],
    weight: 3,
    slots: [
      ...CATH_BASICS,
      slot(/^CATHETER DIAGNOSTIC/, 1, [2, 2], [1, 1]),
      slot(/^GUIDEWIRE J-TIP/, 1, [1, 1], [1, 1]),
    ],
  },
  {
    key: 'pacemaker',
    procedureCode: '33208',
    procedureName: 'Dual chamber pacemaker insertion',
    entityKinds: ['hospital'],
    room: 'procedure-room',
    minutes: [60, 110],
    surgeonSpecialties: ['Cardiac Electrophysiology'],
    patientClass: 'O',
    hospitalService: 'CAR',
    ages: [60, 94],
    weight: 1,
    slots: [
      slot(/^GLOVE SURG/, 1, [1, 2], [2, 4]),
      slot(/^PACEMAKER (DUAL|SINGLE)/, 1, [1, 1], [1, 1]),
      slot(/^LEAD PACING/, 1, [1, 2], [1, 1]),
      slot(/^SUTURE /, 0.9, [1, 2], [1, 2]),
      slot(/^DRAPE /, 0.8, [1, 1], [1, 1]),
    ],
  },
];

export const ED_SLOTS: readonly Slot[] = [
  slot(/^GLOVE EXAM/, 1, [1, 2], [2, 10]),
  slot(/^CATHETER IV SAFETY/, 0.6, [1, 1], [1, 2]),
  slot(/^SET IV ADMIN PRIMARY/, 0.5, [1, 1], [1, 1]),
  slot(/^SYRINGE LUER-LOCK/, 0.6, [1, 2], [1, 3]),
  slot(/^ELECTRODE ECG/, 0.4, [1, 1], [3, 5]),
  slot(/^PAD ALCOHOL PREP/, 0.7, [1, 1], [1, 4]),
  slot(/^GAUZE SPONGE/, 0.4, [1, 1], [1, 4]),
  slot(/^TAPE SURGICAL/, 0.3, [1, 1], [1, 1]),
  slot(/^SUTURE NYLON/, 0.15, [1, 1], [1, 2]),
  slot(/^CATHETER FOLEY/, 0.08, [1, 1], [1, 1]),
];

export const INPATIENT_SLOTS: readonly Slot[] = [
  slot(/^GLOVE EXAM/, 1, [1, 2], [4, 20]),
  slot(/^SET (IV|INFUSION PUMP)/, 0.7, [1, 2], [1, 2]),
  slot(/^CONNECTOR IV|^SET IV EXTENSION/, 0.5, [1, 1], [1, 3]),
  slot(/^SYRINGE LUER-LOCK/, 0.8, [1, 2], [2, 6]),
  slot(/^DRESSING /, 0.5, [1, 2], [1, 3]),
  slot(/^CATHETER FOLEY/, 0.2, [1, 1], [1, 1]),
  slot(/^UNDERPAD/, 0.5, [1, 1], [2, 6]),
  slot(/^KIT (CENTRAL VENOUS|ARTERIAL LINE)/, 0.25, [1, 1], [1, 1]),
  slot(/^TUBE ENDOTRACHEAL/, 0.1, [1, 1], [1, 1]),
  slot(/^SENSOR PULSE OXIMETRY/, 0.3, [1, 1], [1, 1]),
];

/** The supplies in the benchmark DFT^P03 batch: ordinary, stocked, never implants. */
export const BENCH_SLOT = /^(GLOVE|GOWN|DRAPE|SUTURE|SPONGE|GAUZE|SYRINGE|CATHETER|SET IV|TAPE)/;
