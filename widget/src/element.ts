/**
 * `<keyturn-api-secrets>`: the API Secret section as a custom element, for admin portals built
 * without React or a bundler. This entry carries React, Apollo Client and the stylesheet.
 *
 *   <script type="module" src="/keyturn/element.js"></script>
 *   <keyturn-api-secrets project-id="demo" endpoint="https://keys.example.com/graphql"
 *                        token-url="/api/keyturn-token"></keyturn-api-secrets>
 *
 * Attributes: project-id, endpoint, token-url (GET, with cookies; answers {"token": "…"} or the
 * token as text), theme ("light" | "dark" | "auto"), locale, example-request-url.
 * Properties: getAccessToken (instead of token-url), appearance, localization.
 * Event: "keyturn-change" (detail: { type, secretId, keyId? }) after each create, rotate, revoke.
 */
import type { Appearance } from "./appearance";
import type { Localization } from "./localization";
import { mount, unmount } from "./mount";
import styles from "./styles.css?inline";

export type { SecretChange } from "./ApiSecretSection";

const TAG = "keyturn-api-secrets";

let stylesInstalled = false;

/** Installs the widget's stylesheet once per document (every selector is scoped to .kt-root). */
function installStyles(): void {
  if (stylesInstalled) return;
  stylesInstalled = true;
  // A constructed stylesheet is not an inline <style>, so a strict style-src CSP allows it.
  if ("adoptedStyleSheets" in document && typeof CSSStyleSheet.prototype.replaceSync === "function") {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(styles);
    document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
    return;
  }
  const style = document.createElement("style");
  style.dataset.keyturn = "";
  style.textContent = styles;
  document.head.append(style);
}

/** Reads a token from the host backend, sending the portal's own session cookie. */
async function fetchToken(url: string): Promise<string> {
  const response = await fetch(url, { credentials: "include", headers: { accept: "application/json, text/plain" } });
  if (!response.ok) throw new Error(`The token URL answered ${response.status}`);
  const text = (await response.text()).trim();
  if (text.startsWith("{")) {
    const { token } = JSON.parse(text) as { token?: unknown };
    if (typeof token !== "string") throw new Error('The token URL answered JSON without a "token" string');
    return token;
  }
  return text;
}

export class KeyturnApiSecretsElement extends HTMLElement {
  static observedAttributes = ["project-id", "endpoint", "token-url", "theme", "locale", "example-request-url"];

  #getAccessToken: (() => Promise<string>) | undefined;
  #appearance: Appearance | undefined;
  #localization: Localization | undefined;

  get getAccessToken() {
    return this.#getAccessToken;
  }
  set getAccessToken(value: (() => Promise<string>) | undefined) {
    this.#getAccessToken = value;
    this.#render();
  }

  get appearance() {
    return this.#appearance;
  }
  set appearance(value: Appearance | undefined) {
    this.#appearance = value;
    this.#render();
  }

  get localization() {
    return this.#localization;
  }
  set localization(value: Localization | undefined) {
    this.#localization = value;
    this.#render();
  }

  connectedCallback(): void {
    installStyles();
    this.#render();
  }

  disconnectedCallback(): void {
    unmount(this);
  }

  attributeChangedCallback(): void {
    this.#render();
  }

  #render(): void {
    if (!this.isConnected) return;
    const projectId = this.getAttribute("project-id");
    const endpoint = this.getAttribute("endpoint");
    const tokenUrl = this.getAttribute("token-url");
    const getAccessToken = this.#getAccessToken ?? (tokenUrl ? () => fetchToken(tokenUrl) : undefined);
    if (!projectId || !endpoint || !getAccessToken) {
      console.error(`<${TAG}> needs project-id, endpoint and token-url (or a getAccessToken property)`);
      return;
    }
    const theme = this.getAttribute("theme");
    const locale = this.getAttribute("locale") ?? undefined;
    mount(this, {
      projectId,
      endpoint,
      getAccessToken,
      appearance: {
        ...this.#appearance,
        ...(theme === "light" || theme === "dark" || theme === "auto" ? { theme } : {}),
      },
      localization: locale ? { ...this.#localization, locale } : this.#localization,
      exampleRequestUrl: this.getAttribute("example-request-url") ?? undefined,
      onChange: (change) => {
        this.dispatchEvent(new CustomEvent("keyturn-change", { detail: change, bubbles: true, composed: true }));
      },
    });
  }
}

if (!customElements.get(TAG)) customElements.define(TAG, KeyturnApiSecretsElement);

declare global {
  interface HTMLElementTagNameMap {
    [TAG]: KeyturnApiSecretsElement;
  }
}
