// Table-driven CRC-32 (IEEE 802.3, the polynomial zlib and GitHub's token checksums use).
// Written here rather than imported because Node's zlib.crc32 is not available in browsers.
const TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 of an ASCII string's first `end` characters (each must be below U+0080; `end` at most its length). */
export function crc32Ascii(text: string, end = text.length): number {
  let crc = 0xffffffff;
  for (let i = 0; i < end; i++) {
    crc = (TABLE[(crc ^ text.charCodeAt(i)) & 0xff] as number) ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}
