/** Minimal ANSI styling that honours NO_COLOR and FORCE_COLOR (https://no-color.org). */

export interface Style {
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
}

const wrap =
  (open: number, close: number) =>
  (s: string): string =>
    `\u001b[${open}m${s}\u001b[${close}m`;

const plain: Style = {
  bold: (s) => s,
  dim: (s) => s,
  red: (s) => s,
  green: (s) => s,
  yellow: (s) => s,
  cyan: (s) => s,
};

const ansi: Style = {
  bold: wrap(1, 22),
  dim: wrap(2, 22),
  red: wrap(31, 39),
  green: wrap(32, 39),
  yellow: wrap(33, 39),
  cyan: wrap(36, 39),
};

export function pickStyle(
  env: Readonly<Record<string, string | undefined>>,
  isTTY: boolean,
  noColor: boolean,
): Style {
  if (noColor || (env.NO_COLOR !== undefined && env.NO_COLOR !== '')) return plain;
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '' && force !== '0') return ansi;
  return isTTY ? ansi : plain;
}

/** Visible width of a string that may contain ANSI escapes. */
export function visibleWidth(s: string): number {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI escapes is the point
  return s.replace(/\u001b\[[0-9;]*m/g, '').length;
}
