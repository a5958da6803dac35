import * as Dialog from "@radix-ui/react-dialog";
import { SECRET_NAME_MAX_LENGTH, checkSecretName } from "@keyturn/shared";
import { useId, useState, type SyntheticEvent } from "react";
import { Button } from "./Button";
import { useWidget } from "./context";
import { ThemedLayer, returnFocusTo } from "./ThemedLayer";
import { usePendingAction } from "./use-pending-action";

export interface CreateSecretDialogProps {
  open: boolean;
  onCancel: () => void;
  /** Creates the secret; the dialog stays open, busy, until it settles. */
  onCreate: (name: string | null) => Promise<void>;
  returnFocus?: () => HTMLElement | null;
}

export function CreateSecretDialog({ open, onCancel, onCreate, returnFocus }: CreateSecretDialogProps) {
  const { messages } = useWidget();
  const [name, setName] = useState("");
  const { pending, error, setError, run } = usePendingAction();
  const errorId = useId();

  function submit(event: SyntheticEvent) {
    event.preventDefault();
    if (pending) return;
    const trimmed = name.trim();
    const check = trimmed === "" ? null : checkSecretName(trimmed);
    if (check && !check.ok) {
      setError(messages.nameInvalid(SECRET_NAME_MAX_LENGTH));
      return;
    }
    void run(() => onCreate(check ? check.name : null));
  }

  return (
    <Dialog.Root
      open={open}
      onOpenChange={(next) => {
        if (!next && !pending) {
          setError(null);
          onCancel();
        }
      }}
    >
      <Dialog.Portal>
        <ThemedLayer>
          <Dialog.Overlay className="kt-overlay" />
          <Dialog.Content className="kt-dialog" onCloseAutoFocus={returnFocusTo(returnFocus)}>
            <Dialog.Title className="kt-dialog-title">{messages.createTitle}</Dialog.Title>
            <Dialog.Description className="kt-dialog-description">{messages.createDescription}</Dialog.Description>
            <form className="kt-form" onSubmit={submit} noValidate>
              <label className="kt-field">
                <span className="kt-label">{messages.nameLabel}</span>
                <input
                  className="kt-input"
                  name="name"
                  value={name}
                  placeholder={messages.namePlaceholder}
                  maxLength={200}
                  autoComplete="off"
                  aria-invalid={error ? true : undefined}
                  aria-describedby={error ? errorId : undefined}
                  onChange={(event) => {
                    setName(event.target.value);
                  }}
                />
              </label>
              {error && (
                <p id={errorId} className="kt-form-error" role="alert">
                  {error}
                </p>
              )}
              <div className="kt-dialog-actions">
                <Dialog.Close asChild>
                  <Button disabled={pending}>{messages.cancel}</Button>
                </Dialog.Close>
                <Button type="submit" variant="primary" pending={pending}>
                  {messages.createConfirm}
                </Button>
              </div>
            </form>
          </Dialog.Content>
        </ThemedLayer>
      </Dialog.Portal>
    </Dialog.Root>
  );
}
