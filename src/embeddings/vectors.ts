/**
 * Embedding vectors as OpenAI's `encoding_format: "base64"` carries them: the float32 values,
 * little-endian, base64-encoded. Also the compact form vectors take through workflow history
 * (~4× smaller than JSON numbers; a provider's floats are float32 values anyway).
 */
export function encodeFloat32Base64(vector: readonly number[]): string {
  const bytes = Buffer.alloc(vector.length * 4);
  vector.forEach((v, i) => bytes.writeFloatLE(v, i * 4));
  return bytes.toString('base64');
}

/** The inverse: the float32 values of a base64 vector (a length not a multiple of 4 is malformed). */
export function decodeFloat32Base64(encoded: string): number[] {
  const bytes = Buffer.from(encoded, 'base64');
  if (bytes.length % 4 !== 0) throw new RangeError(`a float32 vector needs a multiple of 4 bytes, got ${bytes.length}`);
  const out = new Array<number>(bytes.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = bytes.readFloatLE(i * 4);
  return out;
}
