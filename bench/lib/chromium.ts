// Debian's Chromium as every browser run here launches it: the widget's browser tests, the
// end-to-end suite and the render benchmark. Those flags are the ones that work on this machine
// and in CI (no sandbox, no GPU, nothing fetched in the background).
export const CHROMIUM = "/usr/bin/chromium";

export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
