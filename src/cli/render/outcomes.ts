/**
 * The outcome of an affinity batch (POST /api/v1/affinity, POST /api/v1/plan/apply), shared by
 * `irqkit set` and `irqkit apply`: one row per IRQ, the reasons of failures, and the exit code.
 */

import type { BatchResult, Outcome } from '../../api/schemas.ts';
import { formatCpuList } from '../../core/cpuset.ts';
import { ERROR_CODES, type ErrorCode, EXIT } from '../../core/errors.ts';
import type { Style } from './color.ts';
import { renderTable } from './table.ts';

/** Short reasons for the RESULT column; the daemon's full message goes to stderr. */
const REASONS: Partial<Record<ErrorCode, string>> = {
  IRQ_ERR_MANAGED: 'kernel-managed',
  IRQ_ERR_CPU_OFFLINE: 'CPU offline',
  IRQ_ERR_NO_VECTOR: 'no free vector on the CPU',
  IRQ_ERR_NOT_ATTEMPTED: 'not attempted',
  IRQ_ERR_ROLLED_BACK: 'rolled back',
  IRQ_ERR_UNKNOWN_IRQ: 'no such IRQ',
  IRQ_ERR_UNKNOWN_CPU: 'no such CPU',
  IRQ_ERR_PERMISSION: 'permission denied',
  IRQ_ERR_USAGE: 'invalid',
};

/** Outcomes that only follow from another IRQ's failure. */
const CONSEQUENCES: ReadonlySet<string> = new Set(['IRQ_ERR_NOT_ATTEMPTED', 'IRQ_ERR_ROLLED_BACK']);

const cpus = (list: readonly number[] | null): string => (list === null ? '-' : formatCpuList(list) || '-');

function resultText(o: Outcome, dryRun: boolean, style: Style): string {
  if (o.error) return style.red(`failed: ${REASONS[o.error.code] ?? o.error.code}`);
  if (!o.ok) return style.red('failed');
  if (dryRun) return 'ok (dry run: not written)';
  if (o.pending) return style.yellow('set, pending: moves at its next interrupt');
  return style.green('set');
}

export function renderOutcomes(result: BatchResult, style: Style): string[] {
  const table = renderTable(
    [
      { header: 'IRQ', align: 'right' },
      { header: 'CPU', align: 'right' },
      { header: 'BEFORE' },
      { header: 'AFFINITY' },
      { header: 'EFFECTIVE' },
      { header: 'RESULT' },
    ],
    result.outcomes.map((o) => [
      o.irq,
      String(o.cpu),
      cpus(o.previous),
      cpus(o.affinity),
      cpus(o.effective),
      resultText(o, result.dryRun, style),
    ]),
  );
  return [style.bold(table[0] ?? ''), ...table.slice(1)];
}

/** The failures' messages (causes first) and what became of the batch, for stderr. */
export function describeFailures(result: BatchResult): string[] {
  if (result.ok) return [];
  const withIrq = (o: Outcome, message: string): string =>
    message.startsWith(`IRQ ${o.irq}`) ? message : `IRQ ${o.irq}: ${message}`;
  const failed = result.outcomes.filter((o) => o.error !== undefined);
  const causes = failed.filter((o) => !CONSEQUENCES.has(o.error?.code ?? ''));
  const lines = (causes.length > 0 ? causes : failed).map(
    (o) => `${withIrq(o, o.error?.message ?? 'failed')} (${o.error?.code})`,
  );
  const changed = result.outcomes.filter((o) => o.ok);
  if (result.dryRun) lines.push('dry run: nothing was written');
  else if (changed.length === 0)
    lines.push(result.rolledBack ? 'the batch was rolled back: no IRQ was changed' : 'no IRQ was changed');
  else
    lines.push(
      `${changed.length} IRQ${changed.length === 1 ? '' : 's'} (${changed.map((o) => o.irq).join(' ')}) ` +
        'could not be restored and keep the new affinity',
    );
  return lines;
}

/**
 * 0 when every write succeeded; otherwise the exit code the catalogue gives the first failure
 * that caused the others (kernel-managed, offline CPU, … → 1; an unknown IRQ → 65; an unknown
 * CPU → 64), so scripts can tell a refusal from a typo.
 */
export function batchExitCode(result: BatchResult): number {
  if (result.ok) return EXIT.ok;
  const cause =
    result.outcomes.find((o) => o.error && !CONSEQUENCES.has(o.error.code)) ??
    result.outcomes.find((o) => o.error);
  const code = cause?.error?.code;
  return code !== undefined && code in ERROR_CODES ? ERROR_CODES[code].exit : EXIT.partial;
}

/** `irqkit set` and `irqkit apply`: each IRQ's outcome, then what the batch did. */
export function renderBatch(result: BatchResult, style: Style): string {
  const out: string[] = [];
  if (result.dryRun) out.push(style.dim('dry run: nothing is written'));
  out.push(...renderOutcomes(result, style));
  if (result.ok) {
    const n = result.outcomes.length;
    const pending = result.outcomes.filter((o) => o.pending).length;
    out.push(
      '',
      result.dryRun
        ? `${n} IRQ${n === 1 ? '' : 's'} would be set`
        : `${n} IRQ${n === 1 ? '' : 's'} set` +
            (pending > 0
              ? ` (${pending} pending: the kernel moves ${pending === 1 ? 'it' : 'them'} at the next interrupt)`
              : ''),
    );
  }
  return `${out.join('\n')}\n`;
}
