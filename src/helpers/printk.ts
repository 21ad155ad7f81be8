/**
 * @fileoverview bpf_trace_printk's formatting, as the kernel's bpf_bprintf_prepare accepts
 * it and bstr_printf prints it: at most three arguments; %d %i %u %x %X with an optional
 * `l` or `ll` (without one the argument is 32 bits), %c, %s and %pks/%pus (read from program
 * memory; an unreadable string prints as nothing), %pI4 %pi4 %pI6 %pi6 (addresses read
 * through the pointer), %p and %px (the kernel hashes plain %p; the runtime prints the
 * address as %px would, 16 hex digits), %%, and the flags `0 +-` with a width.
 * Anything else makes the call fail with -EINVAL and print nothing.
 */

/** MAX_TRACE_PRINTK_VARARGS */
export const MAX_PRINTK_ARGS = 3;
/** MAX_BPRINTF_VARARGS: bpf_trace_vprintk, bpf_snprintf and bpf_seq_printf take up to twelve */
export const MAX_BPRINTF_ARGS = 12;

/** What formatting needs from the run: the arguments and a way to read strings. */
export interface PrintkSource {
  /** Argument `i` (0-based) as an unsigned 64-bit value. */
  arg(i: number): bigint;
  /** The NUL-terminated string at `addr` (up to `max` bytes), or undefined when unreadable. */
  string(addr: bigint, max: number): string | undefined;
  /** `n` bytes at `addr` (for %pI4 and %pI6), or undefined when unreadable: they print as zeros. */
  bytes?(addr: bigint, n: number): Uint8Array | undefined;
}

/** %pI4 / %pi4 / %pI6 / %pi6 of the bytes: dotted (the `i` forms zero-padded) or colon-grouped (the `i` form bare). */
function ipText(b: Uint8Array, upper: boolean): string {
  if (b.length === 4) return [...b].map((x) => (upper ? String(x) : String(x).padStart(3, "0"))).join(".");
  const hex = [...b].map((x) => x.toString(16).padStart(2, "0"));
  if (!upper) return hex.join("");
  return Array.from({ length: 8 }, (_, k) => hex[2 * k]! + hex[2 * k + 1]!).join(":");
}

/** The formatted text, or undefined for a format the kernel refuses (-EINVAL). */
export function formatPrintk(fmt: string, src: PrintkSource, maxArgs: number = MAX_PRINTK_ARGS): string | undefined {
  let out = "";
  let n = 0;
  for (let i = 0; i < fmt.length; i++) {
    const c = fmt[i]!;
    if (c !== "%") {
      out += c;
      continue;
    }
    if (fmt[i + 1] === "%") {
      out += "%";
      i++;
      continue;
    }
    let j = i + 1;
    let flags = "";
    while (j < fmt.length && "0 +-".includes(fmt[j]!)) flags += fmt[j++];
    let width = 0;
    while (j < fmt.length && fmt[j]! >= "0" && fmt[j]! <= "9") width = width * 10 + Number(fmt[j++]);
    let longs = 0;
    while (fmt[j] === "l" && longs < 2) { longs++; j++; }
    const conv = fmt[j];
    if (conv === undefined || n >= maxArgs) return undefined;
    let text: string;
    let numeric = true;
    let negative = false;
    const raw = src.arg(n);
    if (conv === "p") {
      if (longs) return undefined;
      const ext = fmt[j + 1], family = fmt[j + 2];
      if ((ext === "I" || ext === "i") && (family === "4" || family === "6")) {
        // An address read through the pointer; unreadable memory prints as zeros, as the kernel's.
        const n = family === "4" ? 4 : 16;
        text = ipText(src.bytes?.(raw, n) ?? new Uint8Array(n), ext === "I");
        j += 2;
      } else if ((ext === "k" || ext === "u") && family === "s") {
        text = src.string(raw, 512) ?? "";
        j += 2;
      } else {
        if (ext === "x" || ext === "K") j++;
        text = raw.toString(16).padStart(16, "0");
      }
      numeric = false;
    } else if (conv === "s" || conv === "c") {
      if (longs) return undefined;
      text = conv === "c" ? String.fromCharCode(Number(raw & 0xffn)) : src.string(raw, 512) ?? "";
      numeric = false;
    } else if ("diuxX".includes(conv)) {
      // bstr_printf reads a 32-bit argument without `l`; long and long long are 64 bits here.
      let v = longs ? raw : raw & 0xffffffffn;
      if (conv === "d" || conv === "i") {
        v = longs ? BigInt.asIntN(64, v) : BigInt.asIntN(32, v);
        negative = v < 0n;
        text = (negative ? -v : v).toString();
      } else if (conv === "u") {
        text = v.toString();
      } else {
        text = v.toString(16);
        if (conv === "X") text = text.toUpperCase();
      }
    } else {
      return undefined;
    }
    n++;
    let sign = negative ? "-" : "";
    if (numeric && !negative && (conv === "d" || conv === "i")) sign = flags.includes("+") ? "+" : flags.includes(" ") ? " " : "";
    const body = sign + text;
    if (body.length >= width) out += body;
    else if (flags.includes("-")) out += body.padEnd(width);
    else if (numeric && flags.includes("0")) out += sign + text.padStart(width - sign.length, "0");
    else out += body.padStart(width);
    i = j;
  }
  return out;
}
