/**
 * Help text laid out for an 80-to-100-column terminal and the man pages made from it: long
 * descriptions are wrapped at word boundaries under their own column, never cut.
 */

/** Help lines are at most this wide (the man pages and a 100-column terminal show them whole). */
export const HELP_WIDTH = 100;

/**
 * The first sentence of a (hand-wrapped) paragraph, on one line: up to the first full stop that
 * ends a sentence ("e.g." and "i.e." do not), or the whole text when it has none.
 */
export function firstSentence(text: string): string {
  const flat = text.replace(/\s*\n\s*/g, ' ').trim();
  const re = /\.(?=\s|$)/g;
  for (let m = re.exec(flat); m !== null; m = re.exec(flat)) {
    if (/(?:^|\W)(?:e\.g|i\.e)$/.test(flat.slice(0, m.index))) continue;
    return flat.slice(0, m.index + 1);
  }
  return flat;
}

/**
 * `text` after `lead` (e.g. "  --cpus LIST  "), wrapped at word boundaries so that no line is
 * wider than `width`; continuation lines start under the text, not under the lead. A single word
 * longer than the room is left whole rather than broken.
 */
export function hangingWrap(lead: string, text: string, width = HELP_WIDTH): string[] {
  const indent = ' '.repeat(lead.length);
  const lines: string[] = [];
  let line = lead;
  let empty = true;
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    if (!empty && line.length + 1 + word.length > width) {
      lines.push(line);
      line = indent + word;
    } else {
      line = empty ? line + word : `${line} ${word}`;
    }
    empty = false;
  }
  lines.push(line.trimEnd());
  return lines;
}
