import { expect, jest } from "@jest/globals";
import { render, screen, within, type RenderResult } from "@testing-library/react";
import userEvent, { type UserEvent } from "@testing-library/user-event";
import axe from "axe-core";
import type { ApolloClient } from "@apollo/client";
import { ApiSecretSection, type ApiSecretSectionProps } from "../src/ApiSecretSection";
import type { FakeKeyturn } from "./fake-keyturn";

/** The section's props a test may vary; the connection always goes to the fake. */
export type SectionExtras = Partial<
  Pick<
    ApiSecretSectionProps,
    "appearance" | "localization" | "envFile" | "exampleRequestUrl" | "className" | "onChange"
  >
>;

/**
 * Renders the section as a host would, with the host's own ApolloClient backed by `fake`. The
 * client is returned so a test can search its cache; `user` is set up before any clipboard stub.
 */
export interface RenderedSection extends RenderResult {
  client: ApolloClient;
  user: UserEvent;
}

export function renderSection(fake: FakeKeyturn, extras: SectionExtras = {}): RenderedSection {
  const user = userEvent.setup();
  const client = fake.client();
  const rendered = render(<ApiSecretSection projectId={fake.projectId} client={client} {...extras} />);
  return { ...rendered, client, user };
}

/**
 * The list row of the secret called `name`, once the list has loaded. `hidden` finds it behind an
 * open modal dialog, which hides the rest of the page from assistive technology.
 */
export async function findRow(name: string, { hidden = false } = {}): Promise<HTMLElement> {
  const heading = await screen.findByRole("heading", { name, level: 3, hidden });
  const row = heading.closest("li");
  if (!row) throw new Error(`The heading "${name}" is not inside a list row`);
  return row;
}

/** The open dialog (Radix portals it to <body>), by its accessible name. */
export function getDialog(name: string | RegExp): HTMLElement {
  return screen.getByRole("dialog", { name });
}

export function getAlertDialog(name: string | RegExp): HTMLElement {
  return screen.getByRole("alertdialog", { name });
}

/**
 * Runs axe over `node` and expects no violations. Contrast is off: jsdom computes no colours. jsdom
 * has no canvas either, which axe's icon-ligature test (label-content-name-mismatch) measures text
 * with: getContext answers null during the run, so that rule reports "incomplete" instead of jsdom
 * logging "Not implemented".
 */
export async function expectNoAxeViolations(node: Element = document.body): Promise<void> {
  const getContext = jest.spyOn(HTMLCanvasElement.prototype, "getContext").mockReturnValue(null);
  let results: axe.AxeResults;
  try {
    results = await axe.run(node, { rules: { "color-contrast": { enabled: false } } });
  } finally {
    getContext.mockRestore();
  }
  const found = results.violations.map((violation) => ({
    rule: violation.id,
    nodes: violation.nodes.map((item) => item.html),
  }));
  expect(found).toEqual([]);
}

export interface ClipboardWrite {
  text: string;
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * Replaces navigator.clipboard with one whose writes settle only when the test says so. Call it
 * after userEvent.setup(), which installs its own clipboard.
 */
export function controllableClipboard() {
  const writes: ClipboardWrite[] = [];
  const writeText = jest.fn(
    (text: string) =>
      new Promise<void>((resolve, reject) => {
        writes.push({ text, resolve, reject });
      }),
  );
  Object.defineProperty(navigator, "clipboard", { value: { writeText }, configurable: true });
  return { writeText, writes };
}

/** A page where the Clipboard API does not exist (insecure context, older browsers). */
export function removeClipboard(): void {
  Object.defineProperty(navigator, "clipboard", { value: undefined, configurable: true });
}

/**
 * Stubs what jsdom lacks for a download: object URLs, and the anchor click that would save the
 * file. Records the Blob, the link's name and URL, and which URLs were revoked.
 */
export function captureDownloads() {
  const blobs = new Map<string, Blob>();
  const revoked: string[] = [];
  const clicks: Array<{ href: string; download: string; blob: Blob | undefined }> = [];
  let next = 0;
  const originalCreate = Object.getOwnPropertyDescriptor(URL, "createObjectURL");
  const originalRevoke = Object.getOwnPropertyDescriptor(URL, "revokeObjectURL");
  Object.defineProperty(URL, "createObjectURL", {
    configurable: true,
    writable: true,
    value: (blob: Blob) => {
      const url = `blob:http://localhost/download-${++next}`;
      blobs.set(url, blob);
      return url;
    },
  });
  Object.defineProperty(URL, "revokeObjectURL", {
    configurable: true,
    writable: true,
    value: (url: string) => {
      revoked.push(url);
    },
  });
  const click = jest.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(function (this: HTMLAnchorElement) {
    clicks.push({ href: this.href, download: this.download, blob: blobs.get(this.href) });
  });
  return {
    clicks,
    revoked,
    restore() {
      click.mockRestore();
      for (const [name, descriptor] of [
        ["createObjectURL", originalCreate],
        ["revokeObjectURL", originalRevoke],
      ] as const) {
        if (descriptor) Object.defineProperty(URL, name, descriptor);
        else Reflect.deleteProperty(URL, name);
      }
    },
  };
}

/** Reads a Blob as text (jsdom's Blob may lack .text()). */
export function blobText(blob: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => {
      resolve(reader.result as string);
    };
    reader.onerror = () => {
      reject(reader.error ?? new Error("FileReader failed"));
    };
    reader.readAsText(blob);
  });
}

/** Everything a page keeps that a secret must not end up in after the reveal dialog closed. */
export function storageSnapshot(): string {
  const dump = (storage: Storage) =>
    Array.from({ length: storage.length }, (_, index) => {
      const key = storage.key(index) ?? "";
      return `${key}=${storage.getItem(key) ?? ""}`;
    }).join("\n");
  return [dump(localStorage), dump(sessionStorage), window.location.href, document.cookie].join("\n");
}

/**
 * jsdom has no CSS.escape, which user-event uses to find a radio group for the arrow keys. A
 * minimal one (escapes every non-word character) is enough for React's generated ids.
 */
export function installCssEscape(): void {
  const css = (globalThis as { CSS?: { escape?: (value: string) => string } }).CSS;
  if (typeof css?.escape === "function") return;
  Object.defineProperty(globalThis, "CSS", {
    configurable: true,
    value: { ...css, escape: (value: string) => value.replace(/[^\w-]/g, (character) => `\\${character}`) },
  });
}

/** Opens the create dialog from whichever "Create secret" button the section shows. */
export async function openCreateDialog(user: UserEvent): Promise<HTMLElement> {
  await user.click(await screen.findByRole("button", { name: "Create secret" }));
  return getDialog("Create secret");
}

/** Creates a secret through the UI and returns the open reveal dialog. */
export async function createThroughUi(user: UserEvent, name?: string): Promise<HTMLElement> {
  const dialog = await openCreateDialog(user);
  if (name) await user.type(within(dialog).getByLabelText("Name (optional)"), name);
  await user.click(within(dialog).getByRole("button", { name: "Create secret" }));
  return screen.findByRole("dialog", { name: "Your new API credentials" });
}

/** Ticks "I have stored these credentials" and presses Done. */
export async function confirmAndClose(user: UserEvent, dialog: HTMLElement): Promise<void> {
  await user.click(within(dialog).getByRole("checkbox", { name: "I have stored these credentials" }));
  await user.click(within(dialog).getByRole("button", { name: "Done" }));
}
