/**
 * Writes text to the clipboard and reports whether it really got there. Resolves false where the
 * Clipboard API is missing or refused (insecure context, a cross-origin iframe without
 * `allow="clipboard-write"`, a denied permission) so the caller can offer manual copying instead.
 */
export async function copyText(text: string): Promise<boolean> {
  try {
    // Absent outside secure contexts, whatever the DOM typings say.
    const clipboard = (navigator as Partial<Navigator>).clipboard;
    if (!clipboard) return false;
    await clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}
