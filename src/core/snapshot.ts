/** The parsed form of one /proc/interrupts read. Shared by the parser, rates, planner and renderers. */

export interface ParseWarning {
  /** 1-based line number in the input text. */
  line: number;
  message: string;
  /** The offending line, trimmed and cut to a readable length. */
  text: string;
}

export interface InterruptRow {
  /** The label before the first ':' with surrounding blanks removed: "132", "NMI", "IPI0", "Err". */
  label: string;
  /** True when the label is an IRQ number (a row a balancer may move). */
  numeric: boolean;
  /**
   * 0 for the first row with this label, 1 for the second, … Labels are not unique
   * (powerpc prints `LOC:` twice), so (label, occurrence) is the key.
   */
  occurrence: number;
  /**
   * Per-CPU counts in the order of `Snapshot.cpus`. Rows that print fewer counts than there are
   * CPUs (x86 `ERR:`/`MIS:`, arm `Err:`, arm32 `FIQ:`) keep only the counts printed.
   */
  counts: number[];
  /** Sum of `counts` (exact: 1152 × (2^32−1) is far below 2^53). */
  total: number;
  /** Everything after the counts, trimmed: chip, hwirq, trigger and actions, or the description. */
  tail: string;
  /** Numeric rows: interrupt chip as printed ("IR-PCI-MSI", "IO-APIC", "GICv3", "SiFive PLIC"). */
  chip?: string;
  /** Numeric rows: hardware IRQ number within the chip's domain, when printed. */
  hwirq?: string;
  /** Numeric rows: "Edge" or "Level" (GENERIC_IRQ_SHOW_LEVEL arches), when printed. */
  trigger?: string;
  /** Numeric rows: flow handler glued with '-' ("edge", "fasteoi"), when printed. */
  flow?: string;
  /** Numeric rows: handler (action) names, shared handlers split on ", ". Empty when none. */
  actions?: string[];
  /** Named rows: the description ("Local timer interrupts"). */
  description?: string;
  /** 1-based line number where the row starts. */
  line: number;
}

export interface Snapshot {
  /** CPU ids from the header's `CPUn` names, in column order. Offline CPUs are absent. */
  cpus: number[];
  rows: InterruptRow[];
  warnings: ParseWarning[];
}

/** A readable name for a row: its actions for numeric IRQs, its description otherwise. */
export function rowName(row: InterruptRow): string {
  if (row.numeric) return row.actions && row.actions.length > 0 ? row.actions.join(', ') : '';
  return row.description ?? '';
}

/** The key that identifies a row across snapshots. */
export function rowKey(row: Pick<InterruptRow, 'label' | 'occurrence'>): string {
  return row.occurrence === 0 ? row.label : `${row.label}#${row.occurrence}`;
}
