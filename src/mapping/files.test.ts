import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateDemoHealthSystem } from '../demo/index.ts';
import {
  contentHash,
  createRelease,
  demoRelease,
  parseCsv,
  RELEASE_FILE,
  releaseFromFiles,
  releaseToFiles,
  writeCsv,
} from './index.ts';
import { codeOf, smallContent } from './testing.ts';

test('a release folder round-trips through files to the same content hash', () => {
  const small = smallContent();
  const files = releaseToFiles(small);
  assert.deepEqual(Object.keys(files).sort(), [
    'account-determination.csv',
    'care-locations.csv',
    'charge-master.csv',
    'departments.csv',
    'facilities.csv',
    'item-uoms.csv',
    'items.csv',
    'practitioners.csv',
    'release.json',
  ]);
  assert.equal(
    files['charge-master.csv'],
    'cdm_code,description,revenue_code,hcpcs_code,price,currency,item_code,effective_from,effective_to\n' +
      '2700005,GAUZE SPONGE,0270,,1.00,USD,100001,,\n',
  );
  assert.equal(contentHash(releaseFromFiles(files)), contentHash(small));
  const demo = demoRelease(generateDemoHealthSystem({ seed: 3 }));
  assert.equal(contentHash(releaseFromFiles(releaseToFiles(demo))), createRelease(demo, 'ann').id);
});

test('folder files are read flexibly: column order, comments, quotes, missing optional columns', () => {
  const files = releaseToFiles(smallContent());
  files['items.csv'] = [
    '# Reviewed by supply chain, 2026-11',
    'item_code , ehr_supply_code,description,category,base_uom,implant,bill_only',
    '100001,7000001,"GLOVE EXAM NITRILE M",glove,EA,no,N',
    '',
    '100002,7000002,"SUTURE ""3-0"", VICRYL",suture,EA,false,false',
  ].join('\r\n');
  const c = releaseFromFiles({ 'mapping/release-7/release.json': files[RELEASE_FILE]!, ...files });
  assert.deepEqual(
    c.items.map((i) => [i.ehrSupplyCode, i.description, i.implant, i.effectiveFrom]),
    [
      ['7000001', 'GLOVE EXAM NITRILE M', false, null],
      ['7000002', 'SUTURE "3-0", VICRYL', false, null],
    ],
  );
  // Tables without a file are empty; other files are ignored.
  const bare = releaseFromFiles({ 'release.json': files[RELEASE_FILE]!, 'README.md': '# notes' });
  assert.equal(bare.items.length, 0);
});

test('errors name the file and the line', () => {
  const files = releaseToFiles(smallContent());
  const withFile = (name: string, text: string) => codeOf(() => releaseFromFiles({ ...files, [name]: text }));
  const items = files['items.csv']!.split('\n');
  assert.match(
    withFile(
      'items.csv',
      [items[0], items[1], items[2]!.replace(',false,false,', ',maybe,false,')].join('\n'),
    ),
    /^CW_ERR_MAP_FILE mapping release file items\.csv, line 3: implant must be true or false/,
  );
  assert.match(
    withFile('items.csv', [items[0], items[1], '7000009,100009,X,glove,EA,false'].join('\n')),
    /items\.csv, line 3: 6 cells; the header has 9/,
  );
  assert.match(
    withFile('items.csv', [items[0]!.replace('category', 'kategory'), items[1]].join('\n')),
    /items\.csv, line 1: column kategory is not one of/,
  );
  assert.match(
    withFile('items.csv', [items[0], ',100009,X,glove,EA,false,false,,'].join('\n')),
    /items\.csv, line 2: ehrSupplyCode must be a non-empty/,
  );
  assert.match(
    withFile('items.csv', [items[0], items[1], items[1]!.replace('100001', '100009')].join('\n')),
    /items\.csv, line 3: items has overlapping rows for ehrSupplyCode = 7000001/,
  );
  assert.match(
    withFile('charge-master.csv', files['charge-master.csv']!.replace('1.00', '1.005')),
    /charge-master\.csv, line 2: price USD has 2 decimals; 1\.005 has 3/,
  );
  assert.match(withFile('itemz.csv', 'a,b\n'), /itemz\.csv, line 0: not a crosswalk table/);
  assert.match(withFile('items.csv', 'a,"b\n'), /items\.csv, line 1: unclosed quote/);
  assert.match(
    withFile(RELEASE_FILE, '{\n  "format": "crosswalk-mapping-release/1",\n  "name": x\n}'),
    /release\.json, line 3: not valid JSON/,
  );
  assert.match(
    withFile(RELEASE_FILE, files[RELEASE_FILE]!.replace('"America/New_York"', '"Nowhere"')),
    /release\.json, line 1: timeZone Nowhere/,
  );
  assert.match(withFile(RELEASE_FILE, '{"format":"v0"}'), /format must be "crosswalk-mapping-release\/1"/);
  const { 'release.json': _omit, ...noJson } = files;
  assert.match(
    codeOf(() => releaseFromFiles(noJson)),
    /no release\.json/,
  );
});

test('CSV writing quotes exactly what needs quoting and parses back', () => {
  const rows = [['a,b', 'say "hi"', ' lead', '#x', 'multi\nline', 'plain']];
  const text = writeCsv(['h1', 'h2', 'h3', 'h4', 'h5', 'h6'], rows);
  assert.equal(text, 'h1,h2,h3,h4,h5,h6\n"a,b","say ""hi"""," lead","#x","multi\nline",plain\n');
  const back = parseCsv(text, 't.csv');
  assert.deepEqual(back[1]?.cells, rows[0]);
  assert.deepEqual(
    back.map((r) => r.line),
    [1, 2],
  );
});

test('CSV writing neutralises spreadsheet formulas, keeps numbers numeric, and parses back exactly', () => {
  const cells = [
    '=HYPERLINK("x")',
    '+A1',
    '-cmd|calc',
    '@SUM(A1)',
    '\tx',
    "'=already",
    '-12.50',
    '+3',
    'plain',
  ];
  const text = writeCsv(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'], [cells]);
  const written = text.split('\n')[1]!;
  assert.equal(written, `"'=HYPERLINK(""x"")",'+A1,'-cmd|calc,'@SUM(A1),'\tx,''=already,-12.50,+3,plain`);
  for (const cell of parseCsv(text, 't.csv')[1]!.cells.map((c, i) => [c, cells[i]] as const)) {
    assert.equal(cell[0], cell[1], 'parses back to what was written');
  }
});
