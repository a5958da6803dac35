/**
 * Every string the widget shows. Override any of them through the `localization` prop; the
 * functions receive values already formatted for the locale (relative times, names).
 */
export interface Messages {
  title: string;
  description: string;
  createSecret: string;
  rotate: string;
  revoke: string;
  loading: string;
  loadError: string;
  retry: string;
  emptyTitle: string;
  emptyDescription: string;
  emptyViewerDescription: string;
  statusActive: string;
  statusRevoked: string;
  keyIdLabel: string;
  secretLabel: string;
  createdBy: (relativeTime: string, actor: string) => string;
  lastUsed: (relativeTime: string) => string;
  neverUsed: string;
  revokedAt: (relativeTime: string) => string;
  /** A replaced credential still in its grace period. */
  stopsWorkingIn: (keyId: string, relativeTime: string) => string;
  cancel: string;
  working: string;

  createTitle: string;
  createDescription: string;
  nameLabel: string;
  namePlaceholder: string;
  /** Shown when a typed name is too long or holds control characters. */
  nameInvalid: (maxLength: number) => string;
  createConfirm: string;

  rotateTitle: (name: string) => string;
  rotateDescription: string;
  rotateWhenLabel: string;
  graceImmediately: string;
  graceOneHour: string;
  graceOneDay: string;
  graceSevenDays: string;
  rotateImmediateWarning: string;
  rotateGraceWarning: (period: string) => string;
  rotateEndsEarlierGrace: (keyId: string) => string;
  rotateConfirm: string;

  revokeTitle: (name: string) => string;
  revokeDescription: string;
  /** The word to type; compared case-insensitively. */
  revokeConfirmationWord: string;
  revokeInputLabel: (word: string) => string;
  revokeConfirm: string;

  revealTitleCreated: string;
  revealTitleRotated: string;
  revealWarning: string;
  copy: string;
  copied: string;
  copyUnavailable: string;
  downloadEnv: string;
  exampleRequestLabel: string;
  storedConfirmation: string;
  storedRequired: string;
  done: string;

  errorGeneric: string;
  errorLimitExceeded: string;
  errorForbidden: string;
  errorUnauthenticated: string;
  /** The server asks to wait; receives the seconds from its Retry-After. */
  errorTooManyRequests: (seconds: number) => string;
  errorUnavailable: string;
}

export interface Localization extends Partial<Messages> {
  /** BCP 47 locale for dates and relative times, e.g. "de-DE". Defaults to the browser's. */
  locale?: string;
}

export const englishMessages: Messages = {
  title: "API Secret",
  description: "Credentials your applications use to authenticate requests to the Analytics API.",
  createSecret: "Create secret",
  rotate: "Rotate",
  revoke: "Revoke",
  loading: "Loading API secrets…",
  loadError: "API secrets could not be loaded.",
  retry: "Try again",
  emptyTitle: "No API secrets yet",
  emptyDescription: "Create a secret to let your applications call the Analytics API.",
  emptyViewerDescription: "An administrator of this project can create one.",
  statusActive: "Active",
  statusRevoked: "Revoked",
  keyIdLabel: "Key ID",
  secretLabel: "Secret",
  createdBy: (time, actor) => `Created ${time} by ${actor}`,
  lastUsed: (time) => `Last used ${time}`,
  neverUsed: "Never used",
  revokedAt: (time) => `Revoked ${time}`,
  stopsWorkingIn: (keyId, time) => `Previous credentials ${keyId} stop working ${time}`,
  cancel: "Cancel",
  working: "Working…",

  createTitle: "Create secret",
  createDescription: "Name it after the application that will use it, so you can recognise it later.",
  nameLabel: "Name (optional)",
  namePlaceholder: "e.g. Reporting service",
  nameInvalid: (maxLength) => `Use at most ${maxLength} characters, with no control characters.`,
  createConfirm: "Create secret",

  rotateTitle: (name) => `Rotate “${name}”?`,
  rotateDescription: "A new Key ID and secret will be issued. Choose when the current credentials stop working.",
  rotateWhenLabel: "Current credentials stop working",
  graceImmediately: "Immediately",
  graceOneHour: "In 1 hour",
  graceOneDay: "In 24 hours",
  graceSevenDays: "In 7 days",
  rotateImmediateWarning:
    "The current credentials will no longer be valid once rotation is complete. Update your applications right away.",
  rotateGraceWarning: (period) => `The current credentials keep working for ${period}, then stop.`,
  rotateEndsEarlierGrace: (keyId) => `The previous credentials ${keyId}, still in their grace period, stop at once.`,
  rotateConfirm: "Rotate secret",

  revokeTitle: (name) => `Revoke “${name}”?`,
  revokeDescription: "Every credential of this secret stops working immediately. This cannot be undone.",
  revokeConfirmationWord: "revoke",
  revokeInputLabel: (word) => `Type “${word}” to confirm`,
  revokeConfirm: "Revoke secret",

  revealTitleCreated: "Your new API credentials",
  revealTitleRotated: "Your rotated API credentials",
  revealWarning:
    "These values will not be shown again once you close this window. Copy them now and store them securely, in a password manager or secret store.",
  copy: "Copy",
  copied: "Copied",
  copyUnavailable: "Copying is not allowed here. The value is selected: press Ctrl+C (⌘C on a Mac) to copy it.",
  downloadEnv: "Download .env",
  exampleRequestLabel: "Try them",
  storedConfirmation: "I have stored these credentials",
  storedRequired: "Confirm that you have stored the credentials to close this window.",
  done: "Done",

  errorGeneric: "Something went wrong. Please try again.",
  errorLimitExceeded: "This project has reached its limit of active secrets. Revoke one before creating another.",
  errorForbidden: "You do not have permission to do this in this project.",
  errorUnauthenticated: "Your session has expired. Reload the page and sign in again.",
  errorTooManyRequests: (seconds) => `Too many changes in a short time. Try again in ${seconds} s.`,
  errorUnavailable: "The service is briefly unavailable. Nothing was changed; try again in a moment.",
};

export function resolveMessages(localization: Localization | undefined): Messages {
  return { ...englishMessages, ...withoutUndefined(localization ?? {}) };
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

const UNITS: Array<[Intl.RelativeTimeFormatUnit, number]> = [
  ["year", 365 * 24 * 3600],
  ["month", 30 * 24 * 3600],
  ["week", 7 * 24 * 3600],
  ["day", 24 * 3600],
  ["hour", 3600],
  ["minute", 60],
  ["second", 1],
];

// Building an Intl formatter costs far more than using one (it resolves the locale's data), and a
// list formats several dates per row: each formatter is built once per locale and options.
const formatters = new Map<string, Intl.RelativeTimeFormat | Intl.DateTimeFormat | Intl.NumberFormat>();

function cachedFormatter<T extends Intl.RelativeTimeFormat | Intl.DateTimeFormat | Intl.NumberFormat>(
  key: string,
  locale: string | undefined,
  create: () => T,
): T {
  const id = `${key}|${locale ?? ""}`;
  let formatter = formatters.get(id) as T | undefined;
  if (!formatter) {
    // A host could pass ever new locales; they are few in practice, so a full cache just starts over.
    if (formatters.size >= 64) formatters.clear();
    formatter = create();
    formatters.set(id, formatter);
  }
  return formatter;
}

// Formatting is slow too on a page that has just loaded (≈0.2 ms a call before the JIT warms up),
// and a list repeats the same few phrases ("2 minutes ago"): answers are kept by what decides them.
const phrases = new Map<string, string>();

function rememberedPhrase(key: string, format: () => string): string {
  let phrase = phrases.get(key);
  if (phrase === undefined) {
    if (phrases.size >= 1000) phrases.clear();
    phrase = format();
    phrases.set(key, phrase);
  }
  return phrase;
}

/** Builds the formatters the list uses for `locale` ahead of time: the first one costs the most. */
export function prepareFormatters(locale: string | undefined): void {
  try {
    const now = new Date();
    formatRelative(now, now, locale);
    formatDateTime(now, locale);
  } catch {
    // An invalid locale fails here as it will when the rows render, and is reported there.
  }
}

/** "3 days ago", "in 23 hours", "now" — in the largest unit that fits, via Intl. */
export function formatRelative(date: Date, now: Date, locale: string | undefined): string {
  const seconds = Math.round((date.getTime() - now.getTime()) / 1000);
  // A hair under a unit counts as the unit: 3,599 s is "in 1 hour", not "in 60 minutes"; 23 h stays 23 h.
  const [unit, size] = UNITS.find(([, size]) => Math.abs(seconds) >= size * 0.99) ?? (["second", 1] as const);
  const value = Math.round(seconds / size);
  return rememberedPhrase(`relative|${locale ?? ""}|${value}|${unit}`, () =>
    cachedFormatter("relative", locale, () => new Intl.RelativeTimeFormat(locale, { numeric: "auto" })).format(
      value,
      unit,
    ),
  );
}

/** An absolute date and time for tooltips and `<time>` titles. */
export function formatDateTime(date: Date, locale: string | undefined): string {
  // The short time style shows minutes at most: every moment of one minute reads the same.
  return rememberedPhrase(`datetime|${locale ?? ""}|${Math.floor(date.getTime() / 60_000)}`, () =>
    cachedFormatter(
      "datetime",
      locale,
      () => new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" }),
    ).format(date),
  );
}

/** "1 hour", "24 hours", "7 days" for a grace period, via Intl. */
export function formatDuration(seconds: number, locale: string | undefined): string {
  const [unit, size] =
    seconds % 86400 === 0 && seconds >= 7 * 86400 ? (["day", 86400] as const) : (["hour", 3600] as const);
  return cachedFormatter(
    `duration-${unit}`,
    locale,
    () => new Intl.NumberFormat(locale, { style: "unit", unit, unitDisplay: "long" }),
  ).format(seconds / size);
}
