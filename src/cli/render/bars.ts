/** Horizontal bars with eighth-block resolution, so small differences stay visible. */

const PARTIAL = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

export function bar(value: number, max: number, width: number): string {
  if (!(max > 0) || width <= 0 || !(value > 0)) return '';
  const eighths = Math.round((Math.min(value, max) / max) * width * 8);
  return '█'.repeat(Math.floor(eighths / 8)) + (PARTIAL[eighths % 8] ?? '');
}
