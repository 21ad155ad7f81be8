/**
 * @fileoverview Fixed-size value slots in a runtime's address space, handed out from
 * slabs as a map fills and reused when freed: for the map types whose elements come and
 * go (LPM trie, storage maps) and whose values a program reaches by pointer.
 */

import { Perm, type AddressSpace, type Region } from "../runtime/address-space.js";

export class ValueSlots {
  #slabs: Region[] = [];
  #free: number[] = [];
  #made = 0;

  constructor(readonly space: AddressSpace, readonly name: string, readonly size: number, readonly max: number, readonly perm: Perm = Perm.ReadWrite) {}

  /** A zeroed slot's address, or 0 when `max` are in use. */
  alloc(): number {
    let addr = this.#free.pop();
    if (addr === undefined) {
      if (this.#made >= this.max) return 0;
      const n = Math.min(Math.max(8, Math.min(256, this.#made)), this.max - this.#made);
      const slab = this.space.alloc({ name: this.name, kind: "map", size: n * this.size, perm: this.perm });
      this.#slabs.push(slab);
      this.#made += n;
      for (let i = n - 1; i > 0; i--) this.#free.push(slab.base + i * this.size);
      addr = slab.base;
    }
    this.space.u8.fill(0, addr, addr + this.size);
    return addr;
  }

  free(addr: number): void {
    this.#free.push(addr);
  }

  release(): void {
    for (const s of this.#slabs) s.free();
    this.#slabs = [];
    this.#free = [];
    this.#made = 0;
  }
}
