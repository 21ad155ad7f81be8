/**
 * @fileoverview Histograms printed as BCC prints them (table.py's print_log2_hist and
 * _stars): log2 slots, 40 stars wide, the "low -> high : count |***|" lines.
 */

const STARS_MAX = 40;

/** BCC's _stars: `width` * val / max stars, a "+" at the end when val exceeds max. */
export function stars(val: number, max: number, width: number): string {
  let text = "";
  for (let i = 0; ; i++) {
    if (i > (width * val) / max - 1 || i > width - 1) break;
    text += "*";
  }
  if (val > max) text = text.slice(0, -1) + "+";
  return text;
}

const pad = (s: string | number, n: number, left = false) => (left ? String(s).padEnd(n) : String(s).padStart(n));

/** The lines of a log2 histogram, `vals[slot]` counts (slot i holds [2^(i-1), 2^i - 1]), as print_log2_hist prints them. */
export function log2Hist(vals: readonly number[], valType: string, stripLeadingZero = false): string[] {
  let idxMax = -1, valMax = 0;
  vals.forEach((v, i) => { if (v > 0) idxMax = i; if (v > valMax) valMax = v; });
  const wide = idxMax > 32;
  const starsW = wide ? STARS_MAX / 2 : STARS_MAX;
  const lines: string[] = [];
  if (idxMax > 0) lines.push(wide ? `               ${pad(valType, 29, true)} : count     distribution` : `     ${pad(valType, 19, true)} : count     distribution`);
  let strip = stripLeadingZero;
  for (let i = 1; i <= idxMax; i++) {
    let low = Number((1n << BigInt(i)) >> 1n);
    const high = Number((1n << BigInt(i)) - 1n);
    if (low === high) low -= 1;
    const val = vals[i] ?? 0;
    const w = wide ? 20 : 10;
    const line = `${pad(low, w)} -> ${pad(high, w, true)} : ${pad(val, 8, true)} |${pad(stars(val, valMax, starsW), starsW, true)}|`;
    if (strip) { if (val) { lines.push(line); strip = false; } }
    else lines.push(line);
  }
  return lines;
}
