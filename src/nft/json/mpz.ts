/**
 * The few arbitrary-precision operations nft's delinearizer does with GMP, on bigint. Values follow nft's
 * convention: bytes imported big-endian unless a type says host order (x86: little-endian), lengths in bits.
 */

export type ByteOrder = 'invalid' | 'host' | 'big';

export function bitmask(bits: number): bigint {
  return bits <= 0 ? 0n : (1n << BigInt(bits)) - 1n;
}

/** Index of the lowest set bit at or above `from`, or -1 (GMP's ULONG_MAX) when there is none. */
export function scan1(v: bigint, from = 0): number {
  if (v <= 0n) return -1;
  let x = v >> BigInt(from);
  if (x === 0n) return -1;
  let i = from;
  while ((x & 0xffffffffn) === 0n) {
    x >>= 32n;
    i += 32;
  }
  while ((x & 1n) === 0n) {
    x >>= 1n;
    i++;
  }
  return i;
}

/** Index of the lowest clear bit at or above `from` (a non-negative value always has one). */
export function scan0(v: bigint, from = 0): number {
  let x = v >> BigInt(from);
  let i = from;
  while ((x & 0xffffffffn) === 0xffffffffn) {
    x >>= 32n;
    i += 32;
  }
  while ((x & 1n) === 1n) {
    x >>= 1n;
    i++;
  }
  return i;
}

export function popcount(v: bigint): number {
  let n = 0;
  let x = v;
  while (x > 0n) {
    n += Number(x & 1n);
    x >>= 1n;
  }
  return n;
}

/** mpz_import_data: host order reads little-endian, anything else big-endian. */
export function importBytes(data: Uint8Array, order: ByteOrder): bigint {
  let v = 0n;
  if (order === 'host') {
    for (let i = data.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(data[i]!);
  } else {
    for (let i = 0; i < data.length; i++) v = (v << 8n) | BigInt(data[i]!);
  }
  return v;
}

/** mpz_export_data into `n` bytes (higher bits dropped, missing ones zero). */
export function exportBytes(v: bigint, order: ByteOrder, n: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = v;
  if (order === 'host') {
    for (let i = 0; i < n; i++) {
      out[i] = Number(x & 0xffn);
      x >>= 8n;
    }
  } else {
    for (let i = n - 1; i >= 0; i--) {
      out[i] = Number(x & 0xffn);
      x >>= 8n;
    }
  }
  return out;
}

/** mpz_switch_byteorder: reverse the `n` low bytes. */
export function switchByteorder(v: bigint, n: number): bigint {
  return importBytes(exportBytes(v, 'big', n), 'host');
}

/** The value as nft compares it with a symbol table: exported in `order`, read as a little-endian u64. */
export function symbolValue(v: bigint, order: ByteOrder, bits: number): bigint {
  const n = Math.ceil(bits / 8);
  if (n > 8) return -1n;
  return importBytes(exportBytes(v, order, n), 'host');
}

export const divRoundUp = (a: number, b: number): number => Math.floor((a + b - 1) / b);

/** Registers are 4 bytes: a value of `bits` occupies this many bits of register space. */
export function paddedLen(bits: number): number {
  return divRoundUp(bits, 32) * 32;
}

export function registerSpace(bits: number): number {
  return divRoundUp(bits, 32);
}

export function paddingLen(bits: number): number {
  return paddedLen(bits) - bits;
}
