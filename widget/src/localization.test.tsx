import { describe, expect, it, jest } from "@jest/globals";
import { screen, waitFor, within } from "@testing-library/react";
import { FakeKeyturn } from "../test/fake-keyturn";
import { findRow, getAlertDialog, renderSection } from "../test/render-section";
import {
  englishMessages,
  formatDateTime,
  formatDuration,
  formatRelative,
  prepareFormatters,
  resolveMessages,
  type Localization,
  type Messages,
} from "./localization";

const SECOND = 1000;
const HOUR = 3600 * SECOND;
const DAY = 24 * HOUR;

describe("resolveMessages", () => {
  it("overrides only the strings given and keeps English for the rest", () => {
    const messages = resolveMessages({ title: "API-Schlüssel", retry: undefined, locale: "de-DE" });
    expect(messages.title).toBe("API-Schlüssel");
    expect(messages.retry).toBe(englishMessages.retry);
    expect(messages.createSecret).toBe("Create secret");
  });

  it("is English without a localization", () => {
    expect(resolveMessages(undefined)).toEqual(englishMessages);
  });
});

describe("formatRelative", () => {
  const now = new Date("2025-06-15T12:00:00Z");
  const at = (offsetMs: number) => new Date(now.getTime() + offsetMs);

  it("uses the largest unit that fits, in English by default", () => {
    expect(formatRelative(at(-3 * DAY), now, "en-US")).toBe("3 days ago");
    expect(formatRelative(at(-2 * HOUR), now, "en-US")).toBe("2 hours ago");
    expect(formatRelative(at(-5 * 60 * SECOND), now, "en-US")).toBe("5 minutes ago");
    expect(formatRelative(at(23 * HOUR), now, "en-US")).toBe("in 23 hours");
    // Just after a one-hour grace rotation, not "in 60 minutes".
    expect(formatRelative(at(HOUR - SECOND), now, "en-US")).toBe("in 1 hour");
    expect(formatRelative(at(-400 * DAY), now, "en-US")).toBe("last year");
  });

  it("says now for the present moment", () => {
    expect(formatRelative(now, now, "en-US")).toBe("now");
  });

  it("formats in the locale asked for", () => {
    const past = formatRelative(at(-3 * DAY), now, "de-DE");
    expect(past).toMatch(/vor/);
    expect(past).toMatch(/3/);
    expect(past).not.toMatch(/ago/);
    expect(formatRelative(at(23 * HOUR), now, "de-DE")).toMatch(/^in 23 Stunden$/);
    expect(formatRelative(at(-2 * HOUR), now, "fr-FR")).toMatch(/il y a/);
  });
});

describe("formatDuration and formatDateTime", () => {
  it("names the grace periods in hours or days", () => {
    expect(formatDuration(3600, "en-US")).toBe("1 hour");
    expect(formatDuration(86400, "en-US")).toBe("24 hours");
    expect(formatDuration(604800, "en-US")).toBe("7 days");
    expect(formatDuration(604800, "de-DE")).toMatch(/7 Tage/);
  });

  it("formats absolute dates for the locale", () => {
    const date = new Date("2025-03-04T10:15:00Z");
    expect(formatDateTime(date, "en-US")).toMatch(/Mar 4, 2025/);
    expect(formatDateTime(date, "de-DE")).toMatch(/04\.03\.2025/);
  });
});

describe("formatter reuse", () => {
  /** Counts the formatters built while `run` runs (each costs far more than a format call). */
  function countBuilt(run: () => void): { relative: number; dateTime: number; number: number } {
    const built = { relative: 0, dateTime: 0, number: 0 };
    const originals = {
      RelativeTimeFormat: Intl.RelativeTimeFormat,
      DateTimeFormat: Intl.DateTimeFormat,
      NumberFormat: Intl.NumberFormat,
    };
    const counting = {
      RelativeTimeFormat: class extends originals.RelativeTimeFormat {
        constructor(...args: ConstructorParameters<typeof Intl.RelativeTimeFormat>) {
          super(...args);
          built.relative++;
        }
      },
      DateTimeFormat: class extends originals.DateTimeFormat {
        constructor(...args: ConstructorParameters<typeof Intl.DateTimeFormat>) {
          super(...args);
          built.dateTime++;
        }
      },
      NumberFormat: class extends originals.NumberFormat {
        constructor(...args: ConstructorParameters<typeof Intl.NumberFormat>) {
          super(...args);
          built.number++;
        }
      },
    };
    Object.assign(Intl, counting);
    try {
      run();
    } finally {
      Object.assign(Intl, originals);
    }
    return built;
  }

  it("builds one formatter per locale and kind, however many dates it formats", () => {
    const now = new Date("2025-06-15T12:00:00Z");
    const results: string[] = [];
    const built = countBuilt(() => {
      for (let hours = 1; hours <= 50; hours++) {
        const date = new Date(now.getTime() - hours * HOUR);
        for (const locale of ["nl-NL", "sv-SE"]) {
          results.push(formatRelative(date, now, locale), formatDateTime(date, locale));
        }
      }
      results.push(formatDuration(3600, "nl-NL"), formatDuration(604800, "nl-NL"), formatDuration(7200, "nl-NL"));
    });
    expect(built).toEqual({ relative: 2, dateTime: 2, number: 2 });
    // Each locale still gets its own wording.
    expect(results[0]).toBe("1 uur geleden");
    expect(results[2]).toBe("för 1 timme sedan");
    expect(results.slice(-3)).toEqual(["1 uur", "7 dagen", "2 uur"]);
  });

  it("formats each phrase once: a list repeats the same few, and the minute decides a date's", () => {
    const relative = jest.spyOn(Intl.RelativeTimeFormat.prototype, "format");
    // DateTimeFormat#format is a getter (of a bound function): each format call reads it once.
    const dateTime = jest.spyOn(Intl.DateTimeFormat.prototype as unknown as { format: unknown }, "format", "get");
    try {
      const now = new Date("2025-06-15T12:00:00Z");
      const times = [0, 10, 20, 30].map((seconds) => new Date(now.getTime() - (2 * 60 + seconds) * 1000));
      const phrases = times.map((date) => formatRelative(date, now, "da-DK"));
      const dates = times.map((date) => formatDateTime(date, "da-DK"));
      expect(new Set(phrases)).toEqual(new Set(["for 2 minutter siden"]));
      expect(relative).toHaveBeenCalledTimes(1);
      // 11:57:30 and 11:57:50 are one minute; 11:58:00 is another.
      expect(new Set(dates).size).toBe(2);
      expect(dateTime).toHaveBeenCalledTimes(2);
      // A different number, unit or locale is a phrase of its own.
      expect(formatRelative(new Date(now.getTime() - 3 * 60_000), now, "da-DK")).toBe("for 3 minutter siden");
      expect(formatRelative(times[0]!, now, "de-DE")).toBe("vor 2 Minuten");
      expect(relative).toHaveBeenCalledTimes(3);
    } finally {
      relative.mockRestore();
      dateTime.mockRestore();
    }
  });

  it("prepares the list's formatters ahead of the rows, and lets a bad locale fail where it is used", () => {
    const built = countBuilt(() => {
      prepareFormatters("pt-BR");
      formatRelative(new Date(), new Date(), "pt-BR");
      formatDateTime(new Date(), "pt-BR");
    });
    expect(built).toEqual({ relative: 1, dateTime: 1, number: 0 });
    expect(() => {
      prepareFormatters("not a locale!");
    }).not.toThrow();
    expect(() => formatRelative(new Date(), new Date(), "not a locale!")).toThrow(RangeError);
  });
});

describe("ApiSecretSection localization", () => {
  it("shows the host's strings for the title, the create button and last use", async () => {
    const fake = new FakeKeyturn();
    fake.addSecret({ name: "Reporting", lastUsedAt: new Date(Date.now() - 2 * HOUR).toISOString() });
    renderSection(fake, {
      localization: {
        title: "Clés d'API",
        createSecret: "Créer une clé",
        lastUsed: (time) => `Dernière utilisation : ${time}`,
      },
    });

    const row = await findRow("Reporting");
    expect(screen.getByRole("heading", { level: 2 }).textContent).toBe("Clés d'API");
    expect(screen.getByRole("region", { name: "Clés d'API" })).toBeTruthy();
    expect(screen.getByRole("button", { name: "Créer une clé" })).toBeTruthy();
    expect(screen.queryByRole("button", { name: "Create secret" })).toBeNull();
    expect(within(row).getByText("Dernière utilisation : 2 hours ago")).toBeTruthy();
    expect(screen.queryByText("API Secret")).toBeNull();
  });

  it("builds the locale's formatters while the list is still on its way", async () => {
    const fake = new FakeKeyturn();
    fake.addSecret({ name: "Reporting" });
    const release = fake.hold("ApiSecrets");
    const built: unknown[] = [];
    const Original = Intl.RelativeTimeFormat;
    Object.assign(Intl, {
      RelativeTimeFormat: class extends Original {
        constructor(...args: ConstructorParameters<typeof Intl.RelativeTimeFormat>) {
          super(...args);
          built.push(args[0]);
        }
      },
    });
    try {
      renderSection(fake, { localization: { locale: "fi-FI" } });
      await waitFor(() => {
        expect(built).toContain("fi-FI");
      });
      expect(screen.queryByRole("heading", { name: "Reporting", level: 3 })).toBeNull();
      release();
      expect(await findRow("Reporting")).toBeTruthy();
      expect(built).toEqual(["fi-FI"]);
    } finally {
      Object.assign(Intl, { RelativeTimeFormat: Original });
    }
  });

  it("formats relative times, dates and grace periods in the locale given", async () => {
    const fake = new FakeKeyturn();
    const lastUsedAt = new Date(Date.now() - 3 * DAY).toISOString();
    fake.addSecret({ name: "Reporting", lastUsedAt }, 5 * DAY);
    const { user } = renderSection(fake, {
      localization: { locale: "de-DE", lastUsed: (time) => `Zuletzt verwendet ${time}` },
    });

    const row = await findRow("Reporting");
    const lastUsed = within(row).getByText(/^Zuletzt verwendet/);
    expect(lastUsed.textContent).toMatch(/vor/);
    expect(lastUsed.textContent).toMatch(/3/);
    expect(lastUsed.getAttribute("title")).toMatch(/\d{2}\.\d{2}\.\d{4}/);
    expect(within(row).getByText(/^Created .*vor.* by alice@example\.com$/)).toBeTruthy();

    await user.click(within(row).getByRole("button", { name: "Rotate Reporting" }));
    const dialog = getAlertDialog("Rotate “Reporting”?");
    await user.click(within(dialog).getByRole("radio", { name: "In 24 hours" }));
    expect(within(dialog).getByText(/keep working for 24 Stunden/)).toBeTruthy();
  });

  it("leaves no English default in sight when every string is translated", async () => {
    const fake = new FakeKeyturn();
    const now = new Date().toISOString();
    fake.addSecret({ name: "Zeta", lastUsedAt: now });
    fake.addSecret({
      name: "Omega",
      credentials: [
        { keyId: "ktid_one", hint: "ktsk_…AbCd", status: "ACTIVE", createdAt: now, expiresAt: null, lastUsedAt: null },
        {
          keyId: "ktid_two",
          hint: "ktsk_…WxYz",
          status: "EXPIRING",
          createdAt: now,
          expiresAt: new Date(Date.now() + HOUR).toISOString(),
          lastUsedAt: null,
        },
      ],
    });
    fake.addSecret({ name: "Kappa", status: "REVOKED", revokedAt: now, credentials: [] });
    // Every message becomes «key»: any English left on screen was not localizable.
    const pseudo = Object.fromEntries(
      Object.entries(englishMessages).map(([key, value]) => [
        key,
        typeof value === "function" ? (...args: string[]) => `«${key}:${args.join("|")}»` : `«${key}»`,
      ]),
    ) as unknown as Messages;
    const localization: Localization = { ...pseudo };
    const { user } = renderSection(fake, { localization, exampleRequestUrl: "https://analytics.example.com" });

    const english = Object.values(englishMessages).filter(
      (value): value is string => typeof value === "string" && value.length > 3,
    );
    const expectNoEnglish = () => {
      const visible = [
        document.body.textContent,
        ...Array.from(document.querySelectorAll("[aria-label]"), (element) => element.getAttribute("aria-label")),
        ...Array.from(document.querySelectorAll("[placeholder]"), (element) => element.getAttribute("placeholder")),
      ].join("\n");
      // Drop the translated «…» markers (innermost first), then look for English.
      let untranslated = visible;
      while (/«[^«»]*»/.test(untranslated)) untranslated = untranslated.replace(/«[^«»]*»/g, " ");
      expect(english.filter((text) => untranslated.includes(text))).toEqual([]);
    };

    await findRow("Kappa");
    expect(screen.getByText("«title»")).toBeTruthy();
    expect(screen.getAllByText(/^«stopsWorkingIn:ktid_two\|/)).toHaveLength(1);
    expectNoEnglish();

    await user.click(screen.getByRole("button", { name: "«createSecret»" }));
    expect(screen.getByRole("dialog", { name: "«createTitle»" })).toBeTruthy();
    expectNoEnglish();
    await user.type(screen.getByLabelText("«nameLabel»"), "Sigma");
    await user.click(screen.getByRole("button", { name: "«createConfirm»" }));
    const reveal = await screen.findByRole("dialog", { name: "«revealTitleCreated»" });
    await user.keyboard("{Escape}");
    await within(reveal).findByText("«storedRequired»");
    expectNoEnglish();
    await user.click(within(reveal).getByRole("checkbox", { name: "«storedConfirmation»" }));
    await user.click(within(reveal).getByRole("button", { name: "«done»" }));

    await user.click(within(await findRow("Omega")).getByRole("button", { name: "«rotate» Omega" }));
    expect(screen.getByRole("alertdialog", { name: "«rotateTitle:Omega»" })).toBeTruthy();
    expect(screen.getByText("«rotateEndsEarlierGrace:ktid_two»")).toBeTruthy();
    expectNoEnglish();
    await user.click(screen.getByRole("radio", { name: "«graceOneHour»" }));
    expectNoEnglish();
    await user.click(screen.getByRole("button", { name: "«cancel»" }));

    await user.click(within(await findRow("Zeta")).getByRole("button", { name: "«revoke» Zeta" }));
    expect(screen.getByRole("alertdialog", { name: "«revokeTitle:Zeta»" })).toBeTruthy();
    expect(screen.getByLabelText("«revokeInputLabel:«revokeConfirmationWord»»")).toBeTruthy();
    expectNoEnglish();
  });
});
