/**
 * Seeded generators for tests and benchmarks. Not exported from index.ts: production code never needs
 * made-up messages. Everything here is deterministic given the seed.
 */

/** mulberry32: a tiny, fast, seedable PRNG; plenty for test data. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Rng {
  int(lo: number, hi: number): number;
  pick<T>(xs: readonly T[]): T;
  digits(n: number): string;
  word(min?: number, max?: number): string;
}

export function rng(seed: number): Rng {
  const r = seededRandom(seed);
  const int = (lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
  return {
    int,
    pick: <T>(xs: readonly T[]): T => xs[int(0, xs.length - 1)]!,
    digits: (n) => {
      let s = '';
      for (let i = 0; i < n; i++) s += String(int(0, 9));
      return s;
    },
    word: (min = 3, max = 10) => {
      let s = '';
      const n = int(min, max);
      for (let i = 0; i < n; i++) s += String.fromCharCode(0x41 + int(0, 25));
      return s;
    },
  };
}

const SUPPLIES = [
  ['272', 'Sterile supply'],
  ['278', 'Implant'],
  ['250', 'Pharmacy'],
  ['270', 'Med-surg supplies'],
] as const;

/**
 * A DFT^P03 of about 1.7 KB: MSH, EVN, PID, PV1, five FT1 (supply usage with item, quantity, cost
 * center and lot), PR1, DG1, IN1 and a Z-segment. All values are synthetic.
 */
export function makeDft(seed: number): string {
  const g = rng(seed);
  const ts = `2024${String(g.int(1, 12)).padStart(2, '0')}${String(g.int(10, 28))}${g.digits(6)}`;
  const control = `CW${g.digits(10)}`;
  const segs = [
    `MSH|^~\\&|EPIC|MAINHOSP^1.2.840.114350^ISO|CROSSWALK|ERP|${ts}||DFT^P03^DFT_P03|${control}|P|2.5.1|||AL|NE||UNICODE UTF-8`,
    `EVN|P03|${ts}|||${g.digits(6)}^${g.word()}^${g.word()}^^^^^^EPIC`,
    `PID|1||${g.digits(9)}^^^MAINHOSP^MR~${g.digits(9)}^^^SSA^SS||${g.word()}^${g.word()}^${g.word(1, 1)}||19${g.digits(2)}0${g.int(1, 9)}1${g.int(0, 9)}|${g.pick(['F', 'M'])}|||${g.int(1, 999)} ${g.word()} ST^^${g.word()}^MN^55${g.digits(3)}^USA||||||||${g.digits(10)}`,
    `PV1|1|${g.pick(['I', 'O', 'E'])}|OR^${g.int(1, 12)}^1^MAINHOSP||||${g.digits(6)}^${g.word()}^${g.word()}^^^DR|||SUR||||||||${g.pick(['I', 'O'])}|${g.digits(10)}|||||||||||||||||||||||||${ts}`,
  ];
  for (let i = 1; i <= 5; i++) {
    const [rev, label] = g.pick(SUPPLIES);
    segs.push(
      `FT1|${i}|${g.digits(8)}||${ts}|${ts}|CG|${g.digits(7)}^${label} ${g.word()}^CDM|||${g.int(1, 4)}|${g.int(1, 900)}.${g.digits(2)}^USD|${g.int(1, 90)}.${g.digits(2)}^USD|${g.pick(['OR', 'CATH', 'ICU'])}^${g.digits(4)}^L|||${rev}|||||${g.digits(6)}^${g.word()}^${g.word()}|||||||||LOT${g.digits(6)}^^L`,
    );
  }
  segs.push(`PR1|1||${g.digits(5)}^${g.word()} ${g.word()}^CPT||${ts}`);
  segs.push(`DG1|1||${g.pick(['S82.001A', 'K35.80', 'I21.4'])}^${g.word()} ${g.word()}^I10|||F`);
  segs.push(
    `IN1|1|${g.word(3, 5)}^${g.word()} PLAN|${g.digits(6)}^^^NAIC^NIIP|${g.word()} ${g.word()} INSURANCE|PO BOX ${g.digits(4)}^^${g.word()}^MN^55${g.digits(3)}^USA||(${g.digits(3)})${g.digits(3)}-${g.digits(4)}^PRN^PH|GRP${g.digits(6)}|${g.word()} GROUP|||20240101|20241231|||${g.pick(['HMO', 'PPO'])}|${g.word()}^${g.word()}|SEL|19${g.digits(2)}0${g.int(1, 9)}1${g.int(0, 9)}`,
  );
  segs.push(
    `NTE|1||Case ${g.digits(6)}: items scanned at point of use by ${g.word()} ${g.word()}, room ${g.int(1, 12)}`,
  );
  segs.push(
    `ZCW|1|${g.pick(['PAR', 'CONSIGNMENT', 'BILL-ONLY'])}|${g.word()}-${g.digits(4)}^${g.word()}|${g.digits(12)}`,
  );
  return `${segs.join('\r')}\r`;
}
