import * as AlertDialog from "@radix-ui/react-alert-dialog";
import { useState } from "react";
import { Button } from "./Button";
import { useWidget } from "./context";
import { ThemedLayer, returnFocusTo } from "./ThemedLayer";
import type { ApiSecretItem } from "./use-api-secrets";
import { usePendingAction } from "./use-pending-action";

export interface RevokeSecretDialogProps {
  secret: ApiSecretItem;
  onCancel: () => void;
  onRevoke: () => Promise<void>;
  returnFocus?: () => HTMLElement | null;
}

export function RevokeSecretDialog({ secret, onCancel, onRevoke, returnFocus }: RevokeSecretDialogProps) {
  const { messages, locale } = useWidget();
  const [typed, setTyped] = useState("");
  const { pending, error, run } = usePendingAction();
  const word = messages.revokeConfirmationWord;
  // Compared with the localised word, case-insensitively in the user's locale.
  const confirmed = typed.trim().toLocaleLowerCase(locale) === word.toLocaleLowerCase(locale);

  return (
    <AlertDialog.Root
      open
      onOpenChange={(open) => {
        if (!open && !pending) onCancel();
      }}
    >
      <AlertDialog.Portal>
        <ThemedLayer>
          <AlertDialog.Overlay className="kt-overlay" />
          <AlertDialog.Content className="kt-dialog" onCloseAutoFocus={returnFocusTo(returnFocus)}>
            <AlertDialog.Title className="kt-dialog-title">{messages.revokeTitle(secret.name)}</AlertDialog.Title>
            <AlertDialog.Description className="kt-dialog-description">
              {messages.revokeDescription}
            </AlertDialog.Description>
            <form
              className="kt-form"
              onSubmit={(event) => {
                event.preventDefault();
                if (confirmed) void run(onRevoke);
              }}
            >
              <label className="kt-field">
                <span className="kt-label">{messages.revokeInputLabel(word)}</span>
                <input
                  className="kt-input"
                  value={typed}
                  autoComplete="off"
                  autoCapitalize="off"
                  spellCheck={false}
                  disabled={pending}
                  onChange={(event) => {
                    setTyped(event.target.value);
                  }}
                />
              </label>
              {error && (
                <p className="kt-form-error" role="alert">
                  {error}
                </p>
              )}
              <div className="kt-dialog-actions">
                <AlertDialog.Cancel asChild>
                  <Button disabled={pending}>{messages.cancel}</Button>
                </AlertDialog.Cancel>
                <Button type="submit" variant="danger" pending={pending} disabled={!confirmed}>
                  {messages.revokeConfirm}
                </Button>
              </div>
            </form>
          </AlertDialog.Content>
        </ThemedLayer>
      </AlertDialog.Portal>
    </AlertDialog.Root>
  );
}
