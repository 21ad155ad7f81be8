/**
 * @fileoverview `tsbpf link list|show|detach|pin`, in bpftool's words: each link's
 * header (`ID: TYPE  prog ID`) and its per-type details, as text or bpftool's JSON.
 */

import * as bpf from "../kernel/bpf.js";
import { linkGetFdById } from "../kernel/link-bpf.js";
import { detachLinkFd } from "../kernel/link.js";
import type { LinkInfo } from "../kernel/link-info.js";
import { ifIndexToName } from "../kernel/native.js";
import {
  allLinks, holdersOf, holdersText, linkIdOf, need, parseRef, pinnedPaths, printJson, splitGlobals, UsageError, withFd, type Globals,
} from "./bpftool-common.js";
import type { Io } from "./io.js";

export const LINK_USAGE = `usage: tsbpf link { show | list } [LINK]
       tsbpf link pin LINK FILE
       tsbpf link detach LINK
       LINK := { id LINK_ID | pinned FILE }
       OPTIONS := { -j|--json [-p|--pretty] }`;

/** The per-type fields bpftool shows, in its order, as [json key, value, text]. */
function details(i: LinkInfo): [string, unknown, string][] {
  const dev = (ifindex: number) => ifIndexToName(ifindex);
  switch (i.typeName) {
    case "raw_tracepoint": return [["tp_name", i.tpName, `tp '${i.tpName}'`]];
    case "tracing": return [["attach_type", i.attachType, `attach_type ${i.attachType}`], ["target_obj_id", i.targetObjId, `target_obj_id ${i.targetObjId}`], ["target_btf_id", i.targetBtfId, `target_btf_id ${i.targetBtfId}`]];
    case "cgroup": return [["cgroup_id", i.cgroupId, `cgroup_id ${i.cgroupId}`], ["attach_type", i.attachType, `attach_type ${i.attachType}`]];
    case "netns": return [["netns_ino", i.netnsIno, `netns_ino ${i.netnsIno}`], ["attach_type", i.attachType, `attach_type ${i.attachType}`]];
    case "xdp": return [["ifindex", i.ifindex, `ifindex ${i.ifindex}`]];
    case "tcx": case "netkit": {
      const name = dev(i.ifindex!);
      return [["devname", name, ""], ["ifindex", i.ifindex, `ifindex ${name ?? ""}(${i.ifindex})`], ["attach_type", i.attachType, `attach_type ${i.attachType}`]];
    }
    case "perf_event":
      if (i.perfEventType === "tracepoint") return [["tracepoint", i.tpName, `event tracepoint:${i.tpName}`], ["cookie", i.cookie, `cookie ${i.cookie}`]];
      if (i.perfEventType === "uprobe" || i.perfEventType === "uretprobe") return [[i.perfEventType === "uprobe" ? "uprobe" : "uretprobe", true, `${i.perfEventType} ${i.fileName}+0x${i.offset!.toString(16)}`], ["file", i.fileName, ""], ["offset", i.offset, ""], ["cookie", i.cookie, `cookie ${i.cookie}`]];
      return [];
    case "uprobe_multi": return [["path", i.fileName, `${i.flags ? "uretprobe.multi" : "uprobe.multi"}  path ${i.fileName}`], ["func_cnt", i.count, `func_cnt ${i.count}`], ["pid", i.pid, `pid ${i.pid}`]];
    case "struct_ops": return [["map_id", i.mapId, `map_id ${i.mapId}`]];
    case "sockmap": return [["map_id", i.mapId, `map_id ${i.mapId}`], ["attach_type", i.attachType, `attach_type ${i.attachType}`]];
    default: return [];
  }
}

/** bpftool link show's JSON object. */
export function linkJson(i: LinkInfo, pinned: readonly string[] = []): Record<string, unknown> {
  const o: Record<string, unknown> = { id: i.id, type: i.typeName, prog_id: i.progId };
  for (const [k, v] of details(i)) if (v !== undefined) o[k] = v;
  if (pinned.length) o.pinned = pinned;
  const pids = holdersOf("link", i.id);
  if (pids.length) o.pids = pids;
  return o;
}

/** bpftool link show's text: the header, then a tab-indented line of details, two spaces after each field. */
export function linkText(i: LinkInfo, pinned: readonly string[] = []): string {
  let s = `${i.id}: ${i.typeName}  prog ${i.progId}  `;
  const d = details(i).filter(([, , t]) => t !== "");
  if (d.length) s += `\n\t${d.map(([, , t]) => `${t}  `).join("")}`;
  for (const p of pinned) s += `\n\tpinned ${p}`;
  const pids = holdersOf("link", i.id);
  if (pids.length) s += `\n\tpids ${holdersText(pids)}`;
  return s;
}

function show(io: Io, g: Globals, links: readonly LinkInfo[], list: boolean): number {
  const pins = (id: number) => (g.bpffs ? pinnedPaths("link", id) : []);
  if (g.json) printJson(io, g, list ? links.map((l) => linkJson(l, pins(l.id))) : linkJson(links[0]!, pins(links[0]!.id)));
  else for (const l of links) io.out(linkText(l, pins(l.id)));
  return 0;
}

export async function linkCommand(argv: string[], io: Io): Promise<number> {
  const { globals: g, rest: args } = splitGlobals(argv);
  const verb = args.shift() ?? "show";
  switch (verb) {
    case "show": case "list": {
      const all = allLinks();
      if (!args.length) return show(io, g, all, true);
      const id = linkIdOf(parseRef(args, ["id", "pinned"], "link"));
      const one = all.filter((l) => l.id === id);
      if (!one.length) throw new UsageError(`no link with id ${id}`);
      return show(io, g, one, false);
    }
    case "detach": {
      const id = linkIdOf(parseRef(args, ["id", "pinned"], "link"));
      withFd(linkGetFdById(id), (fd) => detachLinkFd(fd, String(id)));
      if (g.json) printJson(io, g, null);
      return 0;
    }
    case "pin": {
      const id = linkIdOf(parseRef(args, ["id", "pinned"], "link"));
      const path = need(args, "a pin path");
      withFd(linkGetFdById(id), (fd) => bpf.objPin(fd, path, `pin link ${id} at ${path}`));
      if (g.json) printJson(io, g, null);
      return 0;
    }
    case "help": io.out(LINK_USAGE); return 0;
    default: throw new UsageError(`unknown command '${verb}'\n${LINK_USAGE}`);
  }
}
