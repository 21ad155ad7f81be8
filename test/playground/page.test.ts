// The playground in a real Chromium (Debian's, through playwright-core): every bundled sample's
// listing, verdict, run verdicts and maps against what the CLI prints for the same program,
// a malformed object, the verifier's states stepped to the rejected instruction, the URL
// fragment, the stop button. Screenshots of each pane go to test-output/playground/.
/// <reference lib="dom" />
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createServer, type Server } from "node:http";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { extname, join, resolve } from "node:path";
import { tmpdir } from "node:os";
import { main } from "../../src/cli/main.js";
import { memoryIo } from "../../src/cli/io.js";
import { EXAMPLE_CAPTURES } from "../../src/cli/demo.js";
import { assemble, encode, slotIndices, SLOT_SIZE } from "../../src/isa/index.js";
import { writeElf } from "../../src/elf/index.js";
import { R_BPF_64_64, SHF_ALLOC, SHF_EXECINSTR, SHF_WRITE, STT_OBJECT } from "../../src/elf/constants.js";
import { mapTypeId } from "../../src/maps/index.js";
import { mapDirectives } from "../../playground/src/engine.js";

const ROOT = resolve(import.meta.dirname, "../..");
const DIST = join(ROOT, "playground/dist");
const OUT = join(ROOT, "test-output/playground");
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";

type Browser = import("playwright-core").Browser;
type Page = import("playwright-core").Page;
let browser: Browser | undefined;
let page: Page | undefined;
let server: Server | undefined;
let url = "";
let why = "";
const pageErrors: string[] = [];
const tmp = mkdtempSync(join(tmpdir(), "tsbpf-playground-"));

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = memoryIo();
  const code = await main(argv, io);
  return { code, out: io.stdout, err: io.stderr };
}

const TYPES: Record<string, string> = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".json": "application/json" };

before(async () => {
  // The build the users get, bundle check included; with or without a browser to show it in.
  const build = spawnSync("npm", ["run", "-s", "playground:build"], { cwd: ROOT, encoding: "utf8" });
  assert.equal(build.status, 0, `playground:build failed:\n${build.stdout}\n${build.stderr}`);
  if (!existsSync(CHROMIUM)) { why = `no Chromium at ${CHROMIUM} (apt-get install chromium)`; return; }
  server = createServer((req, res) => {
    let p = join(DIST, decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname));
    if (p.endsWith("/")) p += "index.html";
    if (!p.startsWith(DIST) || !existsSync(p)) { res.writeHead(404).end(); return; }
    res.writeHead(200, { "content-type": TYPES[extname(p)] ?? "application/octet-stream" }).end(readFileSync(p));
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
  try {
    const { chromium } = await import("playwright-core");
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-gpu"] });
  } catch (e) {
    why = `Chromium did not start: ${(e as Error).message.split("\n")[0]}`;
    return;
  }
  page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
  page.on("pageerror", (e) => pageErrors.push(e.message));
  mkdirSync(OUT, { recursive: true });
});

after(async () => {
  await browser?.close();
  server?.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** Waits for the verifier's verdict on the page, after `act`. */
async function verdictAfter(p: Page, act: () => Promise<unknown>): Promise<boolean> {
  await p.evaluate(() => { delete document.getElementById("verdict")!.dataset.accepted; });
  await act();
  await p.waitForFunction(() => document.getElementById("verdict")!.dataset.accepted !== undefined, null, { timeout: 20000 });
  return (await p.getAttribute("#verdict", "data-accepted")) === "true";
}

async function runVerdicts(p: Page): Promise<Record<string, number>> {
  await p.waitForSelector("#verdicts", { timeout: 20000 });
  return Object.fromEntries(await p.$$eval("#verdicts tbody tr", (rows) => rows.map((r) => [(r as HTMLElement).dataset.verdict!, Number((r as HTMLElement).dataset.count)])));
}

/** Map entries in a form both dumps share: numbers as decimal strings, hex without spaces. */
function norm(v: unknown): unknown {
  if (typeof v === "number" || typeof v === "bigint") return String(v);
  if (typeof v === "string") return /^[0-9a-f]{2}( [0-9a-f]{2})*$/.test(v) ? v.replace(/ /g, "") : v;
  if (Array.isArray(v)) return v.map(norm);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, norm(x)]));
  return v;
}

/** Whether a -S listing has this source line as a `; ` comment. */
const want0 = (listing: string | null, line: string) => (listing ?? "").split("\n").some((l) => l === `; ${line}`);

const objects = readdirSync(join(ROOT, "examples")).filter((f) => f.endsWith(".bpf.o")).sort();

test("every bundled object: listing, verdict, run verdicts and maps as the CLI prints them", async (t) => {
  if (!page) return t.skip(why);
  const p = page;
  const t0 = Date.now();
  await p.goto(`${url}#sample=xdp_firewall`);
  await p.waitForFunction(() => document.getElementById("verdict")!.dataset.accepted !== undefined, null, { timeout: 20000 });
  t.diagnostic(`first verdict ${Date.now() - t0} ms after navigation`);
  for (const file of objects) {
    const id = file.replace(/\.bpf\.o$/, "");
    const path = join(ROOT, "examples", file);
    const accepted = await verdictAfter(p, () => p.selectOption("#sample", id));
    // The listing, in both syntaxes, is tsbpf disasm -S's (the file named as the page names it).
    for (const syntax of ["llvm", "kernel"] as const) {
      await p.check(`input[name="syntax"][value="${syntax}"]`);
      const listed = await p.textContent("#listing");
      const want = (await cli("disasm", "-S", "--syntax", syntax, path)).out.replace(path, file).replace(/\n$/, "");
      assert.equal(listed, want, `${file}: ${syntax} listing`);
    }
    await p.check('input[name="syntax"][value="llvm"]');
    // The verdict of the program shown (the first) is tsbpf verify's.
    const json = JSON.parse((await cli("verify", "--json", path)).out) as { programs: { name: string; accepted: boolean; error?: string }[] };
    const first = json.programs[0]!;
    assert.equal(accepted, first.accepted, `${file}: verdict`);
    if (!first.accepted) assert.match((await p.textContent("#verdict"))!, new RegExp(first.error!.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
    // Stepping shows the C line of the instruction, from BTF line_info, as the -S listing has it above it.
    if (accepted) {
      await p.click("#step-first");
      const src = (await p.textContent("#step-source"))!;
      const line = /^C source: [^:]+:\d+: (.+)$/.exec(src)?.[1];
      assert.ok(line, `${file}: step 1 shows a C line (${src})`);
      assert.ok(want0(await p.textContent("#listing"), line!), `${file}: the C line "${line}" is in the listing`);
    }
    const capture = EXAMPLE_CAPTURES[file];
    if (!capture) {
      // Not a packet program (execsnoop): the page says so instead of running it.
      assert.match((await p.textContent("#run-out"))!, /take no packets/);
      continue;
    }
    const verdicts = await runVerdicts(p);
    assert.equal(await p.isVisible("#packet"), false, "a capture run shows no packet editor");
    const ns = Number(/Time per run: (\d+) ns/.exec((await p.textContent("#time"))!)?.[1]);
    assert.ok(ns > 0, `${file}: a time per run (${ns} ns)`);
    const ran = JSON.parse((await cli("run", path, "--pcap", join(ROOT, "examples", capture), "--json")).out) as { verdicts: Record<string, number>; maps: Record<string, unknown[]> };
    assert.deepEqual(verdicts, ran.verdicts, `${file}: verdicts over ${capture}`);
    const maps = Object.fromEntries(await p.$$eval("#maps pre.map", (pres) => pres.map((x) => [(x as HTMLElement).dataset.map!, JSON.parse((x as HTMLElement).dataset.entries!)])));
    const wanted = Object.entries(ran.maps).filter(([n]) => !/\.(rodata|kconfig)/.test(n));
    assert.deepEqual(Object.keys(maps).sort(), wanted.map(([n]) => n).sort(), `${file}: maps shown`);
    for (const [name, entries] of wanted) assert.deepEqual(norm(maps[name]), norm(entries), `${file}: map ${name}`);
    if (file === "xdp_firewall.bpf.o") {
      for (const pane of ["source", "listing", "verifier", "run"]) await p.locator(`#pane-${pane}`).screenshot({ path: join(OUT, `${id}-${pane}.png`) });
    }
  }
});

test("the assembly samples: listing, verdict and a packet's run as tsbpf asm, disasm, verify and run give them", async (t) => {
  if (!page) return t.skip(why);
  const p = page;
  const samples = readdirSync(join(ROOT, "playground/samples")).filter((f) => f.endsWith(".s")).sort();
  assert.ok(samples.length >= 2);
  for (const s of samples) {
    const id = s.replace(/\.s$/, "");
    const accepted = await verdictAfter(p, () => p.selectOption("#sample", id));
    const type = await p.inputValue("#asm-type");
    const src = join(ROOT, "playground/samples", s);
    const bin = join(tmp, `${id}.bin`), obj = join(tmp, `${id}.o`), pkt = join(tmp, `${id}.pkt`);
    const text = readFileSync(src, "utf8");
    const section = type === "socket_filter" ? "socket" : type;
    if (/^\s*\.map\b/m.test(text)) {
      // tsbpf asm knows no .map: the object is made here as clang made them before BTF maps,
      // with each map a struct bpf_map_def in a `maps` section and a relocation per load.
      const { text: code, maps } = mapDirectives(text);
      const asm = assemble(code);
      const bytes = encode(asm.instructions);
      writeFileSync(bin, bytes);
      const defs = new Uint8Array(20 * maps.length);
      maps.forEach((m, i) => { const d = new DataView(defs.buffer, 20 * i); [mapTypeId(m.type as "hash"), m.keySize, m.valueSize, m.maxEntries, m.flags].forEach((v, k) => d.setUint32(4 * k, v, true)); });
      const starts = slotIndices(asm.instructions);
      writeFileSync(obj, writeElf({
        sections: [
          { name: section, flags: SHF_ALLOC | SHF_EXECINSTR, data: bytes, relocations: asm.references.map((r) => ({ offset: starts[r.index]! * SLOT_SIZE, symbol: r.name, type: R_BPF_64_64 })) },
          { name: "maps", flags: SHF_ALLOC | SHF_WRITE, data: defs, addralign: 4 },
        ],
        symbols: [{ name: "prog", section, value: 0, size: bytes.length }, ...maps.map((m, i) => ({ name: m.name, section: "maps", value: 20 * i, size: 20, type: STT_OBJECT }))],
      }));
    } else {
      assert.equal((await cli("asm", src, "-o", bin)).code, 0);
      assert.equal((await cli("asm", src, "-o", obj, "--section", section)).code, 0);
    }
    await p.check('input[name="syntax"][value="kernel"]');
    const decl = text.split("\n").filter((l) => /^\s*\.map\b/.test(l)).map((l) => `; ${l.trim()}`);
    assert.equal(await p.textContent("#listing"), [...decl, (await cli("disasm", "--raw", "--syntax", "kernel", bin)).out.replace(/\n$/, "")].join("\n"), `${s}: listing`);
    await p.check('input[name="syntax"][value="llvm"]');
    // tsbpf asm's object declares no license: judged so, the page must agree with the CLI.
    const v = JSON.parse((await cli("verify", "--json", obj)).out) as { programs: { accepted: boolean; error?: string }[] };
    const unlicensed = await verdictAfter(p, () => p.selectOption("#asm-license", ""));
    assert.equal(unlicensed, v.programs[0]!.accepted, `${s}: verdict without a license`);
    if (!unlicensed) assert.ok((await p.textContent("#verdict"))!.includes(v.programs[0]!.error!));
    assert.equal(await verdictAfter(p, () => p.selectOption("#asm-license", "GPL")), accepted, `${s}: verdict under GPL`);
    if (id === "xdp-printk") assert.equal(unlicensed, false, "bpf_trace_printk is GPL-only");
    if (!accepted) {
      assert.ok((await p.textContent("#verdict"))!.includes(v.programs[0]!.error!));
      assert.match((await p.textContent("#hint"))!, /Fix: ./);
      continue;
    }
    if (decl.length) {
      // A map sample: over a capture, the verdicts and the map's entries as tsbpf run --pcap gives them.
      const cap = join(ROOT, "examples/traffic.pcap");
      await p.evaluate(() => document.getElementById("run-out")!.replaceChildren());
      await p.selectOption("#input-kind", "capture:traffic.pcap");
      await p.click("#run");
      const verdicts = await runVerdicts(p);
      const ran = JSON.parse((await cli("run", obj, "--pcap", cap, "--json")).out) as { verdicts: Record<string, number>; maps: Record<string, unknown[]> };
      assert.deepEqual(verdicts, ran.verdicts, `${s}: verdicts`);
      const maps = Object.fromEntries(await p.$$eval("#maps pre.map", (pres) => pres.map((x) => [(x as HTMLElement).dataset.map!, JSON.parse((x as HTMLElement).dataset.entries!)])));
      assert.deepEqual(Object.keys(maps).sort(), Object.keys(ran.maps).sort());
      for (const [name, entries] of Object.entries(ran.maps)) assert.deepEqual(norm(maps[name]), norm(entries), `${s}: map ${name}`);
      assert.ok(Object.values(maps).some((e) => (e as unknown[]).length > 0), `${s}: the run filled a map`);
      continue;
    }
    // One packet, the page's default, through the JIT: the same retval and output bytes as tsbpf run.
    await p.selectOption("#engine", "jit");
    const hex = await p.inputValue("#packet");
    writeFileSync(pkt, Buffer.from(hex.replace(/\s+/g, ""), "hex"));
    await p.evaluate(() => document.getElementById("run-out")!.replaceChildren());
    await p.click("#run");
    const verdicts = await runVerdicts(p);
    const ran = JSON.parse((await cli("run", obj, "--data", pkt, "--json", "--engine", "jit")).out) as { retval: number; data: string; trace?: string[] };
    assert.equal(await p.textContent("#trace"), ran.trace?.length ? ran.trace.join("\n") : "(nothing printed)", `${s}: trace_printk`);
    if (id === "xdp-printk") assert.ok(ran.trace?.length, "the printk sample prints");
    const summary = (await p.textContent("#packets summary"))!;
    assert.match(summary, new RegExp(`\\(${ran.retval}\\)`), `${s}: retval`);
    assert.equal(Object.values(verdicts).reduce((a, b) => a + b, 0), 1);
    const shown = (await p.textContent("#packets pre.hex"))!.replace(/\s+/g, "");
    assert.equal(shown, ran.data, `${s}: output packet`);
    const marked = await p.$$eval("#packets pre.hex mark", (m) => m.length);
    const input = hex.replace(/\s+/g, "");
    let differ = 0;
    for (let i = 0; i < ran.data.length; i += 2) if (ran.data.slice(i, i + 2) !== input.slice(i, i + 2)) differ++;
    assert.equal(marked, differ, `${s}: changed bytes marked`);
    if (differ) assert.match(summary, new RegExp(`${differ} bytes changed \\(marked and underlined\\)`));
    await p.selectOption("#engine", "interp");
  }
});

/** Drops a file on the page as a person would: a drop event carrying it. */
async function drop(p: Page, name: string, bytes: Uint8Array): Promise<void> {
  await p.evaluate(([n, b64]) => {
    const data = Uint8Array.from(atob(b64!), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([data], n!));
    document.querySelector("main")!.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, [name, Buffer.from(bytes).toString("base64")]);
}

test("a malformed object dropped on the page is a clear error in the page, not a blank pane", async (t) => {
  if (!page) return t.skip(why);
  const p = page;
  const good = readFileSync(join(ROOT, "examples/xdp_ports.bpf.o"));
  const cases = [["notes.o", Buffer.from("these are not the bytes of an ELF object\n"), "drop"], ["cut.o", good.subarray(0, 200), "input"]] as const;
  for (const [name, bytes, how] of cases) {
    await verdictAfter(p, () => p.selectOption("#sample", "xdp-swap-macs"));
    assert.equal(await p.$("#load-error"), null);
    if (how === "drop") await drop(p, name, bytes);
    else await p.setInputFiles("#object-file", { name, mimeType: "application/octet-stream", buffer: bytes });
    await p.waitForSelector("#load-error", { timeout: 20000 });
    const text = (await p.textContent("#load-error"))!;
    assert.match(text, /^Cannot open this object: \S.{8,}/, text);
    const f = join(tmp, name);
    writeFileSync(f, bytes);
    const cliErr = (await cli("disasm", f)).err;
    // The page's message is the loader's own (the CLI prints the ELF reader's message for the same file).
    const core = cliErr.replace(/^tsbpf disasm: /, "").trim().split(":").slice(-1)[0]!.trim();
    assert.ok(text.includes(core), `${name}: page says "${text}", CLI says "${cliErr.trim()}"`);
    assert.match((await p.textContent("#listing"))!, /no listing/);
    assert.match((await p.textContent("#verdict"))!, /not verified/);
  }
  await p.locator("#pane-source").screenshot({ path: join(OUT, "malformed-source.png") });
});

test("assembly that does not assemble is an error with its line, and the next edit recovers", async (t) => {
  if (!page) return t.skip(why);
  const p = page;
  await verdictAfter(p, () => p.selectOption("#sample", "xdp-swap-macs"));
  await p.click(".cm-content");
  await p.keyboard.press("Control+End");
  await p.keyboard.type("\n  r11 = 1\n");
  await p.waitForSelector("#load-error", { timeout: 20000 });
  const text = (await p.textContent("#load-error"))!;
  const lines = (await p.textContent(".cm-content"))!.length ? (await p.evaluate(() => document.querySelectorAll(".cm-line").length)) : 0;
  assert.match(text, /^Cannot open this assembly: /);
  // The editor's last line is empty: the instruction is on the one before.
  assert.match(text, new RegExp(`source\\.s:${lines - 1}:3: cannot parse instruction 'r11 = 1'`), `${text} (the editor has ${lines} lines)`);
  assert.match(new URL(p.url()).hash, /asm=/, "an edited program travels in the link as text");
  await verdictAfter(p, async () => { await p.keyboard.press("Backspace"); for (let i = 0; i < 9; i++) await p.keyboard.press("Backspace"); });
  assert.equal(await p.$("#load-error"), null);
  assert.equal(await p.getAttribute("#verdict", "data-accepted"), "true");
});

test("objects from elsewhere dropped on the page: the listing and every program's verdict as the CLI gives them", async (t) => {
  if (!page) return t.skip(why);
  const p = page;
  for (const name of ["global-data.bpf.o", "legacy-maps.bpf.o", "cilium-tail.bpf.o", "flow-dissector.bpf.o", "tail-calls.bpf.o"]) {
    const path = join(ROOT, "test/fixtures", name);
    if (!existsSync(path)) continue;
    const json = JSON.parse((await cli("verify", "--json", path)).out) as { programs: { name: string; accepted: boolean; error?: string }[] };
    const accepted = await verdictAfter(p, () => drop(p, name, readFileSync(path)));
    assert.equal(await p.inputValue("#sample"), "", "no sample is selected for a dropped object");
    const want = (await cli("disasm", "-S", path)).out.replace(path, name).replace(/\n$/, "");
    assert.equal(await p.textContent("#listing"), want, `${name}: listing`);
    const names = await p.$$eval("#program option", (o) => o.map((x) => (x as HTMLOptionElement).value));
    assert.deepEqual(names, json.programs.map((x) => x.name), `${name}: programs`);
    for (const [i, prog] of json.programs.entries()) {
      const ok = i === 0 ? accepted : await verdictAfter(p, () => p.selectOption("#program", prog.name));
      assert.equal(ok, prog.accepted, `${name}: ${prog.name}: verdict`);
      if (!prog.accepted) assert.ok((await p.textContent("#verdict"))!.includes(prog.error!), `${name}: ${prog.name}: ${prog.error}`);
    }
  }
});

test("a capture dropped on the page runs through the program, as tsbpf run --pcap counts it", async (t) => {
  if (!page) return t.skip(why);
  const p = page;
  assert.equal(await verdictAfter(p, () => p.selectOption("#sample", "xdp_ports")), true);
  await runVerdicts(p);
  await p.evaluate(() => document.getElementById("run-out")!.replaceChildren());
  const cap = join(ROOT, "examples/dns.pcapng");
  await drop(p, "dns.pcapng", readFileSync(cap));
  const verdicts = await runVerdicts(p);
  assert.equal(await p.inputValue("#input-kind"), "dropped");
  const ran = JSON.parse((await cli("run", join(ROOT, "examples/xdp_ports.bpf.o"), "--pcap", cap, "--json")).out) as { verdicts: Record<string, number> };
  assert.deepEqual(verdicts, ran.verdicts);
});

test("stepping through a rejected sample's verifier states with the keyboard reaches the failing instruction", async (t) => {
  if (!page) return t.skip(why);
  const p = page;
  const accepted = await verdictAfter(p, () => p.selectOption("#sample", "xdp-unchecked"));
  assert.equal(accepted, false);
  const bin = join(tmp, "unchecked.o");
  await cli("asm", join(ROOT, "playground/samples/xdp-unchecked.s"), "-o", bin, "--section", "xdp");
  const v = JSON.parse((await cli("verify", "--json", bin)).out) as { programs: { error: string }[] };
  const failingInsn = Number(/^insn (\d+)/.exec((await p.textContent("#verdict"))!.replace(/^✘ rejected at /, ""))?.[1]);
  assert.ok((await p.textContent("#verdict"))!.includes(v.programs[0]!.error));
  await p.keyboard.press("Alt+3");
  assert.equal(await p.evaluate(() => document.activeElement?.id), "insns");
  await p.keyboard.press("Home");
  assert.equal(await p.getAttribute("#step-where", "data-insn"), "0");
  const seen: string[] = [];
  for (let i = 0; i < 50 && (await p.getAttribute("#step-where", "data-failing")) !== "true"; i++) {
    seen.push((await p.getAttribute("#step-where", "data-insn"))!);
    await p.keyboard.press("ArrowDown");
  }
  assert.equal(await p.getAttribute("#step-where", "data-failing"), "true");
  assert.equal(Number(await p.getAttribute("#step-where", "data-insn")), failingInsn);
  assert.deepEqual(seen, ["0", "1"], "one state after each instruction before the rejected one");
  assert.equal(await p.getAttribute(`#insn-${failingInsn}`, "aria-current"), "step");
  // The packet pointer the load went through: pkt with no readable range yet.
  const r2 = await p.$$eval("#regs tbody tr", (rows) => rows.map((r) => [...r.children].map((c) => c.textContent)).find((c) => c[0] === "R2"));
  assert.deepEqual(r2?.slice(0, 3), ["R2", "pkt", "r=0"]);
  await p.keyboard.press("Home");
  await p.keyboard.press("f");
  assert.equal(await p.getAttribute("#step-where", "data-failing"), "true");
  await p.locator("#pane-verifier").screenshot({ path: join(OUT, "rejected-verifier.png") });
  if (process.env.PLAYGROUND_DOCS_SCREENSHOT) {
    // The README's picture: the IHL sample, whose registers carry bounds and known bits.
    assert.equal(await verdictAfter(p, () => p.selectOption("#sample", "xdp-ip-options")), false);
    await p.keyboard.press("Alt+3");
    await p.keyboard.press("f");
    await p.screenshot({ path: join(OUT, "playground.png"), fullPage: true, clip: { x: 0, y: 0, width: 1400, height: 1240 } });
    copyFileSync(join(OUT, "playground.png"), join(ROOT, "docs/playground.png"));
  }
});

/** Every visible text node whose contrast with its background is under 4.5:1. Plain JS in a string: tsx's helpers do not exist in the page. */
const CONTRAST = `(() => {
  const rgba = (c) => (c.match(/[\\d.]+/g) ?? []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => { const x = v / 255; return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (e) => {
    for (; e; e = e.parentElement) { const c = rgba(getComputedStyle(e).backgroundColor); if (c.length === 3 || (c[3] ?? 0) > 0.5) return c; }
    return [255, 255, 255];
  };
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const e = n.parentElement;
    // WCAG exempts inactive controls (a disabled button).
    if (!n.textContent.trim() || !e.checkVisibility() || e.closest("[hidden], :disabled")) continue;
    const style = getComputedStyle(e);
    const bg = background(e), fg = rgba(style.color), alpha = fg[3] ?? 1;
    const seen = fg.slice(0, 3).map((v, i) => v * alpha + bg[i] * (1 - alpha));
    const [a, b] = [lum(seen), lum(bg)].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b + 0.05);
    if (ratio < 4.5) out.push(ratio.toFixed(2) + ': "' + n.textContent.trim().slice(0, 30) + '" in <' + e.tagName.toLowerCase() + ' class="' + e.className + '"> ' + style.color + " on rgb(" + background(e).join(",") + ")");
  }
  return [...new Set(out)];
})()`;

test("text is readable: every visible text's contrast with its background is at least 4.5:1 (WCAG AA)", async (t) => {
  if (!page) return t.skip(why);
  const p = page;
  for (const id of ["xdp-ip-options", "xdp-swap-macs"]) {
    await verdictAfter(p, () => p.selectOption("#sample", id));
    if (id === "xdp-swap-macs") await runVerdicts(p);
    const low = (await p.evaluate(CONTRAST)) as string[];
    assert.deepEqual(low, [], `${id}: low contrast`);
  }
});

test("the URL fragment carries the assembly and the settings", async (t) => {
  if (!page) return t.skip(why);
  const p = page;
  const text = "r0 = *(u32 *)(r1 + 0)\nexit\n";
  const b64 = Buffer.from(text).toString("base64url");
  await p.goto("about:blank");
  await p.goto(`${url}#asm=${b64}&type=socket_filter&syntax=kernel&engine=jit&input=packet`);
  await p.waitForFunction(() => document.getElementById("verdict")!.dataset.accepted !== undefined, null, { timeout: 20000 });
  assert.equal(await p.inputValue("#asm-type"), "socket_filter");
  assert.equal(await p.inputValue("#engine"), "jit");
  assert.equal(await p.isChecked('input[name="syntax"][value="kernel"]'), true);
  assert.equal(await p.textContent("#listing"), "   0: (61) r0 = *(u32 *)(r1 +0)\n   1: (95) exit");
  assert.equal((await p.textContent(".cm-content"))!.replace(/\s+/g, " ").trim(), "r0 = *(u32 *)(r1 + 0)exit");
  // What the page writes back reopens the same program.
  await verdictAfter(p, () => p.selectOption("#sample", "xdp-swap-macs"));
  const hash = new URL(p.url()).hash;
  assert.match(hash, /sample=xdp-swap-macs/);
  assert.match(hash, /syntax=kernel/);
});

test("the stop button ends a long verification, and the page goes on working offline", async (t) => {
  if (!page) return t.skip(why);
  const p = page;
  // A loop of a million rounds: the verifier walks it to its complexity limit, seconds of work.
  const text = "r1 = 0\nloop:\nr1 += 1\nif r1 < 1000000 goto loop\nr0 = 0\nexit\n";
  await p.goto("about:blank");
  await p.goto(`${url}#asm=${Buffer.from(text).toString("base64url")}&type=socket_filter`);
  await p.waitForFunction(() => document.getElementById("verdict")!.textContent === "verifying…", null, { timeout: 10000 });
  assert.equal(await p.isEnabled("#stop"), true);
  // Offline from here on: the fresh worker and the samples come from what was loaded.
  await p.context().setOffline(true);
  try {
    await p.click("#stop");
    await p.waitForFunction(() => /did not finish: stopped/.test(document.getElementById("verdict")!.textContent ?? ""), null, { timeout: 5000 });
    assert.equal(await p.textContent("#status"), "stopped");
    assert.equal(await verdictAfter(p, () => p.selectOption("#sample", "xdp_lb")), true);
    assert.ok(Object.keys(await runVerdicts(p)).length > 0);
  } finally {
    await p.context().setOffline(false);
  }
});

test("once loaded, the page reloads and works with the server gone", async (t) => {
  if (!page) return t.skip(why);
  const p = page;
  await p.goto("about:blank");
  await p.goto(`${url}#sample=xdp_ports`);
  await p.waitForFunction(() => document.documentElement.dataset.offlineReady === "true", null, { timeout: 15000 });
  await runVerdicts(p);
  // No server and no network: what answers now is the service worker, from the cache.
  server!.closeAllConnections();
  await new Promise<void>((r) => server!.close(() => r()));
  server = undefined;
  await p.context().setOffline(true);
  try {
    await p.reload();
    await p.waitForFunction(() => document.getElementById("verdict")?.dataset.accepted === "true", null, { timeout: 20000 });
    const ran = JSON.parse((await cli("run", join(ROOT, "examples/xdp_ports.bpf.o"), "--pcap", join(ROOT, "examples/traffic.pcap"), "--json")).out) as { verdicts: Record<string, number> };
    assert.deepEqual(await runVerdicts(p), ran.verdicts);
  } finally {
    await p.context().setOffline(false);
  }
});

test("the bundle check refuses Node-only modules", (t) => {
  assert.ok(existsSync(join(DIST, "modules.json")), "the build wrote its module list");
  const fake = join(tmp, "dist");
  mkdirSync(fake, { recursive: true });
  writeFileSync(join(fake, "modules.json"), JSON.stringify([join(ROOT, "src/isa/opcodes.ts"), join(ROOT, "src/kernel/bpf.ts"), "node:fs"]));
  writeFileSync(join(fake, "a.js"), 'import { readFileSync } from "node:fs";\n');
  const r = spawnSync(process.execPath, [join(ROOT, "scripts/check-browser-bundle.mjs"), fake], { encoding: "utf8" });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /src\/kernel\/bpf\.ts: the kernel backend/);
  assert.match(r.stderr, /node:fs: a Node built-in/);
  assert.match(r.stderr, /a\.js: imports node:fs/);
  const real = spawnSync(process.execPath, [join(ROOT, "scripts/check-browser-bundle.mjs"), DIST], { encoding: "utf8" });
  assert.equal(real.status, 0, real.stderr);
});

test("the page threw no uncaught errors", (t) => {
  if (!page) return t.skip(why);
  assert.deepEqual(pageErrors, []);
});
