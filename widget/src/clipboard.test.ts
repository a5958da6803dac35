import { afterEach, describe, expect, it, jest } from "@jest/globals";
import { copyText } from "./clipboard";

function setClipboard(value: unknown) {
  Object.defineProperty(navigator, "clipboard", { value, configurable: true });
}

afterEach(() => {
  Reflect.deleteProperty(navigator, "clipboard");
});

describe("copyText", () => {
  it("resolves true once the clipboard write has succeeded", async () => {
    const writeText = jest.fn((_text: string) => Promise.resolve());
    setClipboard({ writeText });
    await expect(copyText("ktsk_value")).resolves.toBe(true);
    expect(writeText).toHaveBeenCalledWith("ktsk_value");
  });

  it("resolves false when the write is refused", async () => {
    setClipboard({ writeText: () => Promise.reject(new DOMException("denied", "NotAllowedError")) });
    await expect(copyText("ktsk_value")).resolves.toBe(false);
  });

  it("resolves false when writeText throws synchronously", async () => {
    setClipboard({
      writeText: () => {
        throw new TypeError("Illegal invocation");
      },
    });
    await expect(copyText("ktsk_value")).resolves.toBe(false);
  });

  it("resolves false where there is no Clipboard API", async () => {
    setClipboard(undefined);
    await expect(copyText("ktsk_value")).resolves.toBe(false);
  });
});
