import assert from 'node:assert/strict';
import type { InterruptRow, Snapshot } from '../../src/core/snapshot.ts';

/** The row (label, occurrence) of a parsed snapshot; fails the test when it is missing. */
export function findRow(s: Snapshot, label: string, occurrence = 0): InterruptRow {
  const r = s.rows.find((x) => x.label === label && x.occurrence === occurrence);
  assert.ok(r, `no row ${label}#${occurrence}`);
  return r;
}

export type RowInit = Omit<Partial<InterruptRow>, 'label' | 'counts'>;

/** A row as the parser would produce it; `occurrence` and `line` are set by `makeSnapshot`. */
export function makeRow(label: string, counts: number[], init: RowInit = {}): InterruptRow {
  const numeric = /^\d+$/.test(label);
  const base: InterruptRow = {
    label,
    numeric,
    occurrence: 0,
    counts,
    total: counts.reduce((a, b) => a + b, 0),
    tail: '',
    line: 0,
  };
  if (numeric) {
    base.chip = 'IR-PCI-MSI';
    base.hwirq = `${label}000`;
    base.actions = [`dev${label}`];
  } else {
    base.description = `${label} interrupts`;
  }
  return { ...base, ...init };
}

/** A snapshot whose rows get occurrences by label (as the parser numbers them) and line numbers. */
export function makeSnapshot(cpus: number[], rows: InterruptRow[]): Snapshot {
  const seen = new Map<string, number>();
  return {
    cpus,
    rows: rows.map((r, i) => {
      const occurrence = seen.get(r.label) ?? 0;
      seen.set(r.label, occurrence + 1);
      return { ...r, occurrence, line: i + 2 };
    }),
    warnings: [],
  };
}
