/**
 * Copies of small messages as views into a shared slab: a new ArrayBuffer per request (its backing
 * store is allocated outside the JS heap) costs more than encoding the request. A slab is never
 * reused: a full one is dropped, and lives on while views into it are held.
 */
const SLAB_SIZE = 16384;
let slab = new Uint8Array(SLAB_SIZE);
let slabPos = 0;

/** A private copy of `bytes`. */
export function slabCopy(bytes: Uint8Array): Uint8Array {
  const n = bytes.length;
  if (n > SLAB_SIZE / 8) return bytes.slice();
  if (slabPos + n > SLAB_SIZE) {
    slab = new Uint8Array(SLAB_SIZE);
    slabPos = 0;
  }
  const out = slab.subarray(slabPos, slabPos + n);
  out.set(bytes);
  slabPos = (slabPos + n + 7) & ~7;
  return out;
}
