/** `irqkit pins` (the pins and their status) and `irqkit restore` (what was put back). */

import type { PinsDoc, PinView, RestoreResult } from '../../api/pin-schemas.ts';
import { formatCpuList } from '../../core/cpuset.ts';
import type { Style } from './color.ts';
import { renderTable } from './table.ts';

function statusText(p: PinView, style: Style): string {
  const text = p.detail ? `${p.status}: ${p.detail}` : p.status;
  if (p.status === 'applied') return style.green(text);
  if (p.status === 'unchecked') return style.dim(text);
  return p.status === 'failed' || p.status === 'mismatch' ? style.red(text) : style.yellow(text);
}

export function renderPins(doc: PinsDoc, style: Style): string {
  const out: string[] = [];
  if (doc.pins.length === 0) out.push('no pins (irqkit set --persist IRQ=CPU pins an IRQ)');
  else {
    const table = renderTable(
      [
        { header: 'IRQ', align: 'right' },
        { header: 'NAME', maxWidth: 28 },
        { header: 'CPU', align: 'right' },
        { header: 'AFFINITY' },
        { header: 'STATUS' },
      ],
      doc.pins.map((p) => [p.irq, p.name || '-', String(p.cpu), p.affinity ?? '-', statusText(p, style)]),
    );
    out.push(style.bold(table[0] ?? ''), ...table.slice(1));
  }
  const n = doc.originals.length;
  const where = doc.state.file === null ? 'kept in memory only' : `in ${doc.state.file}`;
  out.push(
    '',
    `${doc.pins.length} pin${doc.pins.length === 1 ? '' : 's'} ${where}; ` +
      (n === 0
        ? 'no changed affinity to restore'
        : `${n} changed IRQ${n === 1 ? '' : 's'} can be put back with 'irqkit restore' (${doc.originals
            .map((o) => o.irq)
            .join(' ')})`),
  );
  return `${out.join('\n')}\n`;
}

export function renderRestore(result: RestoreResult, style: Style): string {
  if (result.outcomes.length === 0) return 'nothing to restore: irqkitd has changed no IRQ\n';
  const list = (cpus: readonly number[]): string => formatCpuList(cpus) || '-';
  const resultText = (o: RestoreResult['outcomes'][number]): string => {
    if (o.error) return style.red(`failed: ${o.error.code}`);
    if (result.dryRun) return 'ok (dry run: not written)';
    return style.green('restored');
  };
  const table = renderTable(
    [
      { header: 'IRQ', align: 'right' },
      { header: 'ORIGINAL' },
      { header: 'BEFORE' },
      { header: 'AFFINITY' },
      { header: 'RESULT' },
    ],
    result.outcomes.map((o) => [o.irq, list(o.original), list(o.previous), list(o.affinity), resultText(o)]),
  );
  const out = [style.bold(table[0] ?? ''), ...table.slice(1)];
  if (result.dryRun) out.unshift(style.dim('dry run: nothing is written'));
  if (result.unpinned.length > 0) out.push('', `unpinned IRQ ${result.unpinned.join(' ')}`);
  return `${out.join('\n')}\n`;
}
