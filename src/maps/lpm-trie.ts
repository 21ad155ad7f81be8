/**
 * @fileoverview BPF_MAP_TYPE_LPM_TRIE as kernel/bpf/lpm_trie.c builds it: a binary trie
 * of prefixes with intermediate nodes, keys `struct bpf_lpm_trie_key { u32 prefixlen;
 * u8 data[]; }` (data in network order, bits from the most significant), lookups that
 * return the longest matching prefix, and get_next_key in the kernel's postorder (more
 * specific prefixes first). Nodes are JS objects; values live in the address space.
 */

import type { AddressSpace } from "../runtime/address-space.js";
import { BPF_EXIST, BPF_NOEXIST, BpfMap, Errno, roundUp8, type BatchSupport, type UserMapSpec } from "./map.js";
import { ValueSlots } from "./slots.js";

interface TrieNode {
  prefixlen: number;
  readonly data: Uint8Array;
  child: [TrieNode | undefined, TrieNode | undefined];
  /** LPM_TREE_NODE_FLAG_IM: made to join two others, holds no value. */
  intermediate: boolean;
  /** The value's address (0 for an intermediate node). */
  value: number;
}

const bit = (data: Uint8Array, i: number): 0 | 1 => ((data[i >> 3]! >> (7 - (i & 7))) & 1) as 0 | 1;

export class LpmTrieMap extends BpfMap {
  readonly dataSize: number;
  readonly maxPrefixlen: number;
  #root: TrieNode | undefined;
  #entries = 0;
  readonly #slots: ValueSlots;

  constructor(space: AddressSpace, spec: UserMapSpec) {
    super(space, spec);
    this.dataSize = spec.keySize - 4;
    this.maxPrefixlen = this.dataSize * 8;
    this.#slots = new ValueSlots(space, `${this.name || this.typeName} values`, roundUp8(spec.valueSize), spec.maxEntries);
  }

  get size(): number { return this.#entries; }

  protected override get batchSupport(): BatchSupport {
    return { lookup: "generic", update: true, delete: true };
  }

  #prefixlen(key: Uint8Array): number {
    return (key[0]! | (key[1]! << 8) | (key[2]! << 16) | (key[3]! << 24)) >>> 0;
  }

  /** longest_prefix_match: leading bits of the node's data equal to the key's, at most both prefix lengths. */
  #match(node: TrieNode, key: Uint8Array, keyLen: number): number {
    const limit = Math.min(node.prefixlen, keyLen);
    let n = 0;
    for (let i = 0; i < this.dataSize && n < limit; i++) {
      const diff = node.data[i]! ^ key[4 + i]!;
      if (diff === 0) { n += 8; continue; }
      n += Math.clz32(diff) - 24;
      break;
    }
    return Math.min(n, limit);
  }

  protected lookupKey(key: Uint8Array): number {
    const len = this.#prefixlen(key);
    if (len > this.maxPrefixlen) return 0;
    let found: TrieNode | undefined;
    for (let node = this.#root; node;) {
      const m = this.#match(node, key, len);
      if (m === this.maxPrefixlen) { found = node; break; }
      if (m < node.prefixlen) break;
      if (!node.intermediate) found = node;
      node = node.child[bit(key.subarray(4), node.prefixlen)];
    }
    return found ? found.value : 0;
  }

  #checkAdd(flags: number): number {
    if (flags === BPF_EXIST) return -Errno.ENOENT;
    if (this.#entries === this.maxEntries) return -Errno.ENOSPC;
    this.#entries++;
    return 0;
  }

  protected updateKey(key: Uint8Array, value: Uint8Array, flags: number): number {
    if (flags > BPF_EXIST) return -Errno.EINVAL;
    const len = this.#prefixlen(key);
    if (len > this.maxPrefixlen) return -Errno.EINVAL;
    const data = key.slice(4, 4 + this.dataSize);
    const fresh: TrieNode = { prefixlen: len, data, child: [undefined, undefined], intermediate: false, value: 0 };
    // The slot is a parent's child (or the root): a setter keeps the walk simple.
    let set = (n: TrieNode | undefined) => { this.#root = n; };
    let node = this.#root, m = 0;
    while (node) {
      m = this.#match(node, key, len);
      if (node.prefixlen !== m || node.prefixlen === len) break;
      const parent = node, b = bit(data, node.prefixlen);
      set = (n) => { parent.child[b] = n; };
      node = node.child[b];
    }
    const withValue = (): number => {
      // lpm_trie_node_alloc gets memory from the map's allocator, not counted against max_entries.
      fresh.value = this.#slots.alloc();
      if (fresh.value === 0) return -Errno.ENOMEM;
      this.space.u8.set(value.subarray(0, this.valueSize), fresh.value);
      return 0;
    };
    if (!node) {
      const r = this.#checkAdd(flags);
      if (r) return r;
      if (withValue()) { this.#entries--; return -Errno.ENOMEM; }
      set(fresh);
      return 0;
    }
    if (node.prefixlen === m) {
      if (!node.intermediate) {
        if (flags === BPF_NOEXIST) return -Errno.EEXIST;
      } else {
        const r = this.#checkAdd(flags);
        if (r) return r;
      }
      // The node is replaced: a program's pointer to the old value keeps the old bytes until reuse.
      const old = node.value;
      if (old) this.#slots.free(old);
      if (withValue()) return -Errno.ENOMEM;
      fresh.child = node.child;
      set(fresh);
      return 0;
    }
    const r = this.#checkAdd(flags);
    if (r) return r;
    if (withValue()) { this.#entries--; return -Errno.ENOMEM; }
    if (m === len) {
      fresh.child[bit(node.data, m)] = node;
      set(fresh);
      return 0;
    }
    const im: TrieNode = { prefixlen: m, data: node.data.slice(), child: [undefined, undefined], intermediate: true, value: 0 };
    if (bit(data, m)) im.child = [node, fresh];
    else im.child = [fresh, node];
    set(im);
    return 0;
  }

  protected deleteKey(key: Uint8Array): number {
    const len = this.#prefixlen(key);
    if (len > this.maxPrefixlen) return -Errno.EINVAL;
    const data = key.subarray(4, 4 + this.dataSize);
    let setTrim = (n: TrieNode | undefined) => { this.#root = n; };
    let setTrim2 = setTrim;
    let parent: TrieNode | undefined;
    let node = this.#root, m = 0;
    while (node) {
      m = this.#match(node, key, len);
      if (node.prefixlen !== m || node.prefixlen === len) break;
      parent = node;
      setTrim2 = setTrim;
      const p = node, b = bit(data, node.prefixlen);
      setTrim = (n) => { p.child[b] = n; };
      node = node.child[b];
    }
    if (!node || node.prefixlen !== len || node.prefixlen !== m || node.intermediate) return -Errno.ENOENT;
    this.#entries--;
    this.#slots.free(node.value);
    if (node.child[0] && node.child[1]) {
      node.intermediate = true;
      node.value = 0;
      return 0;
    }
    if (parent && parent.intermediate && !node.child[0] && !node.child[1]) {
      setTrim2(node === parent.child[0] ? parent.child[1] : parent.child[0]);
      return 0;
    }
    setTrim(node.child[0] ?? node.child[1]);
    return 0;
  }

  /** trie_get_next_key: postorder, so more specific prefixes come before less specific ones. */
  protected nextKeyOf(key: Uint8Array | undefined): Uint8Array | number {
    let searchRoot = this.#root;
    if (!searchRoot) return -Errno.ENOENT;
    const leftmost = (from: TrieNode): Uint8Array => {
      let next: TrieNode | undefined;
      for (let node: TrieNode | undefined = from; node;) {
        if (node.intermediate) node = node.child[0];
        else {
          next = node;
          node = node.child[0] ?? next.child[1];
        }
      }
      return this.#keyOf(next!);
    };
    const len = key ? this.#prefixlen(key) : 0;
    if (!key || len > this.maxPrefixlen) return leftmost(searchRoot);
    const stack: TrieNode[] = [];
    let node: TrieNode | undefined = searchRoot, m = 0;
    while (node) {
      stack.push(node);
      m = this.#match(node, key, len);
      if (node.prefixlen !== m || node.prefixlen === len) break;
      node = node.child[bit(key.subarray(4), node.prefixlen)];
    }
    if (!node || node.prefixlen !== m || node.intermediate) return leftmost(searchRoot);
    let cur = stack[stack.length - 1]!;
    for (let sp = stack.length - 1; sp > 0; sp--) {
      const parent = stack[sp - 1]!;
      if (parent.child[0] === cur) {
        searchRoot = parent.child[1];
        if (searchRoot) return leftmost(searchRoot);
      }
      if (!parent.intermediate) return this.#keyOf(parent);
      cur = parent;
    }
    return -Errno.ENOENT;
  }

  #keyOf(n: TrieNode): Uint8Array {
    const out = new Uint8Array(this.keySize);
    new DataView(out.buffer).setUint32(0, n.prefixlen, true);
    out.set(n.data, 4);
    return out;
  }

  protected release(): void {
    this.#slots.release();
    this.#root = undefined;
  }
}
