/**
 * @fileoverview Just enough of a Chrome DevTools Protocol client to install the agent in
 * another Node process: the inspector's HTTP list, a WebSocket (RFC 6455: client frames
 * masked, text only, no extensions) and `Runtime.evaluate`, all on 127.0.0.1.
 */

import { randomBytes } from "node:crypto";
import http from "node:http";
import net from "node:net";
import { HookError } from "../errors.js";

/** The inspector's targets at 127.0.0.1:port (`/json/list`), or undefined when nothing listens. */
export function inspectorTargets(port: number): Promise<{ webSocketDebuggerUrl: string; id: string }[] | undefined> {
  return new Promise((res) => {
    const req = http.get({ host: "127.0.0.1", port, path: "/json/list", timeout: 1000 }, (r) => {
      let body = "";
      r.setEncoding("utf8");
      r.on("data", (d: string) => (body += d));
      r.on("end", () => { try { res(JSON.parse(body)); } catch { res(undefined); } });
    });
    req.on("error", () => res(undefined));
    req.on("timeout", () => { req.destroy(); res(undefined); });
  });
}

/** One CDP session over a WebSocket. */
export class CdpSession {
  #sock: net.Socket;
  #buf = Buffer.alloc(0);
  #next = 1;
  #waiting = new Map<number, { res: (v: unknown) => void; rej: (e: Error) => void }>();
  #closed = false;

  private constructor(sock: net.Socket) {
    this.#sock = sock;
    sock.on("data", (d: Buffer) => this.#data(d));
    sock.on("close", () => {
      this.#closed = true;
      for (const w of this.#waiting.values()) w.rej(new HookError("inspector connection closed"));
      this.#waiting.clear();
    });
    sock.on("error", () => undefined);
  }

  static connect(url: string): Promise<CdpSession> {
    const u = new URL(url);
    if (u.hostname !== "127.0.0.1" && u.hostname !== "localhost") throw new HookError(`inspector at ${u.hostname}: only 127.0.0.1 is used`);
    return new Promise((res, rej) => {
      const sock = net.connect(Number(u.port), "127.0.0.1");
      const key = randomBytes(16).toString("base64");
      sock.once("error", rej);
      sock.once("connect", () => {
        sock.write(`GET ${u.pathname} HTTP/1.1\r\nHost: 127.0.0.1:${u.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
      });
      let head = Buffer.alloc(0);
      const onData = (d: Buffer) => {
        head = Buffer.concat([head, d]);
        const end = head.indexOf("\r\n\r\n");
        if (end < 0) return;
        sock.off("data", onData);
        if (!/^HTTP\/1\.1 101/.test(head.subarray(0, end).toString())) { sock.destroy(); rej(new HookError(`inspector refused the websocket: ${head.subarray(0, end).toString().split("\r\n")[0]}`)); return; }
        const s = new CdpSession(sock);
        const rest = head.subarray(end + 4);
        if (rest.length) s.#data(rest);
        res(s);
      };
      sock.on("data", onData);
    });
  }

  #data(d: Buffer): void {
    this.#buf = Buffer.concat([this.#buf, d]);
    for (;;) {
      const b = this.#buf;
      if (b.length < 2) return;
      let len = b[1]! & 0x7f, off = 2;
      if (len === 126) { if (b.length < 4) return; len = b.readUInt16BE(2); off = 4; }
      else if (len === 127) { if (b.length < 10) return; len = Number(b.readBigUInt64BE(2)); off = 10; }
      if (b.length < off + len) return;
      const opcode = b[0]! & 0x0f;
      const payload = b.subarray(off, off + len);
      this.#buf = b.subarray(off + len);
      if (opcode === 1) this.#message(payload.toString("utf8"));
      else if (opcode === 8) this.#sock.end();
      // (The inspector sends no fragmented or binary frames.)
    }
  }

  #message(text: string): void {
    const m = JSON.parse(text) as { id?: number; result?: unknown; error?: { message: string } };
    if (m.id === undefined) return;
    const w = this.#waiting.get(m.id);
    if (!w) return;
    this.#waiting.delete(m.id);
    if (m.error) w.rej(new HookError(`inspector: ${m.error.message}`));
    else w.res(m.result);
  }

  #send(text: string): void {
    const data = Buffer.from(text, "utf8");
    const mask = randomBytes(4);
    const len = data.length;
    const head = len < 126 ? Buffer.from([0x81, 0x80 | len]) : len < 65536 ? Buffer.from([0x81, 0xfe, len >> 8, len & 0xff]) : Buffer.concat([Buffer.from([0x81, 0xff]), (() => { const x = Buffer.alloc(8); x.writeBigUInt64BE(BigInt(len)); return x; })()]);
    for (let i = 0; i < len; i++) data[i]! ^= mask[i & 3]!;
    this.#sock.write(Buffer.concat([head, mask, data]));
  }

  call(method: string, params: object = {}): Promise<unknown> {
    if (this.#closed) return Promise.reject(new HookError("inspector connection closed"));
    const id = this.#next++;
    return new Promise((res, rej) => {
      this.#waiting.set(id, { res, rej });
      this.#send(JSON.stringify({ id, method, params }));
    });
  }

  /** Evaluates `expression` in the target (awaiting a promise), returning its value or throwing its exception. */
  async evaluate(expression: string): Promise<unknown> {
    const r = (await this.call("Runtime.evaluate", { expression, awaitPromise: true, returnByValue: true })) as { result: { value?: unknown }; exceptionDetails?: { exception?: { description?: string }; text: string } };
    if (r.exceptionDetails) throw new HookError(`in the target: ${r.exceptionDetails.exception?.description?.split("\n")[0] ?? r.exceptionDetails.text}`);
    return r.result.value;
  }

  close(): void {
    this.#sock.destroy();
  }
}
