/**
 * @fileoverview `tsbpf net` and `tsbpf cgroup`, in bpftool's words. net attach/detach
 * put XDP on an interface through netlink (an attachment of the interface, outliving
 * tsbpf, as bpftool's) and tcx programs through BPF_PROG_ATTACH; net list shows XDP,
 * tcx and flow dissector programs. cgroup attach/detach/show use BPF_PROG_ATTACH and
 * BPF_PROG_QUERY on a cgroup v2 directory.
 */

import { closeSync, openSync } from "node:fs";
import * as bpf from "../kernel/bpf.js";
import { ifindexOf } from "../kernel/attach.js";
import { programInfo } from "../kernel/info.js";
import { progAttach, progDetach, progQuery } from "../kernel/link-bpf.js";
import { MprogFlags } from "../kernel/link-uapi.js";
import { tcList } from "../kernel/netlink-tc.js";
import { netlinkInterfaces, netlinkXdpAttach, netlinkXdpDetach, netlinkXdpList } from "../kernel/netlink-xdp.js";
import { ATTACH_TYPES, attachTypeId } from "../programs/types.js";
import { need, parseRef, printJson, programIdsOf, splitGlobals, tryInfo, UsageError, withFd, type Globals } from "./bpftool-common.js";
import type { Io } from "./io.js";

export const NET_USAGE = `usage: tsbpf net { show | list } [dev NAME]
       tsbpf net attach ATTACH_TYPE PROG dev NAME [overwrite]
       tsbpf net detach ATTACH_TYPE dev NAME
       ATTACH_TYPE := { xdp | xdpgeneric | xdpdrv | xdpoffload | tcx_ingress | tcx_egress }
       PROG := { id PROG_ID | pinned FILE | tag PROG_TAG | name PROG_NAME }
       OPTIONS := { -j|--json [-p|--pretty] }`;

export const CGROUP_USAGE = `usage: tsbpf cgroup { show | list } CGROUP
       tsbpf cgroup attach CGROUP ATTACH_TYPE PROG [ATTACH_FLAGS]
       tsbpf cgroup detach CGROUP ATTACH_TYPE PROG
       ATTACH_TYPE := { ingress | egress | sock_create | sock_ops | device | bind4 | bind6 |
                        post_bind4 | post_bind6 | connect4 | connect6 | sendmsg4 | sendmsg6 |
                        recvmsg4 | recvmsg6 | sysctl | getsockopt | setsockopt | sock_release | ... }
       ATTACH_FLAGS := { multi | override }
       OPTIONS := { -j|--json [-p|--pretty] }`;

const XDP_MODES = { xdp: "auto", xdpgeneric: "generic", xdpdrv: "native", xdpoffload: "offload" } as const;

/** A program fd from a PROG reference (the first program it names). */
function progFd(args: string[]): number {
  return bpf.progGetFdById(programIdsOf(parseRef(args, ["id", "pinned", "tag", "name"], "program"))[0]!);
}

function devArg(args: string[]): string {
  if (need(args, "dev") !== "dev") throw new UsageError("expected 'dev NAME'");
  return need(args, "an interface name");
}

/** Interfaces of this thread's network namespace, in ifindex order. */
function interfaces(): { name: string; ifindex: number }[] {
  return netlinkInterfaces().map((i) => ({ name: i.devname, ifindex: i.ifindex })).sort((a, b) => a.ifindex - b.ifindex);
}

const progName = (id: number) => tryInfo(() => withFd(bpf.progGetFdById(id), programInfo).name) ?? "";

async function netList(io: Io, g: Globals, args: string[]): Promise<number> {
  const only = args.length ? devArg(args) : undefined;
  const devs = only ? [{ name: only, ifindex: ifindexOf(only) }] : interfaces();
  const xdp = netlinkXdpList(only).map((x) => ({ devname: x.devname, ifindex: x.ifindex, mode: x.mode, id: x.progId }));
  const tc: Record<string, unknown>[] = [];
  for (const d of devs) {
    for (const dir of ["ingress", "egress"] as const) {
      const q = tryInfo(() => progQuery(d.ifindex, attachTypeId(`tcx_${dir}`)));
      q?.progIds.forEach((id, i) => tc.push({ devname: d.name, ifindex: d.ifindex, kind: `tcx/${dir}`, name: progName(id), prog_id: id, ...(q.linkIds[i] ? { link_id: q.linkIds[i] } : {}) }));
    }
    // cls_bpf filters on the clsact qdisc, as bpftool lists them.
    for (const f of tcList(d.ifindex)) tc.push({ devname: d.name, ifindex: d.ifindex, kind: `clsact/${f.direction}`, name: f.name, id: f.progId });
  }
  const ns = openSync("/proc/self/ns/net", "r");
  let flow: Record<string, unknown>[] = [];
  try {
    flow = (tryInfo(() => progQuery(ns, attachTypeId("flow_dissector")))?.progIds ?? []).map((id) => ({ id }));
  } catch {
    flow = [];
  } finally {
    closeSync(ns);
  }
  if (g.json) {
    printJson(io, g, [{ xdp, tc, flow_dissector: flow }]);
    return 0;
  }
  io.out("xdp:");
  for (const x of xdp) io.out(`${x.devname}(${x.ifindex}) ${x.mode} id ${x.id}`);
  io.out("\ntc:");
  for (const t of tc) {
    if (t.id !== undefined) io.out(`${t.devname}(${t.ifindex}) ${t.kind} ${t.name} id ${t.id}`);
    else io.out(`${t.devname}(${t.ifindex}) ${t.kind} ${t.name} prog_id ${t.prog_id}${t.link_id ? ` link_id ${t.link_id}` : ""} `);
  }
  io.out("\nflow_dissector:");
  for (const f of flow) io.out(`id ${f.id}`);
  io.out("");
  return 0;
}

export async function netCommand(argv: string[], io: Io): Promise<number> {
  const { globals: g, rest: args } = splitGlobals(argv);
  const verb = args.shift() ?? "show";
  switch (verb) {
    case "show": case "list": return netList(io, g, args);
    case "attach": {
      const type = need(args, "an attach type");
      const fd = progFd(args);
      try {
        const dev = devArg(args);
        const overwrite = args[0] === "overwrite";
        if (type in XDP_MODES) netlinkXdpAttach(fd, dev, { mode: XDP_MODES[type as keyof typeof XDP_MODES], replace: overwrite });
        else if (type === "tcx_ingress" || type === "tcx_egress") progAttach({ target: ifindexOf(dev), progFd: fd, attachType: attachTypeId(type), flags: MprogFlags.After }, `attach ${type} on ${dev}`);
        else throw new UsageError(`invalid net attach/detach type: ${type}`);
      } finally {
        closeFdSafe(fd);
      }
      if (g.json) printJson(io, g, null);
      return 0;
    }
    case "detach": {
      const type = need(args, "an attach type");
      const dev = devArg(args);
      if (type in XDP_MODES) netlinkXdpDetach(dev, { mode: XDP_MODES[type as keyof typeof XDP_MODES] });
      else if (type === "tcx_ingress" || type === "tcx_egress") {
        // Programs attached without a link; linked ones belong to their link's owner.
        const q = progQuery(ifindexOf(dev), attachTypeId(type));
        q.progIds.forEach((id, i) => {
          if (!q.linkIds[i]) withFd(bpf.progGetFdById(id), (fd) => progDetach({ target: ifindexOf(dev), progFd: fd, attachType: attachTypeId(type) }, `detach ${type} on ${dev}`));
        });
      } else throw new UsageError(`invalid net attach/detach type: ${type}`);
      if (g.json) printJson(io, g, null);
      return 0;
    }
    case "help": io.out(NET_USAGE); return 0;
    default: throw new UsageError(`unknown command '${verb}'\n${NET_USAGE}`);
  }
}

function closeFdSafe(fd: number): void {
  withFd(fd, () => undefined);
}

/** bpftool's short cgroup attach type words, to the kernel's attach types. */
function cgroupAttachType(word: string): string {
  const full = ATTACH_TYPES.find((a) => a.name === word);
  if (full) return full.name;
  const short: Record<string, string> = {
    ingress: "cgroup_inet_ingress", egress: "cgroup_inet_egress", sock_create: "cgroup_inet_sock_create",
    sock_release: "cgroup_inet_sock_release", sock_ops: "cgroup_sock_ops", device: "cgroup_device", sysctl: "cgroup_sysctl",
    getsockopt: "cgroup_getsockopt", setsockopt: "cgroup_setsockopt",
  };
  if (short[word]) return short[word]!;
  const m = /^(bind|connect|post_bind|getpeername|getsockname)(4|6|_unix)$/.exec(word) ?? /^(sendmsg|recvmsg)(4|6|_unix)$/.exec(word);
  if (m) {
    const fam = m[2] === "_unix" ? "unix" : m[1] === "sendmsg" || m[1] === "recvmsg" ? `udp${m[2]}` : `inet${m[2]}`;
    const name = `cgroup_${fam}_${m[1]}`;
    if (ATTACH_TYPES.some((a) => a.name === name)) return name;
  }
  throw new UsageError(`invalid attach type: ${word}`);
}

/** BPF_F_ALLOW_OVERRIDE, BPF_F_ALLOW_MULTI in bpftool's words. */
const flagWords = (flags: number) => [flags & MprogFlags.AllowMulti ? "multi" : "", flags & MprogFlags.AllowOverride ? "override" : ""].filter(Boolean).join(" ");

/** Every attach type a cgroup program can have, in the kernel's order. */
const CGROUP_TYPES = ATTACH_TYPES.filter((a) => a.name.startsWith("cgroup_") || a.name === "lsm_cgroup").map((a) => a.name);

export async function cgroupCommand(argv: string[], io: Io): Promise<number> {
  const { globals: g, rest: args } = splitGlobals(argv);
  const verb = args.shift() ?? "show";
  const path = need(args, "a cgroup path");
  const withCgroup = <T>(fn: (fd: number) => T): T => {
    const fd = openSync(path, "r");
    try { return fn(fd); } finally { closeSync(fd); }
  };
  switch (verb) {
    case "show": case "list": {
      const rows = withCgroup((cg) => CGROUP_TYPES.flatMap((type) => {
        let q;
        try {
          q = progQuery(cg, attachTypeId(type as never));
        } catch {
          // An attach type this kernel has no cgroup hook for (EINVAL): nothing attached there.
          return [];
        }
        return q.progIds.map((id) => ({ id, attach_type: type, attach_flags: flagWords(q.attachFlags), name: progName(id), attach_btf_name: "", attach_btf_obj_id: 0, attach_btf_id: 0 }));
      }).filter(Boolean));
      if (g.json) printJson(io, g, rows);
      else if (rows.length) {
        io.out(`${"ID".padEnd(8)} ${"AttachType".padEnd(15)} ${"AttachFlags".padEnd(15)} ${"Name".padEnd(15)}`);
        for (const r of rows) io.out(`${String(r.id).padEnd(8)} ${r.attach_type.padEnd(15)} ${r.attach_flags.padEnd(15)} ${r.name.padEnd(15)} ${"".padEnd(15)}`);
      }
      return 0;
    }
    case "attach": case "detach": {
      const type = cgroupAttachType(need(args, "an attach type"));
      const fd = progFd(args);
      try {
        let flags = 0;
        for (const w of args) {
          if (w === "multi") flags |= MprogFlags.AllowMulti;
          else if (w === "override") flags |= MprogFlags.AllowOverride;
          else throw new UsageError(`unknown option: ${w}`);
        }
        withCgroup((cg) => (verb === "attach" ? progAttach : progDetach)({ target: cg, progFd: fd, attachType: attachTypeId(type as never), flags: verb === "attach" ? flags : 0 }, `${verb} ${type} on ${path}`));
      } finally {
        closeFdSafe(fd);
      }
      if (g.json) printJson(io, g, null);
      return 0;
    }
    default: throw new UsageError(`unknown command '${verb}'\n${CGROUP_USAGE}`);
  }
}
