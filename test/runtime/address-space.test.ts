/**
 * @fileoverview The address space: guard below every region, gaps between them, reuse
 * of freed blocks, windows and permissions as the interpreter's bounds tables see them.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { AddressSpace, GUARD_SIZE, Perm } from "../../src/runtime/index.js";

test("regions start above the guard, are zeroed, and do not touch each other", () => {
  const s = new AddressSpace();
  const a = s.alloc({ name: "a", kind: "other", size: 10, perm: Perm.ReadWrite });
  const b = s.alloc({ name: "b", kind: "other", size: 100, perm: Perm.Read });
  assert.ok(a.base >= GUARD_SIZE);
  assert.ok(b.base >= a.end + 8, "a gap between regions");
  assert.ok(a.bytes().every((x) => x === 0));
  assert.equal(s.check(a.base, 10, true), a.id);
  assert.equal(s.check(a.base + 1, 10, false), 0, "an access running past the end");
  assert.equal(s.check(b.base, 4, true), 0, "a store to a read-only region");
  assert.equal(s.check(b.base, 4, false), b.id);
  assert.equal(s.check(0, 1, false), 0);
  assert.equal(s.check(GUARD_SIZE - 1, 1, false), 0);
});

test("a freed block is reused, zeroed again, and its id stops matching", () => {
  const s = new AddressSpace();
  const a = s.alloc({ name: "a", kind: "other", size: 64, perm: Perm.ReadWrite });
  a.bytes().fill(7);
  const base = a.base, id = a.id;
  a.free();
  assert.equal(s.readHi[id], 0);
  assert.equal(s.check(base, 1, false), 0);
  const b = s.alloc({ name: "b", kind: "other", size: 32, perm: Perm.ReadWrite });
  assert.equal(b.base, base);
  assert.ok(b.bytes().every((x) => x === 0));
});

test("the memory grows for big regions and old views are replaced", () => {
  const s = new AddressSpace({ initialPages: 2 });
  const gen = s.generation;
  const big = s.alloc({ name: "big", kind: "map", size: 1 << 20, perm: Perm.ReadWrite });
  assert.ok(s.generation > gen);
  assert.ok(s.u8.length >= big.end);
  assert.equal(s.check(big.end - 8, 8, true), big.id);
});

test("windows narrow what an access may touch; parts carry their own rights", () => {
  const s = new AddressSpace();
  const pkt = s.alloc({ name: "packet", kind: "packet", size: 300, perm: Perm.ReadWrite });
  pkt.setWindow(pkt.base + 256, pkt.base + 280);
  assert.equal(s.check(pkt.base + 255, 1, false), 0, "headroom");
  assert.equal(s.check(pkt.base + 256, 24, true), pkt.id);
  assert.equal(s.check(pkt.base + 276, 8, false), 0, "past data_end");
  assert.throws(() => pkt.setWindow(pkt.base - 1, pkt.base + 4), /outside/);
  const ctx = s.alloc({ name: "ctx", kind: "ctx", size: 16, perm: Perm.Read, parts: [{ name: "ctx.cb", offset: 8, size: 4, perm: Perm.ReadWrite }] });
  assert.equal(ctx.parts.length, 3);
  assert.equal(s.check(ctx.base, 4, true), 0);
  assert.notEqual(s.check(ctx.base + 8, 4, true), 0);
  assert.equal(s.check(ctx.base + 6, 4, false), 0, "one access must stay in one part");
  assert.match(s.regions().map((r) => r.describe()).join(" "), /ctx \[0x[0-9a-f]+, 0x[0-9a-f]+\) r- ctx\.cb \[0x[0-9a-f]+, 0x[0-9a-f]+\) rw/);
});
