import type { Hl7Message } from './message.ts';

export interface FieldLine {
  /** 1-based, as the spec writes it: PID-5.1, FT1-7.2, PID-3[2].1 */
  readonly position: string;
  readonly value: string;
}

/**
 * The parsed tree as position = value lines (decoded), for people reading a message: `crosswalk messages
 * show` and the API. Positions are 1-based as the spec writes them, down to subcomponents; empty
 * positions are left out and the explicit null shows as "".
 */
export function fieldLines(message: Hl7Message): { segment: string; fields: FieldLine[] }[] {
  const out: { segment: string; fields: FieldLine[] }[] = [];
  const counts = new Map<string, number>();
  const d = message.delimiters;
  for (const seg of message.segments) {
    const n = (counts.get(seg.name) ?? 0) + 1;
    counts.set(seg.name, n);
    const name = n > 1 ? `${seg.name}[${n}]` : seg.name;
    const fields: FieldLine[] = [];
    const occurrence = n;
    for (let f = 1; f <= seg.fieldCount; f++) {
      const raw = message.getRaw(`${seg.name}-${f}`, occurrence);
      if (raw === '') continue;
      if (seg.name === 'MSH' && f <= 2) {
        fields.push({ position: `${name}-${f}`, value: raw });
        continue;
      }
      const reps = d.repetition === '' ? [raw] : raw.split(d.repetition);
      reps.forEach((rep, r) => {
        const rr = reps.length > 1 ? `[${r + 1}]` : '';
        const comps = d.component === '' ? [rep] : rep.split(d.component);
        comps.forEach((comp, c) => {
          const subs = d.subcomponent === '' ? [comp] : comp.split(d.subcomponent);
          subs.forEach((_sub, s) => {
            const path = `${seg.name}-${f}[${r + 1}].${c + 1}.${s + 1}`;
            const position = `${name}-${f}${rr}${comps.length > 1 || subs.length > 1 ? `.${c + 1}` : ''}${subs.length > 1 ? `.${s + 1}` : ''}`;
            if (message.isNull(path, occurrence)) fields.push({ position, value: '""' });
            else {
              const value = message.get(path, occurrence);
              if (value !== '') fields.push({ position, value });
            }
          });
        });
      });
    }
    out.push({ segment: name, fields });
  }
  return out;
}
