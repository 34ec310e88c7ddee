/** `irqkit auto`: the autopilot's state and its last decisions. */

import type { AutoRound, AutoStatus } from '../../api/auto-schemas.ts';
import type { Style } from './color.ts';

const rate = (n: number | null): string =>
  n === null ? '-' : n >= 100 ? `${Math.round(n)}/s` : `${n.toFixed(1)}/s`;
const plural = (n: number, one: string): string => `${n} ${one}${n === 1 ? '' : 's'}`;

function stateLine(s: AutoStatus, style: Style): string {
  if (!s.enabled) return `autopilot: ${style.dim('off')} — ${s.reason ?? ''}`;
  if (s.paused) return `autopilot: ${style.yellow(`paused (${s.pausedBy ?? '?'})`)} — ${s.reason ?? ''}`;
  return `autopilot: ${style.green('running')}`;
}

export function renderAutoStatus(s: AutoStatus, style: Style): string {
  const t = s.settings;
  const out = [
    stateLine(s, style),
    `  every ${t.everySeconds} s on the last ${t.windowSeconds} s; at most ${plural(t.maxMoves, 'move')} a round; ` +
      `cooldown ${t.cooldownSeconds} s; CPUs ${t.cpus ?? 'all but isolated and nohz_full'}; NUMA ${t.numa}`,
  ];
  if (s.nextRoundAt !== null) out.push(`  next round ${s.nextRoundAt}`);
  const totals = Object.entries(s.totals.rounds)
    .filter(([, n]) => n > 0)
    .map(([o, n]) => `${o} ${n}`);
  out.push(
    `  ${plural(s.totals.moves, 'move')} so far${totals.length > 0 ? `; rounds: ${totals.join(', ')}` : '; no round yet'}`,
  );
  const last = s.rounds.at(-1);
  if (last !== undefined) out.push(`  last: ${roundLine(last, style)}`);
  return `${out.join('\n')}\n`;
}

function outcomeText(r: AutoRound, style: Style): string {
  if (r.outcome === 'applied' || r.outcome === 'placed') return style.green(r.outcome);
  if (r.outcome === 'failed') return style.red(r.outcome);
  return r.outcome === 'balanced' ? r.outcome : style.yellow(r.outcome);
}

function roundLine(r: AutoRound, style: Style): string {
  const busiest =
    r.busiestBefore === null
      ? ''
      : ` busiest ${rate(r.busiestBefore)}${r.moves.length > 0 ? ` → ${rate(r.busiestAfter)}` : ''} (best ${rate(r.lowerBound)}, ±${rate(r.margin)})`;
  return `${r.at} ${r.kind === 'new-irqs' ? 'new IRQs' : 'round'} ${outcomeText(r, style)}${busiest}: ${r.reason}`;
}

/** The last `count` rounds, oldest first, each move on a line of its own. */
export function renderAutoLog(s: AutoStatus, count: number, style: Style): string {
  const rounds = s.rounds.slice(-count);
  if (rounds.length === 0) return `${stateLine(s, style)}\nno round yet\n`;
  const out: string[] = [];
  for (const r of rounds) {
    out.push(roundLine(r, style));
    for (const m of r.moves) {
      const what = `  IRQ ${m.irq} ${m.name ? `(${m.name}) ` : ''}CPU ${m.from ?? '?'} → ${m.to}${m.ratePerSecond > 0 ? `, ${rate(m.ratePerSecond)}` : ''}`;
      out.push(m.ok ? what : `${what}: ${style.red(m.error?.code ?? 'failed')} ${m.error?.message ?? ''}`);
    }
  }
  return `${out.join('\n')}\n`;
}
