import { useEffect, useId, useRef, useState } from "react";
import { Button } from "./Button";
import { copyText } from "./clipboard";
import { useWidget } from "./context";
import { CheckIcon, CopyIcon } from "./icons";

export interface CopyFieldProps {
  label: string;
  value: string;
}

// Where the browser cannot size the box to its content, a row per this many characters.
const CHARACTERS_PER_ROW = 44;

type CopyState = "idle" | "copied" | "unavailable";

/**
 * A read-only value with a copy button. "Copied" appears only once the clipboard write has
 * succeeded; where copying is refused, the value is selected for Ctrl+C and the user is told so.
 */
export function CopyField({ label, value }: CopyFieldProps) {
  const { messages } = useWidget();
  const [state, setState] = useState<CopyState>("idle");
  const field = useRef<HTMLTextAreaElement>(null);
  const id = useId();
  const statusId = useId();

  useEffect(() => {
    if (state !== "copied") return;
    const timer = setTimeout(() => {
      setState("idle");
    }, 2000);
    return () => {
      clearTimeout(timer);
    };
  }, [state]);

  async function copy() {
    const copied = await copyText(value);
    setState(copied ? "copied" : "unavailable");
    if (!copied) {
      field.current?.focus();
      field.current?.select();
    }
  }

  return (
    <div className="kt-field" data-state={state}>
      <label className="kt-label" htmlFor={id}>
        {label}
      </label>
      <div className="kt-copy-row">
        {/* A textarea, so long values wrap in full rather than scroll out of sight. */}
        <textarea
          id={id}
          ref={field}
          className="kt-input kt-mono"
          value={value}
          rows={Math.ceil(value.length / CHARACTERS_PER_ROW)}
          readOnly
          spellCheck={false}
          aria-describedby={statusId}
          onFocus={(event) => {
            event.currentTarget.select();
          }}
        />
        <Button
          size="sm"
          icon={state === "copied" ? <CheckIcon /> : <CopyIcon />}
          aria-label={`${state === "copied" ? messages.copied : messages.copy} ${label}`}
          onClick={() => void copy()}
        >
          {state === "copied" ? messages.copied : messages.copy}
        </Button>
      </div>
      <p
        id={statusId}
        className={state === "unavailable" ? "kt-hint kt-hint--warning" : "kt-visually-hidden"}
        aria-live="polite"
      >
        {state === "copied" ? `${label}: ${messages.copied}` : state === "unavailable" ? messages.copyUnavailable : ""}
      </p>
    </div>
  );
}
