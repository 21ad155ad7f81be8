/**
 * @fileoverview What a verification needs besides the instructions: the program type's
 * rules, the helper prototypes, the maps each 64-bit load names, the privilege level and
 * the log; and the error a rejection is.
 */

import type { HelperProto } from "../helpers/proto.js";
import type { MapSpec } from "../object/types.js";
import type { ProgramTypeVerifierOps } from "../programs/access.js";
import type { GlobalFunc } from "./globals.js";
import type { Btf } from "../btf/types.js";
import type { ValueFields } from "../maps/value-fields.js";
import type { BtfCtx, BtfCtxArg } from "./btf-ptr.js";
import type { Fastcall } from "./fastcall.js";

export interface VerifierEnv {
  readonly type: string;
  readonly attachType: string | undefined;
  readonly ops: ProgramTypeVerifierOps | undefined;
  readonly proto: (id: number) => HelperProto | undefined;
  /** The map each map-loading instruction names, by slot. */
  readonly mapAt: ReadonlyMap<number, MapSpec>;
  /** bpf_capable + perfmon: loops, pointer leaks, uninitialised stack reads. */
  readonly privileged: boolean;
  readonly logLevel: number;
  readonly gpl: boolean;
  /** The program is sleepable (BPF_F_SLEEPABLE). */
  readonly sleepable: boolean;
  /** Where a map's value keeps its bpf_spin_lock and bpf_timer (from the object's BTF, btf_record). */
  readonly valueFields?: (m: MapSpec) => ValueFields;
  /** BPF_F_STRICT_ALIGNMENT (without BPF_F_ANY_ALIGNMENT): every access aligned, packets as if NET_IP_ALIGN were 2. */
  readonly strictAlignment?: boolean;
  /** BPF_COMPLEXITY_LIMIT_INSNS, or lower. */
  readonly complexityLimit: number;
  /** The global functions, by subprogram index: verified alone, calls checked by signature. */
  readonly globals: ReadonlyMap<number, GlobalFunc>;
  /** The kernel's BTF (vmlinux), for BTF-typed pointers; without it their loads are scalars. */
  readonly kernelBtf?: Btf | undefined;
  /** A tp_btf program's arguments: per u64 ctx slot, the struct a pointer argument points to. */
  readonly btfCtxArgs?: readonly (BtfCtxArg | undefined)[] | undefined;
  /** A program attached through BTF (tp_btf, fentry, fexit, fmod_ret, lsm): its ctx's argument slots. */
  readonly btfCtx?: BtfCtx | undefined;
  /** The return range when the attach target decides it (lsm hooks): null for any value. */
  readonly returnRange?: { readonly min: number; readonly max: number; readonly only32: boolean } | null | undefined;
  /** The kernel modules' BTF, for kfuncs vmlinux lacks. */
  readonly moduleBtfs?: (() => Iterable<Btf>) | undefined;
  /** The object's own BTF: kfunc prototypes from their extern declarations when the kernel's BTF is missing. */
  readonly objectBtf?: Btf | undefined;
  /** The kfunc each kfunc call names, by slot (from the object's relocations). */
  readonly kfuncAt?: ReadonlyMap<number, string> | undefined;
  /** Unresolved CO-RE type ids (bpf_core_type_id_kernel) and the kernel struct each names. */
  readonly pendingTypeIds?: ReadonlyMap<number, string> | undefined;
  /** bpf_fastcall spill/fill patterns, whose stack slots may not count toward the depth (fastcall.ts). */
  readonly fastcall?: Fastcall | undefined;
  /** The arena the program's 64-bit loads name (prog->aux->arena): addr_space_cast needs one. */
  readonly arena?: MapSpec | undefined;
  /** Slots of bpf_iter_*_next calls: checkpoints where loops over iterators converge. */
  readonly iterNextAt?: ReadonlySet<number> | undefined;
}

/** A rejection: the kernel's message and the slot it was found at. */
export class Reject extends Error {
  /** Lines the kernel prints before its last one, which is the message (e.g. the access that failed). */
  readonly detail: readonly string[];
  constructor(readonly insn: number, message: string, detail: readonly string[] = []) {
    super(message);
    this.detail = detail;
  }
}

/** BPF_COMPLEXITY_LIMIT_INSNS */
export const COMPLEXITY_LIMIT = 1_000_000;
/** BPF_COMPLEXITY_LIMIT_JMP_SEQ */
export const JMP_SEQ_LIMIT = 8192;
/** MAX_BPF_STACK */
export const MAX_STACK = 512;
/** MAX_CALL_FRAMES */
export const MAX_FRAMES = 8;
/** BPF_MAX_VAR_OFF */
export const MAX_VAR_OFF = 1 << 29;
/** BPF_MAX_VAR_SIZ */
export const MAX_VAR_SIZE = 1 << 29;
/** MAX_PACKET_OFF */
export const MAX_PACKET_OFF = 0xffff;
/** BPF_F_RDONLY_PROG */
export const F_RDONLY_PROG = 0x80;
/** BPF_F_WRONLY_PROG */
export const F_WRONLY_PROG = 0x100;

/**
 * Program types that may write packet data directly (may_access_direct_pkt_data): cgroup_sockopt
 * writes its optval buffer; lwt_seg6local reads only (with lwt_in/out, sk_reuseport,
 * flow_dissector and cgroup_skb: "Program types only with direct read access").
 */
export const PKT_WRITE_TYPES = new Set(["xdp", "sched_cls", "sched_act", "lwt_xmit", "sk_skb", "sk_msg", "cgroup_sockopt"]);
/** Program types with the legacy BPF_LD_ABS/IND loads (may_access_skb). */
export const LD_ABS_TYPES = new Set(["socket_filter", "sched_cls", "sched_act"]);
