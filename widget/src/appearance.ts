import type { CSSProperties } from "react";

/** Design tokens, each rendered as a `--kt-…` CSS custom property on the widget's root. */
export interface AppearanceVariables {
  colorPrimary?: string;
  /** Text on primary-coloured buttons. */
  colorPrimaryForeground?: string;
  colorDanger?: string;
  colorWarning?: string;
  colorSuccess?: string;
  colorBackground?: string;
  /** Slightly raised areas: rows, code blocks, inputs. */
  colorSurface?: string;
  colorText?: string;
  colorTextSecondary?: string;
  colorBorder?: string;
  colorFocus?: string;
  fontFamily?: string;
  fontFamilyMono?: string;
  /** Base font size, e.g. "14px". */
  fontSize?: string;
  borderRadius?: string;
  /** The spacing unit every gap and padding is a multiple of, e.g. "4px". */
  spacingUnit?: string;
}

export interface Appearance {
  /** "auto" (the default) follows the host's `prefers-color-scheme`. */
  theme?: "light" | "dark" | "auto";
  /** Applied over the theme's defaults, whichever theme is active. */
  variables?: AppearanceVariables;
}

const VARIABLE_NAMES: Record<keyof AppearanceVariables, string> = {
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

/** The attributes that put a widget root (the section, or a dialog's portal) in its theme. */
export function themeAttributes(appearance: Appearance | undefined): {
  "data-kt-theme": "light" | "dark" | "auto";
  style: CSSProperties;
} {
  const style: CSSProperties & Record<string, string> = {};
  const variables: Record<string, unknown> = { ...appearance?.variables };
  // Only documented tokens become properties; anything else a host passes is ignored.
  for (const [key, name] of Object.entries(VARIABLE_NAMES)) {
    const value = variables[key];
    if (typeof value === "string" && value !== "") style[name] = value;
  }
  return { "data-kt-theme": appearance?.theme ?? "auto", style };
}
