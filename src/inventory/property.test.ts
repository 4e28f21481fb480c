import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { CrosswalkError } from '../errors/index.ts';
import type { InventoryCommand, PostOutcome } from './commands.ts';
import { post } from './post.ts';
import { applyMovements, emptyState, positionOf } from './state.ts';
import { count, giveBack, issue, receipt, testCatalog, transfer } from './testing.ts';
import { type InventoryFlag, type InventoryState, MOVEMENT_TYPES, type Movement } from './types.ts';
import type { Returned } from './valuation.ts';
import { verifyOnHand } from './verify.ts';

/**
 * Random sequences of receipts, issues, waste, returns, transfers and counts over three items (one per
 * tracking level) and three locations. Commands that the books must refuse (short stock without the
 * policy, a serial not there) are refused with a typed error and change nothing; the rest must keep
 * every invariant. Seeds are fixed so a failure reproduces; fast-check prints the shrunk sequence.
 */

const catalog = testCatalog();
const LOCATIONS: readonly string[] = ['CS1', 'OR', 'ER'];
type Item = 'GAUZE' | 'SUTURE' | 'STENT';

/** One generated line; each kind of line reads the fields it needs. */
interface Op {
  readonly op: 'receipt' | 'opening' | 'issue' | 'waste' | 'return' | 'transfer' | 'count';
  readonly item: Item;
  readonly loc: string;
  /** Destination of a transfer: another location. */
  readonly to: string;
  readonly qty: number;
  readonly cost: bigint;
  readonly box: boolean;
  readonly lot: 'A' | 'B';
  /** Whether the line may take stock negative (only when the run allows it). */
  readonly neg: boolean;
  /** For returns: which earlier issue they come back against, if any. */
  readonly link: number | null;
  /** Which serial number (or second lot count) the line names. */
  readonly pick: number;
}

function opArb(negatives: boolean): fc.Arbitrary<Op> {
  const weighted = (pairs: [Op['op'], number][]) =>
    fc.oneof(...pairs.map(([op, weight]) => ({ weight, arbitrary: fc.constant(op) })));
  return fc
    .record({
      op: weighted([
        ['receipt', 3],
        ['opening', 1],
        ['issue', 3],
        ['waste', 2],
        ['return', 2],
        ['transfer', 3],
        ['count', 1],
      ]),
      item: fc.constantFrom<Item>('GAUZE', 'SUTURE', 'STENT'),
      loc: fc.constantFrom(...LOCATIONS),
      hop: fc.integer({ min: 1, max: LOCATIONS.length - 1 }),
      qty: fc.integer({ min: 1, max: 40 }),
      cost: fc.oneof(fc.bigInt({ min: 0n, max: 10_000n }), fc.bigInt({ min: 0n, max: 2n ** 62n })),
      box: fc.boolean(),
      lot: fc.constantFrom<'A' | 'B'>('A', 'B'),
      neg: negatives ? fc.boolean() : fc.constant(false),
      link: fc.option(fc.nat(50)),
      pick: fc.nat(1_000),
    })
    .map(({ hop, ...o }) => ({
      ...o,
      // Outflows smaller than receipts, so that stock builds up and issues mostly find some.
      qty: o.op === 'receipt' || o.op === 'opening' || o.op === 'count' ? o.qty : 1 + (o.qty % 12),
      to: LOCATIONS[(LOCATIONS.indexOf(o.loc) + hop) % LOCATIONS.length]!,
    }));
}

interface World {
  state: InventoryState;
  movements: Movement[];
  flags: InventoryFlag[];
  posted: InventoryCommand[];
  issues: Movement[];
  returned: Map<string, Returned>;
  minted: number;
}

/**
 * Where and which serial a line names: three times in four a unit on hand (at its own location), else
 * any serial minted so far at the op's location (often refused: used, elsewhere, or never seen).
 */
function serialAt(w: World, n: number, location: string): [string, string] {
  const onHand = [...w.state.serials.values()].filter((s) => s.status === 'on-hand');
  if (n % 4 !== 0 && onHand.length > 0) {
    const s = onHand[n % onHand.length]!;
    return [s.parLocationCode, s.serialNumber];
  }
  return [location, `N${w.minted === 0 ? 0 : n % w.minted}`];
}

/**
 * Serial items move one unit per line here: receipts mint a fresh serial, other lines name one of the
 * minted serials, so some are refused (used, elsewhere) with a typed error, as in real feeds.
 */
function toCommand(w: World, o: Op): InventoryCommand {
  if (o.item === 'STENT') return stentCommand(w, o);
  const lotted = o.item === 'SUTURE' ? { lotNumber: o.lot } : {};
  switch (o.op) {
    case 'receipt':
    case 'opening': {
      const uom = o.box && o.item === 'GAUZE' ? 'BX' : 'EA';
      return { ...receipt(o.item, o.loc, o.qty, o.cost, { uom, ...lotted }), type: o.op };
    }
    case 'issue':
    case 'waste':
      return { ...issue(o.item, o.loc, o.qty, { allowNegative: o.neg, ...lotted }), type: o.op };
    case 'transfer':
      return transfer(o.item, o.loc, o.to, o.qty, { allowNegative: o.neg, ...lotted });
    case 'return': {
      const mine = w.issues.filter((m) => m.itemCode === o.item);
      const origin = o.link === null || mine.length === 0 ? undefined : mine[o.link % mine.length]!;
      return giveBack(o.item, o.loc, o.qty, { ...lotted, ...(origin && { origin: originOf(w, origin) }) });
    }
    case 'count':
      if (o.item === 'GAUZE') return count('GAUZE', o.loc, { quantity: o.qty });
      return count('SUTURE', o.loc, {
        lots: [
          { lotNumber: 'A', quantity: o.qty },
          { lotNumber: 'B', quantity: o.pick % 6 },
        ],
      });
  }
}

/**
 * Serial units move one per line here, except receipts, which mint one to three fresh serials; the
 * other lines name serials as `serialAt` picks them, so some are refused as in real feeds.
 */
function stentCommand(w: World, o: Op): InventoryCommand {
  const [at, sn] = serialAt(w, o.pick, o.loc);
  switch (o.op) {
    case 'receipt':
    case 'opening': {
      const n = 1 + (o.qty % 3);
      const serialNumbers = Array.from({ length: n }, () => `N${w.minted++}`);
      return { ...receipt('STENT', o.loc, n, o.cost, { lotNumber: o.lot, serialNumbers }), type: o.op };
    }
    case 'issue':
    case 'waste':
      return { ...issue('STENT', at, 1, { serialNumbers: [sn] }), type: o.op };
    case 'transfer':
      return transfer('STENT', at, o.to !== at ? o.to : o.loc, 1, { serialNumbers: [sn] });
    case 'return': {
      const mine = w.issues.filter((m) => m.itemCode === 'STENT');
      const origin = o.link === null || mine.length === 0 ? undefined : mine[o.link % mine.length]!;
      if (origin !== undefined) {
        return giveBack('STENT', o.loc, 1, {
          serialNumbers: [origin.serialNumber!],
          origin: originOf(w, origin),
        });
      }
      const issued = [...w.state.serials.values()].filter((s) => s.status === 'issued');
      const back = issued.length === 0 ? sn : issued[o.pick % issued.length]!.serialNumber;
      return giveBack('STENT', o.loc, 1, { serialNumbers: [back] });
    }
    case 'count': {
      const here = [...w.state.serials.values()].filter(
        (s) => s.status === 'on-hand' && s.parLocationCode === o.loc,
      );
      const kept = here.slice(0, o.pick % 6).map((s) => ({ serialNumber: s.serialNumber, lotNumber: null }));
      return count('STENT', o.loc, { serials: kept });
    }
  }
}

function originOf(w: World, movement: Movement) {
  return { movement, returned: w.returned.get(movement.movementKey) ?? { quantity: 0n, value: 0n } };
}

const total = (s: InventoryState) => {
  let q = 0n;
  let v = 0n;
  for (const p of s.positions.values()) {
    q += p.quantity;
    v += p.value;
  }
  return [q, v] as const;
};

function checkSigns(w: World, negatives: boolean): void {
  for (const p of w.state.positions.values()) {
    if (p.quantity === 0n)
      assert.equal(p.value, 0n, `${p.itemCode}@${p.parLocationCode}: zero stock carries value`);
    if (p.quantity > 0n)
      assert.ok(p.value >= 0n, `${p.itemCode}@${p.parLocationCode}: positive stock, negative value`);
    if (p.quantity < 0n || p.value < 0n) {
      assert.ok(negatives, 'negative stock without the policy');
      assert.ok(p.value <= 0n && p.quantity < 0n);
      assert.ok(
        w.flags.some(
          (f) =>
            f.code === 'CW_ERR_INVENTORY_NEGATIVE_ON_HAND' &&
            f.itemCode === p.itemCode &&
            f.parLocationCode === p.parLocationCode,
        ),
        'negative stock that was never flagged',
      );
    }
  }
}

/** What the generated sequences exercised, for the coverage check at the end. */
const SEEN = new Map<string, number>();
const bump = (k: string) => SEEN.set(k, (SEEN.get(k) ?? 0) + 1);

function step(w: World, command: InventoryCommand): PostOutcome | null {
  const before = w.state;
  let r: ReturnType<typeof post>;
  try {
    r = post(w.state, catalog, command);
  } catch (e) {
    assert.ok(e instanceof CrosswalkError, `untyped error ${String(e)}`);
    bump(e.code);
    assert.equal(w.state, before);
    return null;
  }
  w.state = r.state;
  w.posted.push(command);
  if (r.outcome.kind !== 'posted') return r.outcome;
  for (const m of r.outcome.movements) bump(m.movementType);
  for (const f of r.outcome.flags) bump(f.code);
  w.movements.push(...r.outcome.movements);
  w.flags.push(...r.outcome.flags);
  for (const m of r.outcome.movements) {
    if (m.movementType === 'issue') w.issues.push(m);
    if (m.movementType === 'return' && command.type === 'return' && command.origin !== undefined) {
      const k = command.origin.movement.movementKey;
      const prev = w.returned.get(k) ?? { quantity: 0n, value: 0n };
      w.returned.set(k, { quantity: prev.quantity + m.quantity, value: prev.value + m.value });
    }
  }
  if (command.type === 'transfer') {
    const legs = r.outcome.movements.filter((m) => m.movementType !== 'revaluation');
    assert.equal(
      legs.reduce((a, m) => a + m.quantity, 0n),
      0n,
    );
    assert.equal(
      legs.reduce((a, m) => a + m.value, 0n),
      0n,
      'the value that leaves arrives',
    );
    const reval = r.outcome.movements
      .filter((m) => m.movementType === 'revaluation')
      .reduce((a, m) => a + m.value, 0n);
    const [q0, v0] = total(before);
    const [q1, v1] = total(w.state);
    assert.equal(q1, q0);
    assert.equal(v1 - v0, reval, 'total value changes only by flagged revaluation');
  }
  return r.outcome;
}

function runWorld(ops: readonly Op[], negatives: boolean): World {
  const w: World = {
    state: emptyState(),
    movements: [],
    flags: [],
    posted: [],
    issues: [],
    returned: new Map(),
    minted: 0,
  };
  for (const o of ops) {
    step(w, toCommand(w, o));
    checkSigns(w, negatives);
  }
  return w;
}

function checkWorld(w: World): void {
  const report = verifyOnHand(w.movements, w.state.positions.values());
  assert.deepEqual(report.mismatches, [], 'on-hand = Σ movements');
  const rebuilt = applyMovements(emptyState(), w.movements).state;
  assert.deepEqual(rebuilt.positions, w.state.positions, 'the fold rebuilds the positions');
  assert.deepEqual(rebuilt.serials, w.state.serials, 'the fold rebuilds the serials');
  // Idempotence: every movement again, and every posted line again, change nothing.
  const again = applyMovements(w.state, w.movements);
  assert.equal(again.applied.length, 0);
  let s = w.state;
  for (const c of w.posted) {
    const r = post(s, catalog, c);
    assert.notEqual(r.outcome.kind, 'posted');
    s = r.state;
  }
  assert.deepEqual(s.positions, w.state.positions);
}

test('random sequences keep on-hand = Σ movements, signs, idempotence and transfer conservation', () => {
  fc.assert(
    fc.property(fc.array(opArb(true), { minLength: 5, maxLength: 40 }), (ops) =>
      checkWorld(runWorld(ops, true)),
    ),
    { seed: 424242, numRuns: 300 },
  );
});

test('without the negative policy nothing ever goes negative and nothing is flagged', () => {
  fc.assert(
    fc.property(fc.array(opArb(false), { minLength: 5, maxLength: 40 }), (ops) => {
      const w = runWorld(ops, false);
      assert.deepEqual(w.flags, []);
      checkWorld(w);
    }),
    { seed: 777, numRuns: 300 },
  );
});

test('emptying any position by issue or count brings quantity and value to zero together', () => {
  fc.assert(
    fc.property(fc.array(opArb(true), { minLength: 5, maxLength: 30 }), fc.boolean(), (ops, byCount) => {
      const w = runWorld(ops, true);
      for (const p of [...w.state.positions.values()]) {
        const drain: InventoryCommand =
          byCount || p.quantity <= 0n || p.itemCode !== 'GAUZE'
            ? p.itemCode === 'GAUZE'
              ? count('GAUZE', p.parLocationCode, { quantity: 0 })
              : p.itemCode === 'SUTURE'
                ? count('SUTURE', p.parLocationCode, { lots: [] })
                : count('STENT', p.parLocationCode, { serials: [] })
            : issue('GAUZE', p.parLocationCode, p.quantity);
        assert.notEqual(step(w, drain), null, 'a drain is never refused');
        const after = positionOf(w.state, p.itemCode, p.parLocationCode);
        assert.deepEqual([after.quantity, after.value], [0n, 0n]);
      }
      checkWorld(w);
    }),
    { seed: 99, numRuns: 200 },
  );
});

test('the generated sequences exercised every movement type, flag and refusal', () => {
  const wanted = [
    ...MOVEMENT_TYPES,
    'CW_ERR_INVENTORY_NEGATIVE_ON_HAND',
    'CW_ERR_INVENTORY_NEGATIVE_REVALUED',
    'CW_ERR_INVENTORY_SERIAL_UNKNOWN',
    'CW_ERR_INVENTORY_SERIAL_USED',
    'CW_ERR_INVENTORY_SERIAL_EXISTS',
    'CW_ERR_INVENTORY_RETURN_EXCEEDS',
  ];
  for (const k of wanted) assert.ok((SEEN.get(k) ?? 0) >= 10, `${k} seen ${SEEN.get(k) ?? 0} times`);
});
