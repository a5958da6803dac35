/**
 * A copy of `text` that shares no memory with the string it came from. V8 makes a slice of 13 or
 * more characters a view into its parent, so a Key ID sliced out of a decoded `Authorization`
 * header would keep the whole header, plaintext secret included, alive for as long as the Key ID
 * is held. The verification routes decode the Key ID on its own (basicCredentials); what keeps a
 * presented Key ID for long (the cache, the last-used recorder) keeps a copy all the same.
 */
export function detached(text: string): string {
  // UTF-16 code units both ways: an exact copy of any string, lone surrogates included.
  return Buffer.from(text, "utf16le").toString("utf16le");
}
