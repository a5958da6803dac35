import { describe, expect, it } from "@jest/globals";
import { screen, within } from "@testing-library/react";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { FakeKeyturn } from "../test/fake-keyturn";
import { createThroughUi, findRow, openCreateDialog, renderSection } from "../test/render-section";
import { themeAttributes, type Appearance, type AppearanceVariables } from "./appearance";

const VARIABLES: Required<AppearanceVariables> = {
  colorPrimary: "#7c3aed",
  colorPrimaryForeground: "#fefefe",
  colorDanger: "#b91c1c",
  colorWarning: "#a16207",
  colorSuccess: "#166534",
  colorBackground: "#fafaf9",
  colorSurface: "#f5f5f4",
  colorText: "#1c1917",
  colorTextSecondary: "#57534e",
  colorBorder: "#d6d3d1",
  colorFocus: "#2563eb",
  fontFamily: "Inter, sans-serif",
  fontFamilyMono: "JetBrains Mono, monospace",
  fontSize: "15px",
  borderRadius: "12px",
  spacingUnit: "5px",
};

const PROPERTIES: Record<keyof AppearanceVariables, string> = {
  colorPrimary: "--kt-color-primary",
  colorPrimaryForeground: "--kt-color-primary-foreground",
  colorDanger: "--kt-color-danger",
  colorWarning: "--kt-color-warning",
  colorSuccess: "--kt-color-success",
  colorBackground: "--kt-color-background",
  colorSurface: "--kt-color-surface",
  colorText: "--kt-color-text",
  colorTextSecondary: "--kt-color-text-secondary",
  colorBorder: "--kt-color-border",
  colorFocus: "--kt-color-focus",
  fontFamily: "--kt-font-family",
  fontFamilyMono: "--kt-font-family-mono",
  fontSize: "--kt-font-size",
  borderRadius: "--kt-radius",
  spacingUnit: "--kt-space",
};

function customProperties(element: HTMLElement): Record<string, string> {
  const found: Record<string, string> = {};
  for (const name of Array.from(element.style)) {
    if (name.startsWith("--")) found[name] = element.style.getPropertyValue(name).trim();
  }
  return found;
}

const expected = Object.fromEntries(
  Object.entries(VARIABLES).map(([key, value]) => [PROPERTIES[key as keyof AppearanceVariables], value]),
);

describe("themeAttributes", () => {
  it('defaults to the "auto" theme with no custom properties', () => {
    expect(themeAttributes(undefined)).toEqual({ "data-kt-theme": "auto", style: {} });
    expect(themeAttributes({})).toEqual({ "data-kt-theme": "auto", style: {} });
  });

  it("maps every documented variable to its --kt-* custom property", () => {
    expect(themeAttributes({ theme: "light", variables: VARIABLES })).toEqual({
      "data-kt-theme": "light",
      style: expected,
    });
  });

  it("ignores unknown keys, empty values and values that are not strings", () => {
    const variables = {
      colorPrimary: "#123456",
      colorDanger: "",
      borderRadius: 4,
      notAToken: "red",
      "--kt-color-text": "blue",
    } as unknown as AppearanceVariables;
    expect(themeAttributes({ variables }).style).toEqual({ "--kt-color-primary": "#123456" });
  });
});

describe("ApiSecretSection appearance", () => {
  it("sets the variables as --kt-* properties on the section root", async () => {
    const fake = new FakeKeyturn();
    fake.addSecret({ name: "Reporting" });
    const { container } = renderSection(fake, { appearance: { variables: VARIABLES } });
    await findRow("Reporting");

    const root = container.querySelector<HTMLElement>(".kt-root")!;
    expect(root.tagName).toBe("SECTION");
    expect(customProperties(root)).toEqual(expected);
    expect(root.getAttribute("data-kt-theme")).toBe("auto");
  });

  it("carries the theme and variables to the dialogs' portal layer", async () => {
    const fake = new FakeKeyturn();
    const appearance: Appearance = { theme: "dark", variables: { colorPrimary: "#22c55e", borderRadius: "2px" } };
    const { user, container } = renderSection(fake, { appearance });

    const dialog = await openCreateDialog(user);
    const layer = dialog.closest<HTMLElement>(".kt-root")!;
    expect(container.contains(layer)).toBe(false);
    expect(layer.classList.contains("kt-layer")).toBe(true);
    expect(layer.getAttribute("data-kt-theme")).toBe("dark");
    expect(customProperties(layer)).toEqual({ "--kt-color-primary": "#22c55e", "--kt-radius": "2px" });

    await user.click(within(dialog).getByRole("button", { name: "Create secret" }));
    const reveal = await screen.findByRole("dialog", { name: "Your new API credentials" });
    const revealLayer = reveal.closest<HTMLElement>(".kt-root")!;
    expect(revealLayer.getAttribute("data-kt-theme")).toBe("dark");
    expect(customProperties(revealLayer)).toEqual({ "--kt-color-primary": "#22c55e", "--kt-radius": "2px" });
  });

  it('marks the section data-kt-theme="dark" or "light" as asked, and "auto" by default', async () => {
    const fake = new FakeKeyturn();
    const dark = renderSection(fake, { appearance: { theme: "dark" } });
    await screen.findByText("No API secrets yet");
    expect(dark.container.querySelector("section")?.getAttribute("data-kt-theme")).toBe("dark");
    dark.unmount();

    const light = renderSection(fake, { appearance: { theme: "light" } });
    await screen.findByText("No API secrets yet");
    expect(light.container.querySelector("section")?.getAttribute("data-kt-theme")).toBe("light");
    light.unmount();

    const plain = renderSection(fake);
    await screen.findByText("No API secrets yet");
    const section = plain.container.querySelector("section")!;
    expect(section.getAttribute("data-kt-theme")).toBe("auto");
    expect(section.getAttribute("style")).toBeNull();
  });

  it("ignores keys that are not design tokens", async () => {
    const fake = new FakeKeyturn();
    const variables = { colorPrimary: "#0ea5e9", background: "hotpink" } as unknown as AppearanceVariables;
    const { container } = renderSection(fake, { appearance: { variables } });
    await screen.findByText("No API secrets yet");

    const section = container.querySelector<HTMLElement>("section")!;
    expect(customProperties(section)).toEqual({ "--kt-color-primary": "#0ea5e9" });
    expect(section.getAttribute("style")).not.toContain("hotpink");
  });

  it("adds the host's className to the root and uses only kt- prefixed classes of its own", async () => {
    const fake = new FakeKeyturn();
    fake.addSecret({ name: "Reporting" });
    const { user, container } = renderSection(fake, { className: "portal-card" });
    await findRow("Reporting");
    const section = container.querySelector("section")!;
    expect(Array.from(section.classList)).toEqual(["kt-root", "kt-section", "portal-card"]);

    await createThroughUi(user, "Billing");
    const classes = new Set(
      Array.from(document.body.querySelectorAll("[class]")).flatMap((element) => Array.from(element.classList)),
    );
    classes.delete("portal-card");
    expect(classes.size).toBeGreaterThan(10);
    expect(Array.from(classes).filter((name) => !name.startsWith("kt-"))).toEqual([]);
  });
});

/** "a, b:where(c, d)" → ["a", "b:where(c, d)"]: commas inside parentheses do not separate. */
function splitSelectorList(list: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = "";
  for (const character of list) {
    if (character === "(") depth++;
    if (character === ")") depth--;
    if (character === "," && depth === 0) {
      parts.push(current.trim());
      current = "";
    } else current += character;
  }
  parts.push(current.trim());
  return parts;
}

describe("styles.css", () => {
  const css = readFileSync(join(__dirname, "styles.css"), "utf8");

  /** Every style rule's selectors, including those inside @media and @container. */
  function selectors(): string[] {
    const style = document.createElement("style");
    style.textContent = css;
    document.head.append(style);
    const found: string[] = [];
    const walk = (rules: CSSRuleList) => {
      for (const rule of Array.from(rules)) {
        if (rule instanceof CSSStyleRule) found.push(...splitSelectorList(rule.selectorText));
        // Group rules (@media, @container) hold style rules; @keyframes (which has a name) holds frames.
        else if ("cssRules" in rule && !("name" in rule)) walk((rule as CSSGroupingRule).cssRules);
      }
    };
    walk(style.sheet!.cssRules);
    style.remove();
    return found;
  }

  it("styles only elements inside the widget, never the host page", () => {
    const found = selectors();
    expect(found.length).toBeGreaterThan(50);
    expect(found.filter((selector) => !selector.startsWith(".kt-"))).toEqual([]);
  });

  it("names its keyframes with the kt- prefix", () => {
    const names = Array.from(css.matchAll(/@keyframes\s+([\w-]+)/g), (match) => match[1]);
    expect(names.length).toBeGreaterThan(0);
    expect(names.filter((name) => !name?.startsWith("kt-"))).toEqual([]);
  });
});
