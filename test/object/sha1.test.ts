/** SHA-1 as iproute2 names an object's PIN_OBJECT_NS directory: the same digests as Node's crypto. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { sha1Hex } from "../../src/object/sha1.js";
import { bytesOf, fixtureObjects } from "./helpers.js";

test("sha1Hex gives FIPS 180-4's digests, at every padding boundary and on every fixture", () => {
  assert.equal(sha1Hex(new TextEncoder().encode("abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
  const inputs = [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000].map((n) => new Uint8Array(n).map((_, i) => (i * 31 + n) & 0xff));
  for (const bytes of [...inputs, ...fixtureObjects().map(bytesOf)]) {
    assert.equal(sha1Hex(bytes), createHash("sha1").update(bytes).digest("hex"), `${bytes.length} bytes`);
  }
});
