/** Names used in the downloaded .env file. */
export interface EnvFileOptions {
  /** Defaults to "ANALYTICS_KEY_ID". */
  keyIdVariable?: string;
  /** Defaults to "ANALYTICS_SECRET". */
  secretVariable?: string;
}

export function envFileContent(keyId: string, secret: string, options: EnvFileOptions = {}): string {
  const keyIdVariable = options.keyIdVariable ?? "ANALYTICS_KEY_ID";
  const secretVariable = options.secretVariable ?? "ANALYTICS_SECRET";
  return `${keyIdVariable}=${keyId}\n${secretVariable}=${secret}\n`;
}

/** A filesystem-friendly file name from a secret's name, e.g. "Reporting service" → "reporting-service.env". */
export function envFileName(secretName: string | undefined): string {
  const slug = (secretName ?? "")
    .normalize("NFKD")
    // NFKD splits "ü" into "u" and a combining mark: drop the marks, or "Zürich" becomes "zu-rich".
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 60);
  return `${slug || "api-secret"}.env`;
}

/**
 * Saves the file through a short-lived object URL, revoked at once: the secret never lands in the
 * page's URL, history or storage.
 */
export function downloadFile(name: string, content: string): void {
  const url = URL.createObjectURL(new Blob([content], { type: "text/plain" }));
  try {
    const link = document.createElement("a");
    link.href = url;
    link.download = name;
    link.rel = "noopener";
    link.style.display = "none";
    document.body.append(link);
    link.click();
    link.remove();
  } finally {
    setTimeout(() => URL.revokeObjectURL(url), 0);
  }
}
