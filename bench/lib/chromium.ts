// Debian's Chromium as every browser run here launches it: the widget's browser tests, the
// end-to-end suite and the render benchmark. Those flags are the ones that work on this machine
// and in CI (no sandbox, no GPU, nothing fetched in the background), and none of the browser's
// own UI: headless Chromium 156 still builds its omnibox popups (WebUI pages in a renderer of
// their own) for every new context, which took about as much CPU as the page under test while it
// loaded — on two cores, a third of the widget's measured render time (bench/notes.md).
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
  "--disable-features=PreloadTopChromeWebUI,WebUIOmniboxPopup,WebUIOmniboxAimPopup,WebUIOmniboxFullPopup",
];
