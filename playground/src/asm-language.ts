// tsbpf assembly for CodeMirror 6: both syntaxes (LLVM's and the kernel's) share one set
// of tokens: registers, sizes, keywords, numbers, labels and `;` or `//` comments.
import { StreamLanguage, type StreamParser } from "@codemirror/language";

const KEYWORDS = new Set(["if", "goto", "gotol", "exit", "call", "callx", "ll", "lock", "be16", "be32", "be64", "le16", "le32", "le64", "bswap16", "bswap32", "bswap64", "may_goto", "map", "addr_space_cast", "atomic_fetch_add", "atomic_fetch_and", "atomic_fetch_or", "atomic_fetch_xor", "xchg", "cmpxchg", "load_acquire", "store_release"]);
const SIZES = /^(u8|u16|u32|u64|s8|s16|s32|s64)\b/;

const parser: StreamParser<{ start: boolean }> = {
  name: "tsbpf-asm",
  startState: () => ({ start: true }),
  token(stream, state) {
    if (stream.sol()) state.start = true;
    if (stream.eatSpace()) return null;
    if (stream.match(";") || stream.match("//") || (state.start && stream.peek() === "#")) { stream.skipToEnd(); return "comment"; }
    if (state.start && stream.match(/^[A-Za-z_.][\w.$]*:/)) { state.start = false; return "labelName"; }
    state.start = false;
    if (stream.match(/^[rw](10|[0-9])\b/)) return "variableName";
    if (stream.match(SIZES)) return "typeName";
    if (stream.match(/^-?(0x[0-9a-fA-F]+|\d+)\b/)) return "number";
    if (stream.match(/^[A-Za-z_][\w.]*/)) {
      const w = stream.current();
      return KEYWORDS.has(w) ? "keyword" : "labelName";
    }
    if (stream.match(/^(s?>>=?|<<=?|[+\-*/%&|^]=|[<>!=]=|[<>=&|^~+\-*/%])/)) return "operator";
    stream.next();
    return "punctuation";
  },
  languageData: { commentTokens: { line: ";" } },
};

export const tsbpfAsm = StreamLanguage.define(parser);
