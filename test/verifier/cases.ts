/**
 * @fileoverview The agreement suite's programs: each one small, most made to hit one of the
 * kernel's rejections, as plain rows of `{ name, asm, type, accept | reject }`. The reason
 * is matched against tsbpf's message and, where bpf() works, the kernel's log.
 */

import type { MapSpec } from "../../src/object/types.js";

export interface Case {
  readonly name: string;
  readonly asm: string;
  /** Program type; default xdp. */
  readonly type?: string;
  readonly attachType?: string;
  readonly license?: string;
  readonly accept?: true;
  readonly reject?: RegExp;
  /** Why the kernel cannot be asked about this case here (it is still checked in tsbpf). */
  readonly kernelSkip?: string;
  /** A label whose address the `r2 = 0 ll` placeholder loads (BPF_PSEUDO_FUNC), for callbacks. */
  readonly callback?: string;
  /** When the kernel words it differently (same reason class). */
  readonly kernel?: RegExp;
  /** BPF_F_* prog flags (BPF_F_STRICT_ALIGNMENT...), given to both verifiers. */
  readonly flags?: number;
  /**
   * Judged as for a loader without CAP_BPF/CAP_SYS_ADMIN (tsbpf's `privileged: false`); the
   * kernel side loads it as uid 65534 when kernel.unprivileged_bpf_disabled is 0.
   */
  readonly unpriv?: true;
}

const map = (name: string, type: string, keySize: number, valueSize: number, maxEntries: number, flags = 0): MapSpec =>
  ({ name, type, keySize, valueSize, maxEntries, flags, origin: "btf" });

/** The maps cases may name with `map[NAME]`. */
export const MAPS: readonly MapSpec[] = [
  map("hash8", "hash", 4, 8, 16),
  map("arr8", "array", 4, 8, 4),
  map("arr64", "array", 4, 64, 4),
  map("rb", "ringbuf", 0, 0, 4096),
  map("ro", "array", 4, 8, 1, 0x80),
  map("progs", "prog_array", 4, 4, 4),
  map("socks", "sockmap", 4, 8, 4),
  map("wo", "array", 4, 8, 1, 0x100),
  map("progs2", "prog_array", 4, 4, 4),
  map("cgstore", "cgroup_storage", 8, 8, 0),
];

/** A lookup in hash8 with a zeroed key at fp-4, leaving r0 the result. */
const LOOKUP = `
  r1 = 0
  *(u32 *)(r10 - 4) = r1
  r2 = r10
  r2 += -4
  r1 = map[hash8] ll
  call 1`;
/** The same lookup in a SOCKMAP: a socket or NULL, with a reference. */
const SOCK_LOOKUP = LOOKUP.replace("map[hash8]", "map[socks]");
/** A main program using all 512 bytes of stack that calls f, whose frame is `body`. */
const FASTCALL_SUB = (body: string) => `r1 = 42\n*(u64 *)(r10 - 512) = r1\ncall f\nr0 = 0\nexit\nf:\n${body}\nexit`;

/** bpf_sk_lookup_tcp on a zeroed IPv4 tuple at fp-16, leaving r0 a socket or NULL with a reference. */
const TCP_LOOKUP = `
  r2 = 0
  *(u64 *)(r10 - 16) = r2
  *(u64 *)(r10 - 8) = r2
  r2 = r10
  r2 += -16
  r3 = 12
  r4 = 0
  r5 = 0
  call 84`;

/** r2 = data, r3 = data_end, r4 = data + 8: after it, r2 has 8 bytes when r4 <= r3. */
const PKT = `
  r2 = *(u32 *)(r1 + 0)
  r3 = *(u32 *)(r1 + 4)
  r4 = r2
  r4 += 8`;

/** The safe path (fall-through) sets r4 = 0, the other r4 = `bad`; both meet at `l`, which runs `use`. */
const viaCheckpoint = (use: string, bad = 1000, setup = "", safe = ""): string =>
  `r0 = *(u32 *)(r1 + 12)\nr4 = ${bad}\n${setup}if r0 == 0 goto l\nr4 = 0\n${safe}r1 = 0\nr1 = 0\nr1 = 0\nr1 = 0\ngoto +0\nl:\n${use}`;
const WRITE_R5 = "r1 = r10\nr1 += -8\nr1 += r5\nr0 = 0\n*(u8 *)(r1 + 0) = r0\nexit";
const LINKED = (other: string) =>
  `r6 = *(u32 *)(r1 + 12)\nr7 = *(u32 *)(r1 + 12)\nif r7 == 0 goto a\nr8 = r6\nr1 = 0\nr1 = 0\nr1 = 0\nr1 = 0\nr1 = 0\ngoto l\na:\n${other}l:\nif r6 > 7 goto out\nr1 = r10\nr1 += -16\nr1 += r8\nr0 = 0\n*(u8 *)(r1 + 0) = r0\nout:\nr0 = 0\nexit`;

const PRECISION: readonly Case[] = [
  { name: "precision through a copy", asm: viaCheckpoint(`r5 = r4\n${WRITE_R5}`), reject: /invalid write to stack R1 off=992 size=1/ },
  { name: "precision through a 32-bit copy", asm: viaCheckpoint(`w5 = w4\n${WRITE_R5}`), reject: /invalid write to stack R1 off=992 size=1/ },
  { name: "precision through an add", asm: viaCheckpoint(`r5 = 0\nr5 += r4\n${WRITE_R5}`), reject: /invalid write to stack R1 off=992 size=1/ },
  { name: "precision through a multiply", asm: viaCheckpoint(`r5 = 1\nr5 *= r4\n${WRITE_R5}`), reject: /invalid write to stack R1 off=992 size=1/ },
  { name: "precision through a spill", asm: viaCheckpoint(`r5 = *(u64 *)(r10 - 16)\n${WRITE_R5}`, 1000, "*(u64 *)(r10 - 16) = r4\n", "*(u64 *)(r10 - 16) = r4\n"), reject: /invalid write to stack R1 off=992 size=1/ },
  { name: "precision through a 32-bit spill", asm: viaCheckpoint(`r5 = *(u32 *)(r10 - 16)\n${WRITE_R5}`, 1000, "*(u32 *)(r10 - 16) = r4\n", "*(u32 *)(r10 - 16) = r4\n"), reject: /invalid write to stack R1 off=992 size=1/ },
  { name: "precision through a branch the constants decide", asm: viaCheckpoint("r5 = r4\nif r5 == 0 goto +3\nr2 = 0\nr0 = *(u64 *)(r2 + 0)\nexit\nr0 = 0\nexit", 5), reject: /R2 invalid mem access 'scalar'/ },
  { name: "precision of a helper's size argument", asm: viaCheckpoint("r1 = 0\n*(u64 *)(r10 - 8) = r1\nr3 = r4\nr3 += 8\nr1 = map[rb] ll\nr2 = r10\nr2 += -8\nr4 = 0\ncall 130\nr0 = 0\nexit", 8), reject: /invalid (indirect )?read from stack R2 off=-8(\+0)? size=16|invalid indirect access to stack R2 off=-8 size=16/ },
  { name: "precision at a subprogram's return", asm: viaCheckpoint("r1 = r4\ncall f\nr5 = r0\n" + WRITE_R5 + "\nf:\nr0 = r1\nexit"), reject: /invalid write to stack R1 off=992 size=1/ },
  { name: "precision through linked copies", asm: LINKED("call 7\nr8 = r0\nr9 = r0\n"), reject: /math between fp pointer and register with unbounded min value is not allowed/ },
  { name: "linked copies kept apart, both safe", asm: LINKED("r8 = r6\nr9 = r6\n"), accept: true },
  { name: "a copy of an unchecked index is refused after pruning", asm: viaCheckpoint("r5 = r4\nr5 &= 0xfff\n" + WRITE_R5, 0x800), reject: /invalid write to stack R1 off=2040 size=1/ },
  // Stack liveness: at `l` the safe path's fp-16 holds a stack pointer, the other's a number. A
  // finished checkpoint forgets only the slots no later insn reads (clean_live_states), so these
  // reads keep fp-16 compared and the number reaches the dereference; a slot overwritten before
  // any read is forgotten, and the path is pruned.
  { name: "a slot read after the join is not forgotten", asm: viaCheckpoint("r2 = *(u64 *)(r10 - 16)\nr0 = *(u8 *)(r2 - 1)\nr0 = 0\nexit", 1000, "*(u64 *)(r10 - 16) = r4\n", "*(u64 *)(r10 - 16) = r10\n"), reject: /R2 invalid mem access 'scalar'/ },
  { name: "a slot a subprogram reads through a pointer is not forgotten", asm: viaCheckpoint("r1 = r10\nr1 += -16\ncall f\nr0 = 0\nexit\nf:\nr2 = *(u64 *)(r1 + 0)\nr0 = *(u8 *)(r2 - 1)\nr0 = 0\nexit", 1000, "*(u64 *)(r10 - 16) = r4\n", "*(u64 *)(r10 - 16) = r10\n"), reject: /R2 invalid mem access 'scalar'/ },
  { name: "a slot a helper reads is not forgotten", asm: viaCheckpoint("r1 = map[hash8] ll\nr2 = r10\nr2 += -16\ncall 1\nr0 = 0\nexit", 1000, "", "r2 = 0\n*(u64 *)(r10 - 16) = r2\n"), type: "socket_filter", reject: /invalid read from stack R2 off=-16 size=4/, unpriv: true },
  { name: "a slot overwritten before any read is forgotten", asm: viaCheckpoint("r2 = 0\n*(u64 *)(r10 - 16) = r2\nr0 = *(u64 *)(r10 - 16)\nexit", 1000, "*(u64 *)(r10 - 16) = r4\n", "*(u64 *)(r10 - 16) = r10\n"), accept: true },
  // A plain write into a slot holding a spill makes all its bytes misc data, zeros too (scrub_spilled_slot).
  { name: "zero bytes beside a spill are misc after a write into the slot", asm: "r1 = 0\n*(u32 *)(r10 - 4) = r1\nr2 = 5\n*(u16 *)(r10 - 8) = r2\n*(u8 *)(r10 - 5) = r2\nr6 = *(u32 *)(r10 - 4)\nr1 = 0\n*(u32 *)(r10 - 16) = r1\nr2 = r10\nr2 += -16\nr1 = map[arr8] ll\ncall 1\nif r0 == 0 goto +3\nr0 += r6\nr0 = *(u8 *)(r0 + 0)\nexit\nr0 = 0\nexit", reject: /R0 unbounded memory access|invalid access to map value/ },
  // can_elide_value_nullness: an array lookup with a constant key below max_entries (arr8: 4) finds a value.
  { name: "an array lookup with a constant key needs no NULL check", asm: "r1 = 3\n*(u32 *)(r10 - 8) = r1\nr2 = r10\nr2 += -8\nr1 = map[arr8] ll\ncall 1\nr0 = *(u64 *)(r0 + 0)\nexit", accept: true },
  { name: "an array key stored off a slot's start is not known", asm: "r1 = 3\n*(u32 *)(r10 - 4) = r1\nr2 = r10\nr2 += -4\nr1 = map[arr8] ll\ncall 1\nr0 = *(u64 *)(r0 + 0)\nexit", reject: /R0 invalid mem access 'map_value_or_null'/ },
  { name: "an array lookup with a zero key stored as an immediate needs no NULL check", asm: "*(u32 *)(r10 - 4) = 0\nr2 = r10\nr2 += -4\nr1 = map[arr8] ll\ncall 1\nr0 = *(u64 *)(r0 + 0)\nexit", accept: true },
  { name: "an array lookup with a key past max_entries may fail", asm: "r1 = 4\n*(u32 *)(r10 - 4) = r1\nr2 = r10\nr2 += -4\nr1 = map[arr8] ll\ncall 1\nr0 = *(u64 *)(r0 + 0)\nexit", reject: /R0 invalid mem access 'map_value_or_null'/ },
  { name: "a hash lookup with a constant key may fail", asm: "r1 = 0\n*(u32 *)(r10 - 4) = r1\nr2 = r10\nr2 += -4\nr1 = map[hash8] ll\ncall 1\nr0 = *(u64 *)(r0 + 0)\nexit", reject: /R0 invalid mem access 'map_value_or_null'/ },
  { name: "an array key stored in 8 bytes for a 4-byte key is not taken", asm: "r1 = 0\n*(u64 *)(r10 - 8) = r1\nr2 = r10\nr2 += -8\nr1 = map[arr8] ll\ncall 1\nr0 = *(u64 *)(r0 + 0)\nexit", reject: /R0 invalid mem access 'map_value_or_null'/ },
  { name: "a constant array key is precise: the path with a key out of range is not pruned", asm: viaCheckpoint("*(u32 *)(r10 - 16) = r4\nr2 = r10\nr2 += -16\nr1 = map[arr8] ll\ncall 1\nr0 = *(u64 *)(r0 + 0)\nexit"), reject: /R0 invalid mem access 'map_value_or_null'/ },
];

export const CASES: readonly Case[] = [
  // ---- control flow (check_cfg, check_subprogs) ----
  { name: "jump past the end", asm: "goto +5\nexit", reject: /jump out of range from insn 0 to 6/ },
  { name: "jump before the start", asm: "r0 = 0\ngoto -3\nexit", reject: /jump out of range from insn 1 to -1/ },
  { name: "unreachable instruction", asm: "r0 = 0\nexit\nr0 = 1\nexit", reject: /unreachable insn 2/ },
  { name: "falls off the end", asm: "r0 = 0\nr0 += 1", reject: /last insn is not an exit or jmp/ },
  { name: "jump into a 64-bit load", asm: "r0 = 0\nif r1 == 0 goto +1\nr0 = 1 ll\nexit", reject: /jump into the middle of ldimm64 insn 2/ },
  { name: "infinite loop", asm: "r0 = 0\nl:\ngoto l", reject: /infinite loop detected at insn 1/ },
  { name: "loop whose counter never reaches the bound", asm: "r0 = 0\nl:\nr0 += 0\nif r0 < 10 goto l\nexit", reject: /infinite loop detected/ },
  { name: "a loop too long to verify", asm: "r0 = 0\nl:\nr0 += 1\nif r0 < 2000000 goto l\nexit", reject: /BPF program is too large/ },
  { name: "a bounded loop", asm: "r0 = 0\nl:\nr0 += 1\nif r0 < 100 goto l\nexit", accept: true },
  { name: "a loop bounded by may_goto", asm: "r0 = 0\nl:\nmay_goto +2\nr0 += 1\ngoto l\nexit", accept: true },
  { name: "a branch the constants decide hides a bad load", asm: "r0 = 0\nif r0 == 0 goto +1\nr0 = *(u64 *)(r0 + 0)\nexit", accept: true },

  // ---- registers ----
  { name: "read of an unset register", asm: "r0 = r2\nexit", reject: /R2 !read_ok/ },
  { name: "exit with r0 unset", asm: "exit", reject: /R0 !read_ok/ },
  { name: "unset source of an add", asm: "r0 = 0\nr0 += r3\nexit", reject: /R3 !read_ok/ },
  { name: "unset base of a load", asm: "r0 = *(u64 *)(r5 + 0)\nexit", reject: /R5 !read_ok/ },
  { name: "unset value of a store", asm: "*(u64 *)(r10 - 8) = r7\nr0 = 0\nexit", reject: /R7 !read_ok/ },
  { name: "the frame pointer is read only", asm: "r10 = 0\nr0 = 0\nexit", reject: /frame pointer is read only/ },
  { name: "helper calls clobber r1-r5", asm: "call 5\nr0 = r1\nexit", reject: /R1 !read_ok/ },
  { name: "r6-r9 survive helper calls", asm: "r6 = 7\ncall 5\nr0 = r6\nexit", accept: true },

  // ---- the stack ----
  { name: "store below the stack", asm: "r0 = 0\n*(u64 *)(r10 - 520) = r0\nexit", reject: /invalid write to stack R10 off=-520 size=8/ },
  { name: "store above the frame", asm: "r0 = 0\n*(u64 *)(r10 + 0) = r0\nexit", reject: /invalid write to stack R10 off=0 size=8/ },
  { name: "load above the frame", asm: "r0 = *(u32 *)(r10 + 8)\nexit", reject: /invalid read from stack R10 off=8 size=4/ },
  { name: "misaligned stack store", asm: "r0 = 0\n*(u32 *)(r10 - 6) = r0\nexit", reject: /misaligned stack access off/ },
  { name: "root may read uninitialised stack", asm: "r0 = *(u64 *)(r10 - 8)\nexit", accept: true },
  { name: "a spilled pointer filled by halves", asm: "*(u64 *)(r10 - 8) = r1\nr0 = *(u32 *)(r10 - 8)\nexit", reject: /invalid size of register fill/ },
  { name: "a spilled pointer comes back a pointer", asm: "*(u64 *)(r10 - 8) = r1\nr1 = *(u64 *)(r10 - 8)\nr0 = *(u32 *)(r1 + 16)\nexit", accept: true },
  { name: "a spilled scalar comes back a scalar", asm: "r1 = 5\n*(u64 *)(r10 - 8) = r1\nr2 = *(u64 *)(r10 - 8)\nr0 = *(u64 *)(r2 + 0)\nexit", reject: /R2 invalid mem access 'scalar'/ },
  { name: "the whole stack", asm: "r0 = 0\n*(u64 *)(r10 - 512) = r0\nexit", accept: true },

  // ---- pointer arithmetic ----
  { name: "32-bit arithmetic on a pointer", asm: "w1 += 1\nr0 = 0\nexit", reject: /R1 32-bit pointer arithmetic prohibited/ },
  { name: "and on a pointer", asm: "r1 &= 1\nr0 = 0\nexit", reject: /R1 bitwise operator &= on pointer prohibited/ },
  { name: "multiply a pointer", asm: "r1 *= 2\nr0 = 0\nexit", reject: /R1 pointer arithmetic with \*= operator prohibited/ },
  { name: "arithmetic on pkt_end", asm: "r2 = *(u32 *)(r1 + 4)\nr2 += 1\nr0 = 0\nexit", reject: /R2 pointer arithmetic on pkt_end prohibited/ },
  { name: "scalar minus pointer", asm: "r0 = 0\nr0 -= r1\nexit", reject: /R0 tried to subtract pointer from scalar/ },
  // scalar op pointer goes through adjust_ptr_min_max_vals with the pointer as the base: only += makes a pointer.
  { name: "scalar times pointer", asm: "r2 = 5\nr2 *= r1\nr0 = 0\nexit", reject: /R2 pointer arithmetic with \*= operator prohibited/ },
  { name: "scalar and pointer", asm: "r2 = 5\nr2 &= r1\nr0 = 0\nexit", reject: /R2 bitwise operator &= on pointer prohibited/ },
  { name: "scalar times a maybe-NULL pointer", asm: `${LOOKUP}\nr2 = 5\nr2 *= r0\nr0 = 0\nexit`, reject: /R2 pointer arithmetic on map_value_or_null prohibited, null-check it first/ },
  { name: "32-bit scalar minus pointer is a scalar for root", asm: "r0 = 0\nw0 -= w1\nr0 = 0\nexit", accept: true },
  { name: "32-bit pointer minus a constant is a scalar for root", asm: "w1 -= 4\nr0 = 0\nexit", accept: true },
  { name: "pointer minus pointer is a number", asm: "r2 = r1\nr2 -= r1\nr0 = *(u8 *)(r2 + 0)\nexit", reject: /R2 invalid mem access 'scalar'/ },
  { name: "load through a number", asm: "r0 = 0\nr0 = *(u64 *)(r0 + 0)\nexit", reject: /R0 invalid mem access 'scalar'/ },
  { name: "arithmetic on a map pointer", asm: "r1 = map[hash8] ll\nr1 += 8\nr0 = 0\nexit", reject: /R1 pointer arithmetic on map_ptr prohibited/ },
  { name: "root may negate a pointer into a number", asm: "r1 = -r1\nr0 = 0\nexit", accept: true },
  { name: "a negated pointer is a number", asm: "r1 = -r1\nr0 = *(u8 *)(r1 + 0)\nexit", reject: /R1 invalid mem access 'scalar'/ },
  { name: "pointer plus an unbounded number", asm: "r2 = *(u32 *)(r1 + 0)\nr3 = *(u64 *)(r10 - 8)\nr2 += r3\nr0 = 0\nexit", reject: /math between pkt pointer and register with unbounded min value is not allowed/ },

  // ---- the context ----
  { name: "a modified context pointer", asm: "r1 += 4\nr0 = *(u32 *)(r1 + 0)\nexit", reject: /dereference of modified ctx ptr R1 off=4 disallowed/ },
  { name: "a context offset past xdp_md", asm: "r0 = *(u32 *)(r1 + 100)\nexit", reject: /invalid bpf_context access off=100 size=4/ },
  { name: "a write into xdp_md", asm: "r0 = 0\n*(u32 *)(r1 + 0) = r0\nexit", reject: /invalid bpf_context access off=0 size=4/ },
  { name: "a narrow load of xdp_md.data", asm: "r0 = *(u16 *)(r1 + 0)\nexit", reject: /invalid bpf_context access off=0 size=2/ },
  { name: "a socket filter reads skb->len", type: "socket_filter", asm: "r0 = *(u32 *)(r1 + 0)\nexit", accept: true },
  { name: "a socket filter may not read skb->data", type: "socket_filter", asm: "r0 = *(u32 *)(r1 + 76)\nexit", reject: /invalid bpf_context access off=76 size=4/ },

  // ---- packets ----
  { name: "a packet read without a bound", asm: "r2 = *(u32 *)(r1 + 0)\nr0 = *(u8 *)(r2 + 0)\nexit", reject: /invalid access to packet, off=0 size=1, R2\(id=0,off=0,r=0\)/ },
  { name: "a packet read within its bound", asm: `${PKT}\nr0 = 0\nif r4 > r3 goto +1\nr0 = *(u64 *)(r2 + 0)\nexit`, accept: true },
  { name: "a packet read past its bound", asm: `${PKT}\nr0 = 0\nif r4 > r3 goto +1\nr0 = *(u8 *)(r2 + 8)\nexit`, reject: /invalid access to packet, off=8 size=1, R2\(id=0,off=8,r=8\)\nR2 offset is outside of the packet/ },
  { name: "a packet read on the wrong side of the bound", asm: `${PKT}\nr0 = 0\nif r4 <= r3 goto +1\nr0 = *(u8 *)(r2 + 0)\nexit`, reject: /invalid access to packet, off=0 size=1, R2\(id=0,off=0,r=0\)/ },
  { name: "a bound by data_end on the left", asm: `${PKT}\nr0 = 0\nif r3 < r4 goto +1\nr0 = *(u32 *)(r2 + 4)\nexit`, accept: true },
  { name: "a packet write from xdp", asm: `${PKT}\nr0 = 0\nif r4 > r3 goto +1\n*(u8 *)(r2 + 0) = r0\nexit`, accept: true },
  { name: "a packet pointer with a variable offset needs its own bound", asm: `${PKT}\nr0 = 0\nif r4 > r3 goto +3\nr5 = *(u8 *)(r2 + 0)\nr2 += r5\nr0 = *(u8 *)(r2 + 0)\nexit`, reject: /invalid access to packet, off=0 size=1, R2\(id=\d+,off=0,r=0\)/ },
  { name: "a packet pointer with a checked variable offset", asm: `${PKT}\nr0 = 0\nif r4 > r3 goto +6\nr5 = *(u8 *)(r2 + 0)\nr2 += r5\nr4 = r2\nr4 += 2\nif r4 > r3 goto +1\nr0 = *(u16 *)(r2 + 0)\nexit`, accept: true },
  { name: "a helper that moves the packet invalidates pointers", asm: `${PKT}\nr6 = r1\nr0 = 0\nif r4 > r3 goto +5\nr7 = r2\nr1 = r6\nr2 = 0\ncall 44\nr0 = *(u8 *)(r7 + 0)\nexit`, reject: /R7 invalid mem access 'scalar'/ },

  // ---- maps ----
  { name: "a map value used without a NULL check", asm: `${LOOKUP}\nr0 = *(u64 *)(r0 + 0)\nexit`, reject: /R0 invalid mem access 'map_value_or_null'/ },
  { name: "a map value after a NULL check", asm: `${LOOKUP}\nif r0 == 0 goto +1\nr0 = *(u64 *)(r0 + 0)\nexit`, accept: true },
  { name: "the NULL check reaches copies", asm: `${LOOKUP}\nr6 = r0\nif r0 == 0 goto +1\nr0 = *(u64 *)(r6 + 0)\nexit`, accept: true },
  { name: "the NULL edge of the check", asm: `${LOOKUP}\nif r0 != 0 goto +1\nr0 = *(u64 *)(r0 + 0)\nexit`, reject: /R0 invalid mem access 'scalar'/ },
  { name: "a map value read past its end", asm: `${LOOKUP}\nif r0 == 0 goto +1\nr0 = *(u64 *)(r0 + 8)\nexit`, reject: /invalid access to map value, value_size=8 off=8 size=8/ },
  { name: "a map value read before its start", asm: `${LOOKUP}\nif r0 == 0 goto +1\nr0 = *(u8 *)(r0 - 1)\nexit`, reject: /invalid access to map value, value_size=8 off=-1 size=1/ },
  { name: "arithmetic on a maybe-NULL map value", asm: `${LOOKUP}\nr0 += 1\nexit`, reject: /R0 pointer arithmetic on map_value_or_null prohibited, null-check it first/ },
  { name: "a map value with an unbounded index", asm: `${LOOKUP}\nif r0 == 0 goto +3\nr1 = *(u64 *)(r0 + 0)\nr0 += r1\nr0 = *(u8 *)(r0 + 0)\nexit`, reject: /math between map_value pointer and register with unbounded min value is not allowed/ },
  { name: "a map value with an index bounded by a mask", asm: `${LOOKUP}\nif r0 == 0 goto +4\nr1 = *(u64 *)(r0 + 0)\nr1 &= 7\nr0 += r1\nr0 = *(u8 *)(r0 + 0)\nexit`, accept: true },
  { name: "a map value with an index bounded too loosely", asm: `${LOOKUP}\nif r0 == 0 goto +4\nr1 = *(u64 *)(r0 + 0)\nr1 &= 7\nr0 += r1\nr0 = *(u16 *)(r0 + 0)\nexit`, reject: /invalid access to map value, value_size=8 off=7 size=2/ },
  { name: "a map value with an index bounded by a comparison", asm: `${LOOKUP}\nif r0 == 0 goto +5\nr1 = *(u64 *)(r0 + 0)\nif r1 > 60 goto +3\nr0 += r1\nr0 = *(u8 *)(r0 + 0)\nexit\nr0 = 0\nexit`, reject: /invalid access to map value, value_size=8 off=60 size=1/ },
  { name: "a write into a read-only map", asm: `r1 = 0\n*(u32 *)(r10 - 4) = r1\nr2 = r10\nr2 += -4\nr1 = map[ro] ll\ncall 1\nif r0 == 0 goto +2\nr1 = 1\n*(u64 *)(r0 + 0) = r1\nr0 = 0\nexit`, reject: /write into map forbidden, value_size=8 off=0 size=8/ },
  { name: "a number where a map belongs", asm: "r1 = 0\nr2 = r10\nr2 += -8\ncall 1\nr0 = 0\nexit", reject: /R1 type=scalar expected=map_ptr/ },
  { name: "a number where a key belongs", asm: "r1 = map[hash8] ll\nr2 = 0\ncall 1\nr0 = 0\nexit", reject: /R2 type=scalar expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf/ },
  { name: "a key that does not fit the stack", asm: "r1 = map[hash8] ll\nr2 = r10\nr2 += -2\ncall 1\nr0 = 0\nexit", reject: /invalid (indirect access to|read from) stack R2 off=-2 size=4|invalid stack type R2/, kernel: /stack R2 off=-2|access_size=4/ },
  { name: "a map update with a value on the stack", asm: "r1 = 0\n*(u32 *)(r10 - 4) = r1\n*(u64 *)(r10 - 16) = r1\nr1 = map[hash8] ll\nr2 = r10\nr2 += -4\nr3 = r10\nr3 += -16\nr4 = 0\ncall 2\nr0 = 0\nexit", accept: true },
  { name: "a map value pointer as a key", asm: `${LOOKUP}\nif r0 == 0 goto +4\nr2 = r0\nr1 = map[hash8] ll\ncall 3\nr0 = 0\nexit`, accept: true },

  // ---- helpers ----
  { name: "an unknown helper", asm: "call 9999\nr0 = 0\nexit", reject: /invalid func unknown#9999/ },
  { name: "a helper of another program type", asm: "r2 = 0\nr3 = r10\nr3 += -8\nr4 = 8\ncall 26\nr0 = 0\nexit", reject: /program of this type cannot use helper bpf_skb_load_bytes#26/ },
  { name: "a GPL-only helper from an MIT program", license: "MIT", asm: "r1 = r10\nr1 += -8\nr2 = 8\nr3 = 0\ncall 113\nr0 = 0\nexit", reject: /cannot call GPL-restricted function from non-GPL compatible program/ },
  { name: "a helper buffer size that may be negative", asm: "r2 = *(u64 *)(r10 - 16)\nr1 = r10\nr1 += -8\nr3 = 0\ncall 113\nr0 = 0\nexit", reject: /R2 min value is negative, either use unsigned or 'var &= const'/ },
  { name: "a helper buffer size without a bound", asm: "r2 = *(u32 *)(r1 + 12)\nr1 = r10\nr1 += -8\nr3 = 0\ncall 113\nr0 = 0\nexit", reject: /R2 unbounded memory access, use 'var &= const' or 'if \(var < const\)'/ },
  { name: "a helper buffer past the stack", asm: "r1 = r10\nr1 += -8\nr2 = 16\nr3 = 0\ncall 113\nr0 = 0\nexit", reject: /invalid (indirect )?access to stack R1 off=-8 size=16|invalid write to stack/, kernel: /stack R1 off=-8|access_size=16/ },
  { name: "a helper buffer size bounded by a mask", asm: "r2 = *(u64 *)(r10 - 16)\nr2 &= 7\nr1 = r10\nr1 += -8\nr3 = 0\ncall 113\nr0 = 0\nexit", accept: true },
  { name: "the stack where a context belongs", asm: "r1 = r10\nr2 = map[progs] ll\nr3 = 0\ncall 12\nr0 = 0\nexit", reject: /R1 type=fp expected=ctx/ },
  { name: "a tail call", asm: "r2 = map[progs] ll\nr3 = 0\ncall 12\nr0 = 0\nexit", accept: true },

  // ---- references ----
  { name: "a ring buffer record never submitted", asm: "r1 = map[rb] ll\nr2 = 8\nr3 = 0\ncall 131\nr0 = 0\nexit", reject: /Unreleased reference id=\d+ alloc_insn=4/ },
  { name: "a ring buffer record used without a NULL check", asm: "r1 = map[rb] ll\nr2 = 8\nr3 = 0\ncall 131\nr1 = 0\n*(u64 *)(r0 + 0) = r1\nr0 = 0\nexit", reject: /R0 invalid mem access 'ringbuf_mem_or_null'/ },
  { name: "a ring buffer record submitted", asm: "r1 = map[rb] ll\nr2 = 8\nr3 = 0\ncall 131\nif r0 == 0 goto +5\nr1 = 7\n*(u64 *)(r0 + 0) = r1\nr1 = r0\nr2 = 0\ncall 132\nr0 = 0\nexit", accept: true },
  { name: "a ring buffer record discarded", asm: "r1 = map[rb] ll\nr2 = 8\nr3 = 0\ncall 131\nif r0 == 0 goto +3\nr1 = r0\nr2 = 0\ncall 133\nr0 = 0\nexit", accept: true },
  { name: "a ring buffer record written past its end", asm: "r1 = map[rb] ll\nr2 = 8\nr3 = 0\ncall 131\nif r0 == 0 goto +5\nr1 = 7\n*(u64 *)(r0 + 8) = r1\nr1 = r0\nr2 = 0\ncall 132\nr0 = 0\nexit", reject: /invalid access to memory, mem_size=8 off=8 size=8/ },
  { name: "a ring buffer record of unknown size", asm: "r2 = *(u64 *)(r10 - 8)\nr1 = map[rb] ll\nr3 = 0\ncall 131\nr0 = 0\nexit", reject: /R2 is not a known constant/ },
  { name: "a ring buffer record submitted twice", asm: "r1 = map[rb] ll\nr2 = 8\nr3 = 0\ncall 131\nif r0 == 0 goto +7\nr6 = r0\nr1 = r0\nr2 = 0\ncall 132\nr1 = r6\nr2 = 0\ncall 132\nr0 = 0\nexit", reject: /R1 type=scalar expected=ringbuf_mem|R1 !read_ok/ },
  { name: "a stack pointer where a record belongs", asm: "r1 = r10\nr1 += -8\nr2 = 0\ncall 132\nr0 = 0\nexit", reject: /R1 type=fp expected=ringbuf_mem/ },

  // ---- division and shifts ----
  { name: "division by a zero constant", asm: "r0 = 1\nr0 /= 0\nexit", reject: /div by zero/ },
  { name: "modulo by a zero constant", asm: "r0 = 1\nr0 %= 0\nexit", reject: /div by zero/ },
  { name: "32-bit division by a zero constant", asm: "w0 = 1\nw0 /= 0\nexit", reject: /div by zero/ },
  { name: "division by a register", asm: "r0 = 1\nr1 = *(u32 *)(r1 + 12)\nr0 /= r1\nexit", accept: true },
  { name: "a 64-bit shift by 64", asm: "r0 = 1\nr0 <<= 64\nexit", reject: /invalid shift 64/ },
  { name: "a 32-bit shift by 32", asm: "w0 = 1\nw0 >>= 32\nexit", reject: /invalid shift 32/ },
  { name: "an arithmetic shift by 63", asm: "r0 = 1\nr0 s>>= 63\nexit", accept: true },

  // ---- return values ----
  { name: "a cgroup_skb program returns 2", type: "cgroup_skb", asm: "r0 = 7\nexit", reject: /At program exit the register R0 has smin=7 smax=7 should have been in \[0, \d\]/ },
  { name: "a cgroup_skb program returns an unknown", type: "cgroup_skb", asm: "r0 = *(u32 *)(r1 + 0)\nexit", reject: /At program exit the register R0 has (unknown scalar value|smin=0 smax=4294967295) should have been in \[0, \d\]/ },
  { name: "a cgroup_skb program returns a pointer", type: "cgroup_skb", asm: "r0 = r1\nexit", reject: /At program exit the register R0 is not a known value \(ctx\)/ },
  { name: "a cgroup_skb program returns a bounded value", type: "cgroup_skb", asm: "r0 = *(u32 *)(r1 + 0)\nr0 &= 1\nexit", accept: true },
  { name: "xdp returns anything", asm: "r0 = *(u32 *)(r1 + 12)\nexit", accept: true },

  // ---- bpf-to-bpf calls ----
  { name: "a subprogram call", asm: "r1 = 1\ncall f\nexit\nf:\nr0 = r1\nexit", accept: true },
  // bpf_fastcall: spills and fills around a call the kernel inlines are removed, with their slots.
  { name: "bpf_fastcall spills around bpf_get_smp_processor_id take no stack", asm: FASTCALL_SUB("*(u64 *)(r10 - 8) = r1\ncall 8\nr1 = *(u64 *)(r10 - 8)\nr0 = 0"), accept: true },
  { name: "a bpf_fastcall slot read outside the pattern keeps it", asm: FASTCALL_SUB("*(u64 *)(r10 - 8) = r1\ncall 8\nr1 = *(u64 *)(r10 - 8)\nr0 = *(u64 *)(r10 - 8)"), reject: /combined stack size of 2 calls is 528. Too large/ },
  { name: "spills around a helper that is not bpf_fastcall take stack", asm: FASTCALL_SUB("*(u64 *)(r10 - 8) = r1\ncall 7\nr1 = *(u64 *)(r10 - 8)\nr0 = 0"), reject: /combined stack size of 2 calls is 528. Too large/ },
  { name: "a subprogram reads the caller's r6", asm: "r6 = 1\ncall f\nexit\nf:\nr0 = r6\nexit", reject: /R6 !read_ok/ },
  { name: "a subprogram returns nothing", asm: "call f\nexit\nf:\nexit", reject: /R0 !read_ok/ },
  { name: "r1-r5 after a subprogram returns", asm: "r1 = 1\ncall f\nr0 = r1\nexit\nf:\nr0 = 0\nexit", reject: /R1 !read_ok/ },
  { name: "nine frames", asm: "call a\nexit\na:\ncall b\nexit\nb:\ncall c\nexit\nc:\ncall d\nexit\nd:\ncall e\nexit\ne:\ncall f\nexit\nf:\ncall g\nexit\ng:\ncall h\nexit\nh:\nr0 = 0\nexit", reject: /the call stack of 9 frames is too deep/ },
  { name: "eight frames", asm: "call a\nexit\na:\ncall b\nexit\nb:\ncall c\nexit\nc:\ncall d\nexit\nd:\ncall e\nexit\ne:\ncall f\nexit\nf:\ncall g\nexit\ng:\nr0 = 0\nexit", accept: true },
  { name: "stack over 512 bytes across calls", asm: "r1 = 0\n*(u64 *)(r10 - 512) = r1\ncall f\nexit\nf:\nr1 = 0\n*(u64 *)(r10 - 8) = r1\nr0 = 0\nexit", reject: /combined stack size of 2 calls is 528. Too large/ },
  { name: "a subprogram writes through the caller's stack", asm: "r1 = r10\nr1 += -8\ncall f\nr0 = *(u64 *)(r10 - 8)\nexit\nf:\nr2 = 3\n*(u64 *)(r1 + 0) = r2\nr0 = 0\nexit", accept: true },

  // ---- atomics ----
  { name: "an atomic add on the stack", asm: "r1 = 0\n*(u64 *)(r10 - 8) = r1\nr1 = 1\nlock *(u64 *)(r10 - 8) += r1\nr0 = 0\nexit", accept: true },
  { name: "an atomic add on the context", asm: "r2 = 1\nlock *(u32 *)(r1 + 0) += r2\nr0 = 0\nexit", reject: /BPF_ATOMIC stores into R1 ctx is not allowed/ },
  { name: "an atomic add on a map value", asm: `${LOOKUP}\nif r0 == 0 goto +2\nr1 = 1\nlock *(u64 *)(r0 + 0) += r1\nr0 = 0\nexit`, accept: true },
  { name: "an atomic add past a map value", asm: `${LOOKUP}\nif r0 == 0 goto +2\nr1 = 1\nlock *(u64 *)(r0 + 4) += r1\nr0 = 0\nexit`, reject: /misaligned value access off 0\+0\+4 size 8/ },

  // ---- legacy packet loads ----
  { name: "an ld_abs in xdp", asm: "r6 = r1\nr0 = *(u8 *)skb[0]\nexit", reject: /BPF_LD_\[ABS\|IND\] instructions not allowed for this program type/ },
  { name: "an ld_abs without the context in r6", type: "socket_filter", asm: "r6 = 0\nr0 = *(u8 *)skb[0]\nexit", reject: /at the time of BPF_LD_ABS\|IND R6 != pointer to skb/ },
  { name: "an ld_abs in a socket filter", type: "socket_filter", asm: "r6 = r1\nr0 = *(u8 *)skb[12]\nexit", accept: true },
  // ---- more program types ----
  { name: "a tc program reads the packet within its bound", type: "sched_cls", asm: "r2 = *(u32 *)(r1 + 76)\nr3 = *(u32 *)(r1 + 80)\nr4 = r2\nr4 += 4\nr0 = 0\nif r4 > r3 goto +1\nr0 = *(u32 *)(r2 + 0)\nexit", accept: true },
  { name: "a tc program reads the packet without a bound", type: "sched_cls", asm: "r2 = *(u32 *)(r1 + 76)\nr0 = *(u32 *)(r2 + 0)\nexit", reject: /invalid access to packet, off=0 size=4, R2\(id=0,off=0,r=0\)/ },
  { name: "a tc program sets skb->mark", type: "sched_cls", asm: "r2 = 1\n*(u32 *)(r1 + 8) = r2\nr0 = 0\nexit", accept: true },
  { name: "a socket filter may not set skb->mark", type: "socket_filter", asm: "r2 = 1\n*(u32 *)(r1 + 8) = r2\nr0 = 0\nexit", reject: /invalid bpf_context access off=8 size=4/ },
  { name: "a socket filter writes skb->cb", type: "socket_filter", asm: "r2 = 1\n*(u32 *)(r1 + 48) = r2\nr0 = *(u32 *)(r1 + 48)\nexit", accept: true },
  { name: "a kprobe reads pt_regs", type: "kprobe", asm: "r0 = *(u64 *)(r1 + 0)\nexit", accept: true },
  { name: "a kprobe may not write pt_regs", type: "kprobe", asm: "r0 = 0\n*(u64 *)(r1 + 0) = r0\nexit", reject: /invalid bpf_context access off=0 size=8/ },
  { name: "a kprobe asks for the task's comm", type: "kprobe", asm: "r1 = r10\nr1 += -16\nr2 = 16\ncall 16\nr0 = 0\nexit", accept: true },
  { name: "xdp reads data_meta below data", asm: "r2 = *(u32 *)(r1 + 8)\nr3 = *(u32 *)(r1 + 0)\nr4 = r2\nr4 += 4\nr0 = 0\nif r4 > r3 goto +1\nr0 = *(u32 *)(r2 + 0)\nexit", accept: true },
  { name: "xdp reads data_meta without a bound", asm: "r2 = *(u32 *)(r1 + 8)\nr0 = *(u32 *)(r2 + 0)\nexit", reject: /invalid access to packet, off=0 size=4, R2\(id=0,off=0,r=0\)/ },
  { name: "a store of an immediate into the context", asm: "*(u32 *)(r1 + 0) = 0\nr0 = 0\nexit", reject: /BPF_ST stores into R1 ctx is not allowed|invalid bpf_context access/ },
  { name: "root may read the map struct through a map pointer", asm: "r1 = map[hash8] ll\nr0 = *(u64 *)(r1 + 0)\nexit", accept: true },
  { name: "a map pointer read before the struct", asm: "r1 = map[hash8] ll\nr0 = *(u64 *)(r1 - 8)\nexit", reject: /invalid negative access: off=-8/ },
  { name: "a store through pkt_end", asm: "r2 = *(u32 *)(r1 + 4)\nr0 = 0\n*(u8 *)(r2 + 0) = r0\nexit", reject: /R2 invalid mem access 'pkt_end'/ },
  { name: "a context pointer with a variable offset", asm: "r2 = *(u32 *)(r1 + 12)\nr2 &= 4\nr1 += r2\nr0 = *(u32 *)(r1 + 0)\nexit", reject: /variable ctx access var_off=\(0x0; 0x4\) disallowed/ },
  { name: "a socket from a sockmap lookup released", asm: `${SOCK_LOOKUP}\nif r0 == 0 goto +3\nr1 = r0\ncall 86\nr0 = 2\nexit`, accept: true },
  { name: "a socket from a sockmap lookup never released", asm: `${SOCK_LOOKUP}\nif r0 == 0 goto +1\nr0 = *(u32 *)(r0 + 4)\nr0 = 2\nexit`, reject: /Unreleased reference id=\d+ alloc_insn=\d+/ },
  { name: "a socket from a sockmap lookup read unchecked", asm: `${SOCK_LOOKUP}\nr1 = *(u32 *)(r0 + 4)\nr0 = 2\nexit`, reject: /R0 invalid mem access 'map_value_or_null'/ },
  { name: "a context pointer plus a variable offset to an ARG_ANYTHING helper", asm: "r6 = r1\nr2 = *(u32 *)(r6 + 12)\nr2 &= 0xff\nr3 = r6\nr3 += r2\nr1 = r10\nr1 += -8\nr2 = 8\ncall 113\nr0 = 2\nexit", accept: true },
  { name: "a context pointer with a variable offset to a ctx argument", asm: "r2 = *(u32 *)(r1 + 12)\nr2 &= 4\nr1 += r2\nr2 = 0\ncall 44\nr0 = 2\nexit", reject: /variable ctx access var_off=\(0x0; 0x4\) disallowed/ },
  { name: "a context pointer with a negative offset to a ctx argument", asm: "r1 += -4\nr2 = 0\ncall 44\nr0 = 2\nexit", reject: /negative offset ctx ptr R1 off=-4 disallowed/ },

  // ---- branches and bounds ----
  { name: "a jset the constants decide", asm: "r0 = 4\nif r0 & 1 goto +1\nr0 = 0\nexit", accept: true },
  { name: "goto +0", asm: "r0 = 0\ngoto +0\nexit", accept: true },
  { name: "gotol", asm: "r0 = 0\ngotol +0\nexit", accept: true },
  { name: "an unset register compared", asm: "r0 = 0\nif r2 > 0 goto +0\nexit", reject: /R2 !read_ok/ },
  { name: "a signed upper bound leaves the index unbounded below", asm: `${LOOKUP}\nif r0 == 0 goto +5\nr1 = *(u64 *)(r0 + 0)\nif r1 s> 7 goto +3\nr0 += r1\nr0 = *(u8 *)(r0 + 0)\nexit\nr0 = 0\nexit`, reject: /R0 min value is negative|unbounded min value/ },
  { name: "a signed bound on a u32 index", asm: `${LOOKUP}\nif r0 == 0 goto +5\nr1 = *(u32 *)(r0 + 0)\nif r1 s> 7 goto +3\nr0 += r1\nr0 = *(u8 *)(r0 + 0)\nexit\nr0 = 0\nexit`, accept: true },
  { name: "a 32-bit bound on an index", asm: `${LOOKUP}\nif r0 == 0 goto +5\nr1 = *(u32 *)(r0 + 0)\nif w1 > 7 goto +3\nr0 += r1\nr0 = *(u8 *)(r0 + 0)\nexit\nr0 = 0\nexit`, accept: true },
  { name: "a random index masked", asm: `${LOOKUP}\nif r0 == 0 goto +5\nr6 = r0\ncall 7\nr0 &= 7\nr6 += r0\nr0 = *(u8 *)(r6 + 0)\nexit`, accept: true },
  { name: "a random index unmasked", asm: `${LOOKUP}\nif r0 == 0 goto +4\nr6 = r0\ncall 7\nr6 += r0\nr0 = *(u8 *)(r6 + 0)\nexit`, reject: /math between map_value pointer and register with unbounded min value is not allowed/ },
  { name: "a bound learnt through a copy", asm: `${LOOKUP}\nif r0 == 0 goto +6\nr1 = *(u64 *)(r0 + 0)\nr2 = r1\nif r2 > 7 goto +3\nr0 += r1\nr0 = *(u8 *)(r0 + 0)\nexit\nr0 = 0\nexit`, accept: true },
  { name: "a pointer compared with a number", asm: "r0 = 0\nif r1 == 5 goto +1\nr0 = 1\nexit", accept: true },
  { name: "a 32-bit copy of a pointer is a number", asm: "w0 = w1\nr0 = *(u8 *)(r0 + 0)\nexit", reject: /R0 invalid mem access 'scalar'/ },
  { name: "root may return a pointer from xdp", asm: "r0 = r1\nexit", accept: true },

  // ---- the stack, more ----
  { name: "a variable offset into the stack", asm: "r0 = 0\n*(u64 *)(r10 - 16) = r0\n*(u64 *)(r10 - 8) = r0\nr1 = *(u32 *)(r1 + 12)\nr1 &= 7\nr2 = r10\nr2 += -16\nr2 += r1\nr0 = *(u8 *)(r2 + 0)\nexit", accept: true },
  { name: "a variable offset past the stack", asm: "r1 = *(u32 *)(r1 + 12)\nr1 &= 15\nr2 = r10\nr2 += -8\nr2 += r1\nr0 = *(u8 *)(r2 + 0)\nexit", reject: /invalid variable-offset read from stack R2/ },
  // A helper's stack argument at a variable offset: the whole range it may reach must be in
  // the stack (check_stack_access_within_bounds), not the variable part alone below zero.
  { name: "a helper key at a variable offset into the stack", asm: "r0 = 0\n*(u64 *)(r10 - 16) = r0\n*(u64 *)(r10 - 8) = r0\nr2 = *(u32 *)(r1 + 12)\nr2 &= 7\nr3 = r10\nr3 += -16\nr3 += r2\nr2 = r3\nr1 = map[hash8] ll\ncall 1\nr0 = 0\nexit", accept: true },
  { name: "a helper key at a variable offset past the stack", asm: "r0 = 0\n*(u64 *)(r10 - 8) = r0\nr2 = *(u32 *)(r1 + 12)\nr2 &= 15\nr3 = r10\nr3 += -8\nr3 += r2\nr2 = r3\nr1 = map[hash8] ll\ncall 1\nr0 = 0\nexit", reject: /invalid variable-offset read from stack R2 var_off=\(0x0; 0xf\) off=-8 size=4/ },
  { name: "a map value too small on the stack", asm: "r1 = 0\n*(u32 *)(r10 - 8) = r1\n*(u32 *)(r10 - 4) = r1\nr1 = map[hash8] ll\nr2 = r10\nr2 += -4\nr3 = r10\nr3 += -4\nr4 = 0\ncall 2\nr0 = 0\nexit", reject: /invalid (indirect )?access to stack R3 off=-4 size=8|invalid stack type R3|stack R3/ , kernel: /R3/ },
  { name: "the context where a key belongs", asm: "r2 = r1\nr1 = map[hash8] ll\ncall 1\nr0 = 0\nexit", reject: /R2 type=ctx expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf/ },
  { name: "a subprogram returns a pointer into its frame", asm: "call f\nr0 = *(u64 *)(r0 + 0)\nexit\nf:\nr0 = r10\nr0 += -8\nexit", reject: /cannot return stack pointer to the caller|R0 invalid mem access|invalid read from stack/, kernel: /stack/ },

  // ---- helpers, more ----
  { name: "a ring buffer output from the stack", asm: "r1 = 0\n*(u64 *)(r10 - 8) = r1\nr1 = map[rb] ll\nr2 = r10\nr2 += -8\nr3 = 8\nr4 = 0\ncall 130\nr0 = 0\nexit", accept: true },
  { name: "a ring buffer output of nothing", asm: "r1 = map[rb] ll\nr2 = r10\nr2 += -8\nr3 = 0\nr4 = 0\ncall 130\nr0 = 0\nexit", accept: true },
  { name: "a zero-sized read for trace_printk", asm: "r1 = r10\nr1 += -8\nr2 = 0\ncall 6\nr0 = 0\nexit", reject: /R2 invalid zero-sized read/ },
  { name: "trace_printk of a stack string", asm: "r1 = 0\n*(u64 *)(r10 - 8) = r1\nr1 = r10\nr1 += -8\nr2 = 8\ncall 6\nr0 = 0\nexit", accept: true },
  { name: "probe_read_kernel of nothing", type: "kprobe", asm: "r1 = r10\nr1 += -8\nr2 = 0\nr3 = 0\ncall 113\nr0 = 0\nexit", accept: true },
  { name: "an atomic fetch-add on a map value", asm: `${LOOKUP}\nif r0 == 0 goto +3\nr1 = 1\nr1 = atomic_fetch_add((u64 *)(r0 + 0), r1)\nr0 = r1\nexit`, accept: true },
  { name: "cmpxchg with r0 unset", asm: "r1 = 0\n*(u64 *)(r10 - 8) = r1\nr0 = cmpxchg_64(r10 - 8, r0, r1)\nexit", reject: /R0 !read_ok/ },

  // ---- callbacks ----
  { name: "bpf_loop with a callback", kernelSkip: "the kernel wants BTF func_info for callbacks", callback: "cb", asm: "r1 = 10\nr2 = 0 ll\nr3 = 0\nr4 = 0\ncall 181\nr0 = 0\nexit\ncb:\nr0 = 0\nexit", accept: true },
  { name: "a bpf_loop callback returns 2", kernelSkip: "the kernel wants BTF func_info for callbacks", callback: "cb", asm: "r1 = 10\nr2 = 0 ll\nr3 = 0\nr4 = 0\ncall 181\nr0 = 0\nexit\ncb:\nr0 = 2\nexit", reject: /At callback return the register R0 has smin=2 smax=2 should have been in \[0, 1\]/ },
  { name: "a number where the callback belongs", asm: "r1 = 10\nr2 = 0\nr3 = 0\nr4 = 0\ncall 181\nr0 = 0\nexit", reject: /R2 type=scalar expected=func/ },
  { name: "a bpf_loop callback reads its context", kernelSkip: "the kernel wants BTF func_info for callbacks", callback: "cb", asm: "r1 = 0\n*(u64 *)(r10 - 8) = r1\nr1 = 10\nr2 = 0 ll\nr3 = r10\nr3 += -8\nr4 = 0\ncall 181\nr0 = *(u64 *)(r10 - 8)\nexit\ncb:\nr0 = *(u64 *)(r2 + 0)\nr0 &= 1\nexit", accept: true },
  // ---- precision: a pruned path must not hide a value that mattered (mark_chain_precision) ----
  // In each, the safe path reaches `l` first with 2 jumps and 8 insns since the start, so that
  // both the kernel's checkpoint heuristic and ours take a checkpoint there; the unsafe path
  // must not be pruned against it.
  ...PRECISION,
  // ---- more of each class (third session) ----
  // ALU
  { name: "a signed division by a zero constant", asm: "r0 = 5\nr0 s/= 0\nexit", reject: /div by zero/ },
  { name: "a signed modulo by a zero constant", asm: "r0 = 5\nr0 s%= 0\nexit", reject: /div by zero/ },
  { name: "a shift by a negative constant", asm: "r0 = 1\nr0 <<= -1\nexit", reject: /invalid shift -1/ },
  { name: "a 32-bit arithmetic shift by 32", asm: "w0 = 1\nw0 s>>= 32\nexit", reject: /invalid shift 32/ },
  { name: "a shift by an unknown register", asm: "r0 = *(u32 *)(r1 + 12)\nr2 = 1\nr2 <<= r0\nr0 = r2\nexit", accept: true },
  { name: "a byte swap", asm: "r0 = *(u32 *)(r1 + 12)\nr0 = be16 r0\nr0 = le64 r0\nexit", accept: true },
  { name: "a sign-extending move", asm: "r0 = *(u32 *)(r1 + 12)\nr0 = (s8)r0\nexit", accept: true },
  { name: "a sign-extended byte bounds a stack index", asm: "r0 = 0\n*(u64 *)(r10 - 8) = r0\n*(u64 *)(r10 - 16) = r0\nr1 = *(u32 *)(r1 + 12)\nr1 &= 7\nr1 = (s8)r1\nr2 = r10\nr2 += -16\nr2 += r1\nr0 = *(u8 *)(r2 + 0)\nexit", accept: true },
  { name: "a negated number", asm: "r0 = *(u32 *)(r1 + 12)\nr0 = -r0\nexit", accept: true },
  { name: "a 32-bit negation of an unset register", asm: "w3 = -w3\nr0 = 0\nexit", reject: /R3 !read_ok/ },
  { name: "xor of a pointer", asm: "r1 ^= 1\nr0 = 0\nexit", reject: /R1 bitwise operator \^= on pointer prohibited/ },
  { name: "or of a pointer", asm: "r1 |= 1\nr0 = 0\nexit", reject: /R1 bitwise operator \|= on pointer prohibited/ },
  { name: "a shift of a pointer", asm: "r1 <<= 1\nr0 = 0\nexit", reject: /R1 pointer arithmetic with <<= operator prohibited/ },
  { name: "division of a pointer", asm: "r1 /= 2\nr0 = 0\nexit", reject: /R1 pointer arithmetic with \/= operator prohibited/ },
  // the stack
  { name: "a pointer spilled in 4 bytes", asm: "*(u32 *)(r10 - 8) = r1\nr0 = 0\nexit", reject: /invalid size of register spill/ },
  { name: "a context pointer spilled and filled", asm: "*(u64 *)(r10 - 8) = r1\nr1 = 0\nr1 = *(u64 *)(r10 - 8)\nr0 = *(u32 *)(r1 + 12)\nexit", accept: true },
  { name: "a read at the frame pointer", asm: "r0 = *(u64 *)(r10 + 0)\nexit", reject: /invalid read from stack R10 off=0 size=8/ },
  { name: "a stack pointer moved below the frame", asm: "r1 = r10\nr1 += -600\nr0 = 0\n*(u8 *)(r1 + 0) = r0\nexit", reject: /invalid write to stack R1 off=-600 size=1/ },
  { name: "a store through a stack pointer copy", asm: "r1 = r10\nr1 += -8\nr0 = 3\n*(u64 *)(r1 + 0) = r0\nr0 = *(u64 *)(r10 - 8)\nexit", accept: true },
  { name: "a misaligned stack load", asm: "r0 = 0\n*(u64 *)(r10 - 16) = r0\n*(u64 *)(r10 - 8) = r0\nr0 = *(u64 *)(r10 - 12)\nexit", reject: /misaligned stack access off (0|\(0x0; 0x0\))\+0\+-12 size 8|misaligned stack access off/ },
  { name: "a zero spilled and read back as a byte", asm: "r0 = 0\n*(u64 *)(r10 - 8) = r0\nr0 = *(u8 *)(r10 - 3)\nexit", accept: true },
  // pointers and packets
  { name: "pkt_end plus a number", asm: "r3 = *(u32 *)(r1 + 4)\nr3 += 1\nr0 = 0\nexit", reject: /R3 pointer arithmetic on pkt_end prohibited/ },
  { name: "a packet pointer minus a packet pointer", asm: `${PKT}\nr0 = r4\nr0 -= r2\nexit`, accept: true },
  { name: "a packet bound with >=", asm: `${PKT}\nr0 = 0\nif r3 >= r4 goto +1\nexit\nr0 = *(u32 *)(r2 + 4)\nexit`, accept: true },
  { name: "a packet bound with <", asm: `${PKT}\nr0 = 0\nif r4 < r3 goto +1\nexit\nr0 = *(u32 *)(r2 + 4)\nexit`, accept: true },
  { name: "a packet bound one byte short", asm: `${PKT}\nr0 = 0\nif r4 > r3 goto +1\nr0 = *(u32 *)(r2 + 5)\nexit`, reject: /invalid access to packet, off=5 size=4, R2\(id=0,off=5,r=8\)/ },
  { name: "a packet pointer past its bound by a constant", asm: `${PKT}\nr0 = 0\nif r4 > r3 goto +2\nr2 += 6\nr0 = *(u16 *)(r2 + 0)\nexit`, accept: true },
  { name: "a packet pointer past its bound by a constant, too far", asm: `${PKT}\nr0 = 0\nif r4 > r3 goto +2\nr2 += 7\nr0 = *(u16 *)(r2 + 0)\nexit`, reject: /invalid access to packet, off=7 size=2, R2\(id=0,off=7,r=8\)/ },
  { name: "a 32-bit packet comparison proves nothing", asm: `${PKT}\nr0 = 0\nif w4 > w3 goto +1\nr0 = *(u8 *)(r2 + 0)\nexit`, reject: /invalid access to packet, off=0 size=1, R2\(id=0,off=0,r=0\)/ },
  { name: "a tc program writes the packet", type: "sched_cls", asm: "r2 = *(u32 *)(r1 + 76)\nr3 = *(u32 *)(r1 + 80)\nr4 = r2\nr4 += 2\nr0 = 0\nif r4 > r3 goto +1\n*(u16 *)(r2 + 0) = r0\nexit", accept: true },
  { name: "a socket filter may not write the packet", type: "socket_filter", asm: "r0 = 0\nr2 = *(u32 *)(r1 + 76)\nexit", reject: /invalid bpf_context access off=76 size=4/ },
  // maps
  { name: "a map value read at its last byte", asm: `${LOOKUP}\nif r0 == 0 goto +1\nr0 = *(u8 *)(r0 + 7)\nexit`, accept: true },
  { name: "a map value written past its end", asm: `${LOOKUP}\nif r0 == 0 goto +2\nr1 = 0\n*(u64 *)(r0 + 4) = r1\nr0 = 0\nexit`, reject: /invalid access to map value, value_size=8 off=4 size=8/ },
  { name: "a map value compared with NULL twice", asm: `${LOOKUP}\nif r0 == 0 goto +3\nif r0 == 0 goto +2\nr0 = *(u64 *)(r0 + 0)\nexit\nr0 = 0\nexit`, accept: true },
  { name: "a map value NULL check with != ", asm: `${LOOKUP}\nif r0 != 0 goto +2\nr0 = 0\nexit\nr0 = *(u64 *)(r0 + 0)\nexit`, accept: true },
  { name: "a lookup in an array with a key on the stack", asm: "r1 = 0\n*(u32 *)(r10 - 4) = r1\nr2 = r10\nr2 += -4\nr1 = map[arr64] ll\ncall 1\nif r0 == 0 goto +1\nr0 = *(u64 *)(r0 + 56)\nexit", accept: true },
  { name: "an array value read past its end", asm: "r1 = 0\n*(u32 *)(r10 - 4) = r1\nr2 = r10\nr2 += -4\nr1 = map[arr64] ll\ncall 1\nif r0 == 0 goto +1\nr0 = *(u64 *)(r0 + 60)\nexit", reject: /invalid access to map value, value_size=64 off=60 size=8/ },
  { name: "a map update with an unset key", asm: "r1 = map[hash8] ll\nr2 = r10\nr2 += -8\nr3 = r10\nr3 += -16\nr4 = 0\ncall 2\nr0 = 0\nexit", accept: true },
  { name: "a map value leaks nothing when stored as a number", asm: `${LOOKUP}\nif r0 == 0 goto +2\nr1 = 5\n*(u64 *)(r0 + 0) = r1\nr0 = 0\nexit`, accept: true },
  { name: "a map value pointer stored into a map value", asm: `${LOOKUP}\nif r0 == 0 goto +1\n*(u64 *)(r0 + 0) = r0\nr0 = 0\nexit`, accept: true },
  // helpers
  { name: "ktime_get_ns", asm: "call 5\nexit", accept: true },
  { name: "get_smp_processor_id", asm: "call 8\nexit", accept: true },
  { name: "a helper's result is a number", asm: "call 5\nr0 = *(u64 *)(r0 + 0)\nexit", reject: /R0 invalid mem access 'scalar'/ },
  { name: "redirect from xdp", asm: "r1 = 1\nr2 = 0\ncall 23\nexit", accept: true },
  { name: "xdp_adjust_head invalidates the packet", asm: `${PKT}\nr6 = r2\nr2 = 4\ncall 44\nr0 = *(u8 *)(r6 + 0)\nexit`, reject: /R6 invalid mem access 'scalar'|R6 !read_ok|invalid mem access/ },
  { name: "a ring buffer record too big to reserve", asm: "r1 = map[rb] ll\nr2 = 8192\nr3 = 0\ncall 131\nif r0 == 0 goto +3\nr1 = r0\nr2 = 0\ncall 132\nr0 = 0\nexit", accept: true },
  // control flow and returns
  { name: "a loop of 8 through a subprogram", asm: "r6 = 0\nl:\nr1 = r6\ncall f\nr6 += 1\nif r6 < 8 goto l\nr0 = 0\nexit\nf:\nr0 = r1\nexit", accept: true },
  { name: "a nested bounded loop", asm: "r0 = 0\nr1 = 0\no:\nr2 = 0\ni:\nr0 += 1\nr2 += 1\nif r2 < 4 goto i\nr1 += 1\nif r1 < 4 goto o\nexit", accept: true },
  { name: "a kprobe returns any number", type: "kprobe", asm: "r0 = 12345\nexit", accept: true },
  { name: "a cgroup_sock program returns 2", type: "cgroup_sock", asm: "r0 = 2\nexit", reject: /At program exit the register R0 has smin=2 smax=2 should have been in \[0, 1\]/ },
  { name: "a cgroup_sock program returns 1", type: "cgroup_sock", asm: "r0 = 1\nexit", accept: true },
  { name: "a cgroup_device program returns 2", type: "cgroup_device", attachType: "cgroup_device", asm: "r0 = 2\nexit", reject: /At program exit the register R0 has smin=2 smax=2 should have been in \[0, 1\]/ },
  // may_access_direct_pkt_data: cgroup_sockopt writes its optval directly and hands it to any
  // helper; lwt_seg6local reads its packet directly but does not write it.
  { name: "a setsockopt program rewrites optval in place", type: "cgroup_sockopt", attachType: "cgroup_setsockopt", asm: "r2 = *(u64 *)(r1 + 8)\nr3 = *(u64 *)(r1 + 16)\nr4 = r2\nr4 += 1\nr0 = 1\nif r4 > r3 goto +2\nr5 = 0\n*(u8 *)(r2 + 0) = r5\nexit", accept: true },
  { name: "an lwt_seg6local program writes its packet", type: "lwt_seg6local", asm: "r2 = *(u32 *)(r1 + 76)\nr3 = *(u32 *)(r1 + 80)\nr4 = r2\nr4 += 1\nr0 = 0\nif r4 > r3 goto +2\nr5 = 0\n*(u8 *)(r2 + 0) = r5\nexit", reject: /cannot write into packet/ },
  { name: "a sock_ops program returns a bounded value", type: "sock_ops", attachType: "cgroup_sock_ops", asm: "r0 = *(u32 *)(r1 + 0)\nr0 &= 1\nexit", accept: true },
  { name: "a cgroup_skb program returns a value masked to 0-1", type: "cgroup_skb", asm: "r0 = *(u32 *)(r1 + 0)\nr0 &= 1\nexit", accept: true },
  // registers and jumps
  { name: "a jump on an unset register against an immediate", asm: "r0 = 0\nif r5 > 3 goto +0\nexit", reject: /R5 !read_ok/ },
  { name: "a 32-bit jump decides on the low half", asm: "r0 = 0x100000001 ll\nif w0 == 1 goto +1\nr0 = *(u64 *)(r0 + 0)\nexit", accept: true },
  { name: "a jset on a known bit", asm: "r0 = 4\nif r0 & 4 goto +1\nr0 = *(u64 *)(r0 + 0)\nexit", accept: true },
  { name: "a signed comparison bounds an index", asm: "r0 = 0\n*(u64 *)(r10 - 8) = r0\nr1 = *(u32 *)(r1 + 12)\nif r1 s> 7 goto +5\nif r1 s< 0 goto +4\nr2 = r10\nr2 += -8\nr2 += r1\nr0 = *(u8 *)(r2 + 0)\nexit", accept: true },
  { name: "an unsigned comparison bounds an index from above only", asm: "r0 = 0\n*(u64 *)(r10 - 8) = r0\nr1 = *(u32 *)(r1 + 12)\nif r1 > 7 goto +4\nr2 = r10\nr2 += -8\nr2 += r1\nr0 = *(u8 *)(r2 + 0)\nexit", accept: true },
  { name: "a comparison of two numbers bounds one", asm: "r0 = 0\n*(u64 *)(r10 - 8) = r0\nr1 = *(u32 *)(r1 + 12)\nr3 = 7\nif r1 > r3 goto +4\nr2 = r10\nr2 += -8\nr2 += r1\nr0 = *(u8 *)(r2 + 0)\nexit", accept: true },
  { name: "a comparison of two numbers bounds one too loosely", asm: "r1 = *(u32 *)(r1 + 12)\nr3 = 8\nif r1 > r3 goto +5\nr2 = r10\nr2 += -8\nr2 += r1\nr0 = 0\n*(u8 *)(r2 + 0) = r0\nexit", reject: /invalid variable-offset write to stack R2|invalid write to stack R2/ },
  { name: "may_goto twice in a row", asm: "r0 = 0\nl:\nmay_goto +3\nmay_goto +2\nr0 += 1\ngoto l\nexit", accept: true },
  { name: "a loop counting down", asm: "r0 = 10\nl:\nr0 -= 1\nif r0 != 0 goto l\nexit", accept: true },
  { name: "a loop stepping past its bound", asm: "r0 = 0\nl:\nr0 += 3\nif r0 != 10 goto l\nexit", reject: /BPF program is too large|infinite loop detected/, kernel: /BPF program is too large|infinite loop detected|unbounded|back-edge/ },
  // calls
  { name: "a subprogram with a stack of its own", asm: "call f\nexit\nf:\nr1 = 1\n*(u64 *)(r10 - 8) = r1\nr0 = *(u64 *)(r10 - 8)\nexit", accept: true },
  { name: "a subprogram reads the caller's stack through a pointer", asm: "r1 = 7\n*(u64 *)(r10 - 8) = r1\nr1 = r10\nr1 += -8\ncall f\nexit\nf:\nr0 = *(u64 *)(r1 + 0)\nexit", accept: true },
  { name: "a subprogram reads past the caller's stack", asm: "r1 = r10\nr1 += -8\ncall f\nexit\nf:\nr0 = *(u64 *)(r1 + 8)\nexit", reject: /invalid read from stack R1 off=0 size=8/ },
  { name: "a subprogram returns a map value", asm: `call f\nif r0 == 0 goto +1\nr0 = *(u64 *)(r0 + 0)\nexit\nf:${LOOKUP}\nexit`, accept: true },
  { name: "a helper from a subprogram", asm: "call f\nexit\nf:\ncall 5\nexit", accept: true },
  { name: "a tail call from a subprogram without BTF", asm: "call f\nr0 = 0\nexit\nf:\nr2 = map[progs] ll\nr3 = 0\ncall 12\nr0 = 0\nexit", reject: /tail_call is not allowed in subprogs without BTF/ },
  // memory
  { name: "a u16 context load of a u32 field", type: "socket_filter", asm: "r0 = *(u16 *)(r1 + 0)\nexit", accept: true },
  { name: "a context read past __sk_buff", type: "socket_filter", asm: "r0 = *(u32 *)(r1 + 400)\nexit", reject: /invalid bpf_context access off=400 size=4/ },
  { name: "a misaligned context load", type: "socket_filter", asm: "r0 = *(u32 *)(r1 + 2)\nexit", reject: /invalid bpf_context access off=2 size=4/ },
  { name: "an 8-byte load of the xdp data pointer", asm: "r0 = *(u64 *)(r1 + 0)\nexit", reject: /invalid bpf_context access off=0 size=8/ },
  { name: "xdp reads ingress_ifindex", asm: "r0 = *(u32 *)(r1 + 12)\nexit", accept: true },
  { name: "a kprobe reads past pt_regs", type: "kprobe", asm: "r0 = *(u64 *)(r1 + 168)\nexit", reject: /invalid bpf_context access off=168 size=8/ },
  { name: "an atomic exchange on the stack", asm: "r1 = 0\n*(u64 *)(r10 - 8) = r1\nr1 = 5\nr1 = xchg_64(r10 - 8, r1)\nr0 = r1\nexit", accept: true },
  { name: "an atomic add on an unset stack slot", asm: "r1 = 1\nlock *(u64 *)(r10 - 8) += r1\nr0 = 0\nexit", accept: true },
  { name: "root may add a pointer atomically into the stack", asm: "r1 = 0\n*(u64 *)(r10 - 8) = r1\nr1 = r10\nlock *(u64 *)(r10 - 8) += r1\nr0 = 0\nexit", accept: true },
  { name: "a 32-bit atomic add on a map value", asm: `${LOOKUP}\nif r0 == 0 goto +2\nw1 = 1\nlock *(u32 *)(r0 + 4) += w1\nr0 = 0\nexit`, accept: true },
  { name: "a misaligned atomic on a map value", asm: `${LOOKUP}\nif r0 == 0 goto +2\nr1 = 1\nlock *(u64 *)(r0 + 4) += r1\nr0 = 0\nexit`, reject: /misaligned value access off|invalid access to map value/ },
  { name: "a bound learnt through a 32-bit copy", asm: "r0 = 0\n*(u64 *)(r10 - 8) = r0\nr1 = *(u32 *)(r1 + 12)\nr1 &= 0xff\nw2 = w1\nif w2 > 7 goto +4\nr3 = r10\nr3 += -8\nr3 += r1\nr0 = *(u8 *)(r3 + 0)\nexit", accept: true },
  { name: "a copy of rX+K starts a new link", asm: "r0 = 0\n*(u64 *)(r10 - 8) = r0\nr1 = *(u32 *)(r1 + 12)\nr2 = r1\nr2 += 1\nr3 = r2\nif r1 > 6 goto +4\nr4 = r10\nr4 += -8\nr4 += r3\nr0 = *(u8 *)(r4 + 0)\nexit", reject: /invalid variable-offset read from stack R4|R4 min value is outside|invalid unbounded variable-offset read from stack R4|R4 unbounded memory access/ },
  { name: "rX+K and its source stay linked", asm: "r0 = 0\n*(u64 *)(r10 - 8) = r0\nr1 = *(u32 *)(r1 + 12)\nr2 = r1\nr2 += 1\nif r1 > 6 goto +4\nr4 = r10\nr4 += -8\nr4 += r2\nr0 = *(u8 *)(r4 + 0)\nexit", accept: true },
  { name: "a 32-bit copy of a wide value learns nothing", asm: "r0 = 0\n*(u64 *)(r10 - 8) = r0\nr1 = *(u32 *)(r1 + 12)\nr1 <<= 8\nw2 = w1\nif w2 > 7 goto +4\nr3 = r10\nr3 += -8\nr3 += r1\nr0 = *(u8 *)(r3 + 0)\nexit", reject: /invalid variable-offset read from stack R3|R3 min value is outside|invalid unbounded variable-offset read from stack R3/ },
  { name: "a bound learnt through a copy plus a constant", asm: "r0 = 0\n*(u64 *)(r10 - 8) = r0\nr1 = *(u32 *)(r1 + 12)\nr2 = r1\nr2 += 1\nif r2 > 8 goto +4\nr3 = r10\nr3 += -8\nr3 += r1\nr0 = *(u8 *)(r3 + 0)\nexit", accept: true },
  { name: "a second constant added breaks the link", asm: "r0 = 0\n*(u64 *)(r10 - 8) = r0\nr1 = *(u32 *)(r1 + 12)\nr2 = r1\nr2 += 1\nr2 += 1\nif r2 > 8 goto +4\nr3 = r10\nr3 += -8\nr3 += r1\nr0 = *(u8 *)(r3 + 0)\nexit", reject: /invalid (unbounded )?variable-offset read from stack R3/ },
  { name: "a 32-bit add breaks the link", asm: "r0 = 0\n*(u64 *)(r10 - 8) = r0\nr1 = *(u32 *)(r1 + 12)\nr2 = r1\nw2 += 1\nif r2 > 8 goto +4\nr3 = r10\nr3 += -8\nr3 += r1\nr0 = *(u8 *)(r3 + 0)\nexit", reject: /invalid (unbounded )?variable-offset read from stack R3/ },
  { name: "a bound on the base reaches the copy plus a constant", asm: "r0 = 0\n*(u64 *)(r10 - 16) = r0\n*(u64 *)(r10 - 8) = r0\nr1 = *(u32 *)(r1 + 12)\nr2 = r1\nr2 += 8\nif r1 > 7 goto +4\nr3 = r10\nr3 += -16\nr3 += r2\nr0 = *(u8 *)(r3 + 0)\nexit", accept: true },
  // Rules the kernel's own verifier selftests showed (issue 12, scripts/selftests-compare.ts); each program is ours.
  { name: "a socket cast dies with the socket it came from", type: "sched_cls", asm: `${TCP_LOOKUP}\nif r0 == 0 goto out\nr6 = r0\nr1 = r0\ncall 95\nif r0 == 0 goto rel\nr7 = r0\nr1 = r6\ncall 86\nr0 = *(u32 *)(r7 + 4)\nexit\nrel:\nr1 = r6\ncall 86\nout:\nr0 = 0\nexit`, reject: /R7 invalid mem access 'scalar'/ },
  { name: "a tcp_sock cast releases the socket it came from", type: "sched_cls", asm: `${TCP_LOOKUP}\nif r0 == 0 goto out\nr6 = r0\nr1 = r0\ncall 137\nif r0 == 0 goto rel\nr1 = r0\ncall 86\nr0 = 0\nexit\nrel:\nr1 = r6\ncall 86\nout:\nr0 = 0\nexit`, accept: true },
  { name: "an 8-byte load of a socket's first field", type: "sched_cls", asm: `${TCP_LOOKUP}\nif r0 == 0 goto out\nr6 = r0\nr2 = *(u64 *)(r0 + 0)\nr1 = r6\ncall 86\nout:\nr0 = 0\nexit`, reject: /invalid sock access off=0 size=8/ },
  { name: "a 1-byte load of a socket's protocol", type: "sched_cls", asm: `${TCP_LOOKUP}\nif r0 == 0 goto out\nr6 = r0\nr2 = *(u8 *)(r0 + 12)\nr1 = r6\ncall 86\nout:\nr0 = 0\nexit`, accept: true },
  { name: "a pointer equal to a non-NULL one is non-NULL", asm: `${LOOKUP}\nr6 = r0\n${LOOKUP}\nif r6 == 0 goto out\nif r6 != r0 goto out\nr0 = *(u64 *)(r0 + 0)\nout:\nr0 = 0\nexit`, accept: true },
  { name: "a pointer unequal to a non-NULL one may still be NULL", asm: `${LOOKUP}\nr6 = r0\n${LOOKUP}\nif r6 == 0 goto out\nif r6 == r0 goto out\nr0 = *(u64 *)(r0 + 0)\nout:\nr0 = 0\nexit`, reject: /R0 invalid mem access 'map_value_or_null'/ },
  { name: "a write to r10 no path reaches", asm: "r0 = 0\nif r0 == 0 goto +1\nr10 = 0\nexit", accept: true },
  { name: "a subprogram may leave r0 unset for a caller that sets it", asm: "call f\nr0 = 0\nexit\nf:\nr1 = 1\nexit", accept: true },
  { name: "a caller returns the r0 its subprogram left unset", asm: "call f\nexit\nf:\nr1 = 1\nexit", reject: /R0 !read_ok/ },
  { name: "a subtraction from the frame pointer", asm: "r1 = r10\nr1 -= 8\nr0 = 0\nexit", reject: /R1 subtraction from stack pointer prohibited/ },
  { name: "NULL as probe_read_kernel's destination, even for 0 bytes", type: "kprobe", asm: "r1 = 0\nr2 = 0\nr3 = 0\ncall 113\nr0 = 0\nexit", reject: /R1 type=scalar expected=fp/ },
  { name: "NULL to csum_diff with a size that may not be 0", asm: "r2 = *(u32 *)(r1 + 12)\nr2 &= 8\nr1 = 0\nr3 = 0\nr4 = 0\nr5 = 0\ncall 28\nr0 = 0\nexit", reject: /R1 type=scalar expected=fp/ },
  { name: "NULL to csum_diff with a size of 0", asm: "r1 = 0\nr2 = 0\nr3 = 0\nr4 = 0\nr5 = 0\ncall 28\nr0 = 0\nexit", accept: true },
  { name: "a zero-sized helper write at the frame pointer itself", type: "kprobe", asm: "r1 = r10\nr2 = 0\nr3 = 0\ncall 113\nr0 = 0\nexit", reject: /invalid write to stack R1 off=0 size=0/ },
  { name: "a helper reads a write-only map value", asm: `${LOOKUP.replace("map[hash8]", "map[wo]")}\nif r0 == 0 goto +6\nr1 = r0\nr2 = 8\nr3 = 0\nr4 = 0\nr5 = 0\ncall 28\nr0 = 0\nexit`, reject: /read from map forbidden/ },
  { name: "a recursive subprogram, however shallow its walk", asm: "r1 = 0\ncall f\nexit\nf:\nr1 += 1\nr0 = r1\nif r1 > 2 goto +1\ncall f\nexit", reject: /the call stack of 8 frames is too deep/ },
  { name: "one load through ctx on one path and the stack on another", type: "sched_cls", asm: "r6 = r10\nr6 += -8\nr2 = *(u32 *)(r1 + 8)\nif r2 == 0 goto a\nr3 = r10\nr3 += -16\n*(u64 *)(r6 + 0) = r3\ngoto b\na:\n*(u64 *)(r6 + 0) = r1\nb:\nr1 = *(u64 *)(r6 + 0)\nr0 = *(u32 *)(r1 + 0)\nexit", reject: /same insn cannot be used with different pointers/ },
  { name: "ctx compared with NULL walks both edges", asm: "r0 = 0\nif r1 == 0 goto +1\nexit\nr0 = *(u64 *)(r0 + 0)\nexit", reject: /R0 invalid mem access 'scalar'/ },
  { name: "a u64 fill of a u32 spill knows nothing of the high half", asm: "call 7\nr0 <<= 32\n*(u64 *)(r10 - 8) = r0\nw4 = 1\n*(u32 *)(r10 - 8) = r4\nr4 = *(u64 *)(r10 - 8)\nr0 = 0\nif r4 != 1 goto +1\nexit\nr0 = *(u64 *)(r0 + 0)\nexit", reject: /R0 invalid mem access 'scalar'/ },
  { name: "a byte read inside a spilled zero is zero", asm: "r0 = 0\n*(u64 *)(r10 - 8) = r0\nr2 = *(u8 *)(r10 - 5)\nif r2 == 0 goto +1\nr0 = *(u64 *)(r0 + 0)\nexit", accept: true },
  { name: "strict alignment counts NET_IP_ALIGN in a packet load", flags: 1, asm: `${PKT}\nif r4 > r3 goto +1\nr0 = *(u32 *)(r2 + 0)\nr0 = 0\nexit`, reject: /misaligned packet access off 2\+0\+0\+0 size 4/ },
  { name: "strict alignment takes a packet load 2 bytes in", flags: 1, asm: `${PKT}\nif r4 > r3 goto +1\nr0 = *(u32 *)(r2 + 2)\nr0 = 0\nexit`, accept: true },
  { name: "flow keys moved by a variable offset", type: "flow_dissector", asm: "r2 = *(u64 *)(r1 + 144)\nr3 = *(u8 *)(r2 + 0)\nr3 &= 4\nr2 += r3\nr0 = *(u16 *)(r2 + 0)\nr0 = 0\nexit", reject: /R2 pointer arithmetic on flow_keys prohibited/ },
  { name: "strtoul's result word misaligned on the stack", type: "cgroup_sysctl", attachType: "cgroup_sysctl", asm: "r1 = 0x00303036\n*(u64 *)(r10 - 8) = r1\nr1 = r10\nr1 += -8\nr2 = 4\nr3 = 0\nr4 = r10\nr4 += -20\nr0 = 0\n*(u64 *)(r10 - 24) = r0\n*(u64 *)(r10 - 16) = r0\ncall 106\nr0 = 1\nexit", reject: /misaligned stack access off 0\+-20\+0 size 8/ },
  { name: "data_meta checked against data_end proves nothing", asm: "r2 = *(u32 *)(r1 + 8)\nr3 = *(u32 *)(r1 + 4)\nr4 = r2\nr4 += 4\nif r4 > r3 goto +1\nr0 = *(u8 *)(r2 + 0)\nr0 = 0\nexit", reject: /R2 offset is outside of the packet|invalid access to packet/ },
  { name: "data_meta checked against data proves its bytes", asm: "r2 = *(u32 *)(r1 + 8)\nr3 = *(u32 *)(r1 + 0)\nr4 = r2\nr4 += 4\nif r4 > r3 goto +1\nr0 = *(u8 *)(r2 + 0)\nr0 = 0\nexit", accept: true },
  { name: "a packet check 64 KiB past the pointer proves nothing", asm: `${PKT.replace("r4 += 8", "r4 += 0xffff\nr4 += 1")}\nif r4 > r3 goto +1\nr0 = *(u8 *)(r2 + 0)\nr0 = 0\nexit`, reject: /R2 offset is outside of the packet|invalid access to packet/ },
  { name: "a prog_array given to a lookup", asm: "r1 = 0\n*(u32 *)(r10 - 4) = r1\nr2 = r10\nr2 += -4\nr1 = map[progs] ll\ncall 1\nr0 = 0\nexit", reject: /cannot pass map_type 3 into func bpf_map_lookup_elem#1/ },
  { name: "a hash map given to a tail call", asm: "r2 = map[hash8] ll\nr3 = 0\ncall 12\nr0 = 0\nexit", reject: /cannot pass map_type 1 into func bpf_tail_call#12|expected prog array map for tail call/ },
  { name: "a packet load in a subprogram without BTF", type: "socket_filter", asm: "call f\nr0 = 0\nexit\nf:\nr6 = r1\nr0 = *(u8 *)skb[0]\nr0 = 1\nexit", reject: /LD_ABS is not allowed in subprogs without BTF/ },
  { name: "a sign-extending load of xdp_md->data", asm: "r2 = *(s32 *)(r1 + 0)\nr0 = 0\nexit", reject: /invalid bpf_context access off=0 size=4/ },
  { name: "a sign-extending load of __sk_buff->len", type: "sched_cls", asm: "r2 = *(s32 *)(r1 + 0)\nr0 = 0\nexit", accept: true },
  { name: "get_local_storage with non-zero flags", type: "cgroup_skb", attachType: "cgroup_inet_ingress", asm: "r1 = map[cgstore] ll\nr2 = 1\ncall 81\nr0 = 1\nexit", reject: /get_local_storage\(\) doesn't support non-zero flags/ },
  { name: "get_local_storage with zero flags", type: "cgroup_skb", attachType: "cgroup_inet_ingress", asm: "r1 = map[cgstore] ll\nr2 = 0\ncall 81\nr0 = 1\nexit", accept: true },
  { name: "a sockmap delete from a raw tracepoint", type: "raw_tracepoint", asm: "r1 = 0\n*(u32 *)(r10 - 4) = r1\nr2 = r10\nr2 += -4\nr1 = map[socks] ll\ncall 3\nr0 = 0\nexit", reject: /cannot pass map_type 15 into func bpf_map_delete_elem#3/ },
  { name: "a socket stored into a sockmap from tc", type: "sched_cls", asm: `${TCP_LOOKUP}\nif r0 == 0 goto out\nr6 = r0\nr1 = 0\n*(u32 *)(r10 - 20) = r1\nr2 = r10\nr2 += -20\nr3 = r6\nr1 = map[socks] ll\nr4 = 0\ncall 2\nr1 = r6\ncall 86\nout:\nr0 = 0\nexit`, accept: true },
  { name: "a stack address stored into a sockmap", type: "sched_cls", asm: "r1 = 0\n*(u32 *)(r10 - 4) = r1\n*(u64 *)(r10 - 16) = r1\nr2 = r10\nr2 += -4\nr3 = r10\nr3 += -16\nr1 = map[socks] ll\nr4 = 0\ncall 2\nr0 = 0\nexit", reject: /R3 type=fp expected=sock_common/ },
  { name: "a 32-bit spill shares its register's id", asm: "call 7\nr0 &= 0x10\n*(u32 *)(r10 - 8) = r0\nr1 = *(u32 *)(r10 - 8)\nif r1 != 0 goto out\nif r0 == 0 goto out\nr0 = *(u64 *)(r9 + 0)\nexit\nout:\nr0 = 0\nexit", accept: true },
  { name: "a u32 fill of a u64 spill is its low half", asm: "call 7\nr0 <<= 32\n*(u64 *)(r10 - 8) = r0\nr0 = *(u32 *)(r10 - 8)\nif r0 == 0 goto +1\nr0 = *(u64 *)(r9 + 0)\nexit", accept: true },
  { name: "a 32-bit subtraction from a packet pointer", asm: "r2 = *(u32 *)(r1 + 0)\nw3 = 4\nw2 -= w3\nr0 = 0\nexit", accept: true },
  { name: "a 32-bit subtraction of a packet pointer", asm: "r2 = *(u32 *)(r1 + 0)\nw3 = 4\nw3 -= w2\nr0 = 0\nexit", accept: true },
  { name: "a sign-extending move of the frame pointer", asm: "r1 = (s8)r10\nr0 = 0\nexit", accept: true },
  { name: "unpriv: a sign-extending move of the frame pointer", unpriv: true, type: "socket_filter", asm: "r1 = (s8)r10\nr0 = 0\nexit", reject: /R10 sign-extension part of pointer/ },
  { name: "bpf_get_stack returns at most the size it was given", type: "kprobe", asm: "r6 = r1\nr2 = r10\nr2 += -64\nr3 = 64\nr4 = 0\ncall 67\nif r0 s< 1 goto out\nr1 = r10\nr1 += -64\nr2 = r0\nr3 = 0\ncall 113\nout:\nr0 = 0\nexit", accept: true },
  { name: "bpf_get_stack's result may be past a smaller buffer", type: "kprobe", asm: "r6 = r1\nr2 = r10\nr2 += -64\nr3 = 64\nr4 = 0\ncall 67\nif r0 s< 1 goto out\nr1 = r10\nr1 += -32\nr2 = r0\nr3 = 0\ncall 113\nout:\nr0 = 0\nexit", reject: /invalid (indirect access|write) to stack R1 off=-32 size=64|invalid write to stack/ },
  { name: "unpriv: a map pointer plus a zero register", unpriv: true, type: "socket_filter", asm: "r1 = map[arr8] ll\nr2 = 0\nr1 += r2\nr0 = 0\nexit", reject: /R1 has pointer with unsupported alu operation, pointer arithmetic with it prohibited for !root/ },
  { name: "unpriv: a stack pointer moved below the stack", unpriv: true, type: "socket_filter", asm: "r1 = r10\nr1 += -513\nr0 = 0\nexit", reject: /R1 stack pointer arithmetic goes out of range, prohibited for !root; off=-513/ },
  { name: "unpriv: a stack pointer moved back to the frame pointer", unpriv: true, type: "socket_filter", asm: "r1 = r10\nr1 += -8\nr1 += 8\nr0 = 0\nexit", reject: /R1 stack pointer arithmetic goes out of range, prohibited for !root; off=0/ },
  { name: "unpriv: a map value pointer moved to its end", unpriv: true, type: "socket_filter", asm: `${LOOKUP.replace("map[hash8]", "map[arr8]")}\nif r0 == 0 goto out\nr0 += 8\nout:\nr0 = 0\nexit`, reject: /R0 pointer arithmetic of map value goes out of range, prohibited for !root/ },
  { name: "unpriv: a map value pointer moved to its last byte", unpriv: true, type: "socket_filter", asm: `${LOOKUP.replace("map[hash8]", "map[arr8]")}\nif r0 == 0 goto out\nr0 += 7\nout:\nr0 = 0\nexit`, accept: true },
  { name: "unpriv: a map value pointer plus an offset of either sign", unpriv: true, type: "socket_filter", asm: `${LOOKUP.replace("map[hash8]", "map[arr8]")}\nif r0 == 0 goto out\nr1 = *(u8 *)(r0 + 0)\nr1 -= 4\nr0 += r1\nout:\nr0 = 0\nexit`, reject: /R1 has unknown scalar with mixed signed bounds, pointer arithmetic with it prohibited for !root/ },
  { name: "unpriv: one add, two masking windows", unpriv: true, type: "socket_filter", asm: `${LOOKUP.replace("map[hash8]", "map[arr8]")}\nif r0 == 0 goto out\nr1 = *(u8 *)(r0 + 0)\nr2 = 1\nif r1 > 3 goto +1\nr2 = 2\nr0 += r2\nout:\nr0 = 0\nexit`, reject: /R0 tried to add from different maps, paths or scalars, pointer arithmetic with it prohibited for !root/ },
  { name: "unpriv: one add, one masking window", unpriv: true, type: "socket_filter", asm: `${LOOKUP.replace("map[hash8]", "map[arr8]")}\nif r0 == 0 goto out\nr1 = *(u8 *)(r0 + 0)\nr2 = 1\nif r1 > 3 goto +1\nr2 = 1\nr0 += r2\nout:\nr0 = 0\nexit`, accept: true },
  { name: "unpriv: a stack address as a helper's flags", unpriv: true, type: "socket_filter", asm: "r1 = 0\n*(u64 *)(r10 - 8) = r1\nr2 = r10\nr2 += -8\nr3 = r10\nr3 += -8\nr4 = r10\nr1 = map[hash8] ll\ncall 2\nr0 = 0\nexit", reject: /R4 leaks addr into helper function/ },
  { name: "unpriv: a map pointer compared with 0", unpriv: true, type: "socket_filter", asm: "r1 = map[arr8] ll\nr0 = 0\nif r1 != 0 goto +1\nr0 = 1\nexit", accept: true },
  { name: "unpriv: a map pointer compared with 1", unpriv: true, type: "socket_filter", asm: "r1 = map[arr8] ll\nr0 = 0\nif r1 != 1 goto +1\nr0 = 1\nexit", reject: /R1 pointer comparison prohibited/ },
  { name: "unpriv: a scalar compared with a pointer", unpriv: true, type: "socket_filter", asm: "r1 = map[arr8] ll\nr0 = 0\nif r0 != r1 goto +1\nr0 = 1\nexit", reject: /R1 pointer comparison prohibited/ },
  { name: "unpriv: one tail call, two prog arrays", unpriv: true, type: "socket_filter", asm: "r6 = r1\nr7 = *(u32 *)(r6 + 0)\nr2 = map[progs] ll\nif r7 > 3 goto t\nr2 = map[progs2] ll\nt:\nr1 = r6\nr3 = 0\ncall 12\nr0 = 0\nexit", reject: /tail_call abusing map_ptr/ },
  // Unprivileged rejections in the kernel's words (sanitize_err's register names, the lines before).
  { name: "unpriv: a scalar minus the ctx pointer", unpriv: true, type: "socket_filter", asm: "r0 = 0\nr0 -= r1\nexit", reject: /R0 has pointer with unsupported alu operation, pointer arithmetic with it prohibited for !root/ },
  { name: "unpriv: a scalar plus a map pointer", unpriv: true, type: "socket_filter", asm: "r0 = map[arr8] ll\nr1 = 0\nr1 += r0\nr0 = 0\nexit", reject: /R1 has pointer with unsupported alu operation, pointer arithmetic with it prohibited for !root/ },
  { name: "unpriv: a read of stack never written", unpriv: true, type: "socket_filter", asm: "r0 = *(u64 *)(r10 - 8)\nexit", reject: /invalid read from stack R10 off=-8 size=8/ },
  { name: "unpriv: a spilled pointer as a helper's key", unpriv: true, type: "socket_filter", asm: "*(u64 *)(r10 - 8) = r10\nr2 = r10\nr2 += -8\nr1 = map[hash8] ll\ncall 1\nr0 = 0\nexit", reject: /invalid read from stack R2 off -8\+0 size 4/ },
  { name: "unpriv: a read of a map's kernel struct", unpriv: true, type: "socket_filter", asm: "r1 = map[arr8] ll\nr0 = *(u32 *)(r1 + 0)\nexit", reject: /'struct bpf_array' access is allowed only to CAP_PERFMON and CAP_SYS_ADMIN/ },
  { name: "unpriv: a bpf-to-bpf call", unpriv: true, type: "socket_filter", asm: "call f\nexit\nf:\nr0 = 0\nexit", reject: /loading\/calling other bpf or kernel functions are allowed for CAP_BPF and CAP_SYS_ADMIN/ },
  { name: "unpriv: a map value pointer moved to its end says why first", unpriv: true, type: "socket_filter", asm: `${LOOKUP.replace("map[hash8]", "map[arr8]")}\nif r0 == 0 goto out\nr0 += 8\nout:\nr0 = 0\nexit`, reject: /invalid access to map value, value_size=8 off=8 size=1\nR0 min value is outside of the allowed memory range\nR0 pointer arithmetic of map value goes out of range, prohibited for !root/ },
  { name: "unpriv: a read past the bytes written", unpriv: true, type: "socket_filter", asm: "r1 = 0\n*(u16 *)(r10 - 8) = r1\nr0 = *(u64 *)(r10 - 8)\nexit", reject: /invalid read from stack off -8\+2 size 8/ },
  { name: "unpriv: an atomic add to a spilled pointer", unpriv: true, type: "socket_filter", asm: "*(u64 *)(r10 - 8) = r10\nr3 = 1\nlock *(u64 *)(r10 - 8) += r3\nr0 = 0\nexit", reject: /leaking pointer from stack off -8/ },
  { name: "privileged: one tail call, two prog arrays", asm: "r6 = r1\nr7 = *(u32 *)(r6 + 16)\nr2 = map[progs] ll\nif r7 > 3 goto t\nr2 = map[progs2] ll\nt:\nr1 = r6\nr3 = 0\ncall 12\nr0 = 0\nexit", accept: true },
];
