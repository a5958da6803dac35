import * as Dialog from "@radix-ui/react-dialog";
import { useId, useRef, useState } from "react";
import type { Appearance } from "./appearance";
import { Button } from "./Button";
import { WidgetContext, useWidget } from "./context";
import { CopyField } from "./CopyField";
import { downloadFile, envFileContent, envFileName, type EnvFileOptions } from "./env-file";
import { DownloadIcon, WarningIcon } from "./icons";
import { resolveMessages, type Localization } from "./localization";
import { ThemedLayer, returnFocusTo } from "./ThemedLayer";

export interface SecretRevealDialogProps {
  /** The credentials to reveal; the dialog is open while this is set. */
  credentials: { keyId: string; secret: string } | null;
  /** Called once the user has confirmed they stored the credentials. Clear `credentials` here. */
  onClose: () => void;
  /** Titles the dialog "new" or "rotated" credentials. Defaults to "created". */
  reason?: "created" | "rotated";
  /** The secret's name, used for the .env file name. */
  secretName?: string;
  envFile?: EnvFileOptions;
  /** A URL of the host's Analytics API: the dialog then offers a ready `curl` line for it. */
  exampleRequestUrl?: string;
  appearance?: Appearance;
  localization?: Localization;
  /** Where focus goes when the dialog closes (defaults to what had focus when it opened). */
  returnFocus?: () => HTMLElement | null;
}

/**
 * The one-time reveal (seed step 5): Key ID and secret with copy buttons, a .env download, and a
 * warning that they will not be shown again. It closes only after "I have stored these
 * credentials" is ticked; Escape and clicks outside are ignored until then.
 */
export function SecretRevealDialog(props: SecretRevealDialogProps) {
  const inherited = useWidget();
  const settings =
    props.localization || props.appearance
      ? {
          messages: props.localization ? resolveMessages(props.localization) : inherited.messages,
          locale: props.localization?.locale ?? inherited.locale,
          appearance: props.appearance ?? inherited.appearance,
        }
      : inherited;
  return (
    <WidgetContext.Provider value={settings}>
      <RevealDialog {...props} />
    </WidgetContext.Provider>
  );
}

function RevealDialog({
  credentials,
  onClose,
  reason = "created",
  secretName,
  envFile,
  exampleRequestUrl,
  returnFocus,
}: SecretRevealDialogProps) {
  const { messages } = useWidget();
  const [stored, setStored] = useState(false);
  const [nudged, setNudged] = useState(false);
  const confirmation = useRef<HTMLInputElement>(null);
  // Radix returns focus to a Dialog.Trigger, and this dialog has none: remember what had focus.
  const openedFrom = useRef<HTMLElement | null>(null);
  const warningId = useId();

  function refuseToClose(event: Event) {
    if (stored) return;
    event.preventDefault();
    setNudged(true);
    confirmation.current?.focus();
  }

  function close() {
    setStored(false);
    setNudged(false);
    onClose();
  }

  return (
    <Dialog.Root
      open={credentials !== null}
      onOpenChange={(open) => {
        if (!open && stored) close();
      }}
    >
      <Dialog.Portal>
        <ThemedLayer>
          <Dialog.Overlay className="kt-overlay" />
          <Dialog.Content
            className="kt-dialog kt-dialog--wide"
            aria-describedby={warningId}
            onEscapeKeyDown={refuseToClose}
            onPointerDownOutside={refuseToClose}
            onInteractOutside={refuseToClose}
            onOpenAutoFocus={(event) => {
              openedFrom.current = document.activeElement instanceof HTMLElement ? document.activeElement : null;
              // Start on the first Copy button: focusing the Key ID field would select it, which
              // reads as an accidental highlight.
              const firstCopy = (event.currentTarget as HTMLElement | null)?.querySelector<HTMLButtonElement>(
                ".kt-copy-row .kt-button",
              );
              if (firstCopy) {
                event.preventDefault();
                firstCopy.focus();
              }
            }}
            onCloseAutoFocus={(event) => {
              returnFocusTo(returnFocus ?? (() => openedFrom.current))(event);
            }}
          >
            <Dialog.Title className="kt-dialog-title">
              {reason === "rotated" ? messages.revealTitleRotated : messages.revealTitleCreated}
            </Dialog.Title>
            <div id={warningId} className="kt-callout" data-tone="warning">
              <WarningIcon />
              <p>{messages.revealWarning}</p>
            </div>
            {credentials && (
              <div className="kt-reveal">
                <CopyField label={messages.keyIdLabel} value={credentials.keyId} />
                <CopyField label={messages.secretLabel} value={credentials.secret} />
                {exampleRequestUrl && (
                  <CopyField
                    label={messages.exampleRequestLabel}
                    value={`curl -u '${credentials.keyId}:${credentials.secret}' '${exampleRequestUrl}'`}
                  />
                )}
                <div>
                  <Button
                    icon={<DownloadIcon />}
                    onClick={() => {
                      downloadFile(
                        envFileName(secretName),
                        envFileContent(credentials.keyId, credentials.secret, envFile),
                      );
                    }}
                  >
                    {messages.downloadEnv}
                  </Button>
                </div>
              </div>
            )}
            <label className="kt-confirm" data-nudged={nudged || undefined}>
              <input
                ref={confirmation}
                type="checkbox"
                checked={stored}
                onChange={(event) => {
                  setStored(event.target.checked);
                }}
              />
              <span>{messages.storedConfirmation}</span>
            </label>
            {nudged && !stored && (
              <p className="kt-hint kt-hint--warning" role="status">
                {messages.storedRequired}
              </p>
            )}
            <div className="kt-dialog-actions">
              <Button variant="primary" disabled={!stored} onClick={close}>
                {messages.done}
              </Button>
            </div>
          </Dialog.Content>
        </ThemedLayer>
      </Dialog.Portal>
    </Dialog.Root>
  );
}
