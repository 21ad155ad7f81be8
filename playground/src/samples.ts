// The bundled samples: the examples' objects (with their C sources and captures) and a few
// assembly programs, all inlined in the bundle so the page works offline once loaded.

const objects = import.meta.glob("../../examples/*.bpf.o", { query: "?inline", import: "default", eager: true }) as Record<string, string>;
const sources = import.meta.glob("../../examples/*.bpf.c", { query: "?raw", import: "default", eager: true }) as Record<string, string>;
const captureUrls = import.meta.glob(["../../examples/*.pcap", "../../examples/*.pcapng"], { query: "?inline", import: "default", eager: true }) as Record<string, string>;
const asm = import.meta.glob("../samples/*.s", { query: "?raw", import: "default", eager: true }) as Record<string, string>;

export interface Sample {
  readonly id: string;
  readonly label: string;
  readonly kind: "object" | "asm";
  /** Assembly text, or the object's C source (read-only, for reading). */
  readonly text: string;
  readonly bytes?: Uint8Array;
  /** The program type of an assembly sample. */
  readonly type?: string;
  /** The capture it is meant to run on. */
  readonly capture?: string;
}

/** The capture each packet example runs on (as `tsbpf demo` pairs them). */
const CAPTURE_OF: Record<string, string> = {
  xdp_firewall: "traffic.pcap", xdp_flow_counter: "traffic.pcap", xdp_dns_filter: "dns.pcapng",
  xdp_lb: "lb.pcap", tc_mark_ratelimit: "traffic.pcap", xdp_ports: "traffic.pcap",
};
const ASM_TYPE: Record<string, string> = { "xdp-swap-macs": "xdp", "xdp-unchecked": "xdp", "xdp-ip-options": "xdp", "xdp-printk": "xdp", "xdp-count-ethertypes": "xdp", "xdp-null-check": "xdp", "socket-ipv4-only": "socket_filter" };

const base = (path: string) => path.slice(path.lastIndexOf("/") + 1);

/** A data: URL's bytes. */
export function dataUrlBytes(url: string): Uint8Array {
  const b64 = url.slice(url.indexOf(",") + 1);
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export const CAPTURES: Readonly<Record<string, () => Uint8Array>> = Object.fromEntries(
  Object.entries(captureUrls).map(([p, url]) => [base(p), () => dataUrlBytes(url)]),
);

export const SAMPLES: readonly Sample[] = [
  ...Object.entries(asm).map(([p, text]): Sample => {
    const id = base(p).replace(/\.s$/, "");
    return { id, label: `${id}.s (assembly, ${ASM_TYPE[id] ?? "xdp"})`, kind: "asm", text, type: ASM_TYPE[id] ?? "xdp" };
  }),
  ...Object.entries(objects).map(([p, url]): Sample => {
    const id = base(p).replace(/\.bpf\.o$/, "");
    const c = sources[p.replace(/\.o$/, ".c")] ?? "";
    return { id, label: `${id}.bpf.o`, kind: "object", text: c, bytes: dataUrlBytes(url), ...(CAPTURE_OF[id] ? { capture: CAPTURE_OF[id] } : {}) };
  }),
];
