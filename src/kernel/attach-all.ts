/**
 * @fileoverview Auto-attach from section names, as libbpf's bpf_object__attach_skeleton:
 * every loaded program whose section says where it goes (tp/CAT/NAME, raw_tp/NAME,
 * uprobe/PATH:FUNC, tp_btf/NAME...) is attached; xdp and tc sections go to the
 * interface, and cgroup sections to the cgroup, given in the options.
 */

import { BpfError } from "../errors.js";
import type { AttachTypeName } from "../programs/types.js";
import {
  attachCgroup, attachKprobe, attachRawTracepoint, attachTcx, attachTracepoint, attachTracing, attachUprobe, attachXdp,
  closeAll, type Interface,
} from "./attach.js";
import type { Attachment } from "./link.js";
import type { KernelProgram } from "./program.js";

/** What attachAll needs to know of a program: its section, as the object spec has it. */
export interface SectionOf {
  readonly name: string;
  readonly sectionName: string;
  readonly attachTo?: string;
  readonly expectedAttachType?: string;
}

export interface AttachAllOptions {
  /** The interface xdp and tc/tcx programs go on; without it they are skipped. */
  readonly interface?: Interface;
  /** XDP mode for xdp programs. */
  readonly xdpMode?: "generic" | "native" | "auto";
  /** The cgroup v2 directory cgroup programs go on; without it they are skipped. */
  readonly cgroup?: string;
  /** Program names not to attach. */
  readonly skip?: readonly string[];
}

/** The attachments made, one per program, and the programs left alone with why. */
export interface AttachedObject {
  readonly links: ReadonlyMap<string, Attachment>;
  readonly skipped: readonly { program: string; reason: string }[];
  /** Detaches everything, the last attached first. */
  close(): void;
}

/** Where a program goes, or why it does not go anywhere by itself; undefined attach: skip with `reason`. */
function plan(p: SectionOf, prog: KernelProgram, o: AttachAllOptions): { attach?: () => Attachment; reason?: string } {
  const sec = p.sectionName.replace(/^\?/, "");
  const [kind = "", ...restParts] = sec.split("/");
  const rest = restParts.join("/");
  const base = kind.replace(/\.s$/, "");
  switch (base) {
    case "tp": case "tracepoint": {
      const [cat, name] = [rest.slice(0, rest.indexOf("/")), rest.slice(rest.indexOf("/") + 1)];
      if (!cat || !name) return { reason: `section ${sec} names no CATEGORY/NAME tracepoint` };
      return { attach: () => attachTracepoint(prog, cat, name) };
    }
    case "raw_tp": case "raw_tracepoint": case "raw_tp.w": case "raw_tracepoint.w":
      if (!rest) return { reason: `section ${sec} names no raw tracepoint` };
      return { attach: () => attachRawTracepoint(prog, rest) };
    case "tp_btf": case "fentry": case "fexit": case "fmod_ret": case "lsm":
      return { attach: () => attachTracing(prog, `${base} ${rest}`) };
    case "uprobe": case "uretprobe": {
      // libbpf: uprobe/BINARY:FUNCTION[+OFFSET], the binary an absolute path or a library name.
      const m = /^(.+):([A-Za-z_.@][\w.@]*)?(?:\+(0x[0-9a-fA-F]+|\d+))?$/.exec(rest);
      if (!m) return { reason: `section ${sec} does not say BINARY:FUNCTION (attach it with attachUprobe)` };
      const offset = m[3] ? Number(m[3]) : undefined;
      return { attach: () => attachUprobe(prog, m[1]!, { ...(m[2] ? { symbol: m[2] } : {}), ...(offset ? { offset } : {}), retprobe: base === "uretprobe" }) };
    }
    case "kprobe": case "kretprobe":
      if (!rest) return { reason: `section ${sec} names no kernel function` };
      {
        const [func, off] = rest.split("+");
        return { attach: () => attachKprobe(prog, func!, { retprobe: base === "kretprobe", ...(off ? { offset: Number(off) } : {}) }) };
      }
    case "xdp": case "xdp.frags":
      if (rest === "devmap" || rest === "cpumap") return { reason: `${sec} programs run from a ${rest}, not an interface` };
      if (o.interface === undefined) return { reason: "an xdp program needs an interface (the interface option)" };
      return { attach: () => attachXdp(prog, o.interface!, o.xdpMode ? { mode: o.xdpMode } : {}) };
    case "tc": case "tcx":
      if (rest !== "ingress" && rest !== "egress") return { reason: `section ${sec} says no direction (tc/ingress or tc/egress)` };
      if (o.interface === undefined) return { reason: "a tc program needs an interface (the interface option)" };
      return { attach: () => attachTcx(prog, o.interface!, rest) };
    case "cgroup": case "cgroup_skb": case "sockops":
      if (!p.expectedAttachType) return { reason: `section ${sec} says no cgroup hook` };
      if (o.cgroup === undefined) return { reason: "a cgroup program needs a cgroup directory (the cgroup option)" };
      return { attach: () => attachCgroup(prog, o.cgroup!, p.expectedAttachType as AttachTypeName) };
    case "sk_msg": case "sk_skb":
      return { reason: `an ${base} program goes on a sockmap or sockhash (attachSockmap)` };
    case "socket":
      return { reason: "a socket filter goes on a socket the caller owns (attachSocketFilter)" };
    default:
      return { reason: `section ${sec} does not say where to attach` };
  }
}

/**
 * Attaches every program of a loaded object that its section places, as libbpf's
 * skeleton attach; any failure detaches what was attached and throws.
 */
export function attachAll(
  programs: ReadonlyMap<string, KernelProgram>,
  sections: readonly SectionOf[],
  o: AttachAllOptions = {},
): AttachedObject {
  const links = new Map<string, Attachment>();
  const skipped: { program: string; reason: string }[] = [];
  const close = () => closeAll(links.values());
  try {
    for (const p of sections) {
      const prog = programs.get(p.name);
      if (!prog) continue; // not loaded (autoload false, or skipped at load)
      if (o.skip?.includes(p.name)) {
        skipped.push({ program: p.name, reason: "skipped by the caller" });
        continue;
      }
      const step = plan(p, prog, o);
      if (!step.attach) {
        skipped.push({ program: p.name, reason: step.reason! });
        continue;
      }
      try {
        links.set(p.name, step.attach());
      } catch (e) {
        if (e instanceof BpfError) throw new BpfError(e.code, `program ${p.name}: ${e.message}`, { cause: e });
        throw e;
      }
    }
  } catch (e) {
    close();
    throw e;
  }
  return { links, skipped, close };
}
