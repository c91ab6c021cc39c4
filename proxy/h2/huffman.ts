// HPACK's Huffman code (RFC 7541 Appendix B), decoding only: the inspector (inspect.ts) reads header fields the client
// Huffman-coded. The code is canonical, so each symbol's bit length is all it takes to rebuild it.
export const HUFFMAN_LENGTHS = [
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
  6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6, 5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
  13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
  15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5, 6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
  20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23, 24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
  22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, 21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
  26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, 19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
  20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23, 26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
  30,
];
const EOS = 256;
const MAX = 30;

// Canonical decoding tables: for each length, the first code of that length, how many codes have it, and where its
// symbols start in SYMBOLS (the symbols ordered by length, then value).
const LENGTHS = HUFFMAN_LENGTHS;
const SYMBOLS = [...LENGTHS.keys()].sort((a, b) => LENGTHS[a]! - LENGTHS[b]! || a - b);
const FIRST = new Array<number>(MAX + 2).fill(0);
const COUNT = new Array<number>(MAX + 2).fill(0);
const START = new Array<number>(MAX + 2).fill(0);
{
  for (const l of LENGTHS) COUNT[l]!++;
  let code = 0;
  let start = 0;
  for (let l = 1; l <= MAX; l++) {
    FIRST[l] = code;
    START[l] = start;
    code = (code + COUNT[l]!) << 1;
    start += COUNT[l]!;
  }
}

/** The bytes a Huffman-coded HPACK string stands for, or null when it is not a valid coding (EOS, bad padding). */
export function huffmanDecode(bytes: Buffer): Buffer | null {
  const out: number[] = [];
  let code = 0;
  let len = 0;
  for (const byte of bytes) {
    for (let bit = 7; bit >= 0; bit--) {
      code = (code << 1) | ((byte >> bit) & 1);
      len++;
      const i = code - FIRST[len]!;
      if (i >= 0 && i < COUNT[len]!) {
        const sym = SYMBOLS[START[len]! + i]!;
        if (sym === EOS) return null;
        out.push(sym);
        code = 0;
        len = 0;
      } else if (len >= MAX) {
        return null;
      }
    }
  }
  // Padding: fewer than 8 bits, all ones (the start of EOS).
  if (len > 7 || code !== (1 << len) - 1) return null;
  return Buffer.from(out);
}
