import { forwardRef, type ReactNode } from "react";
import { themeAttributes } from "./appearance";
import { useWidget } from "./context";

/**
 * Dialogs are portalled to <body>, outside the section's root: this wrapper carries the theme and
 * the appearance variables there, without adding a box of its own. It takes a ref because Radix's
 * Presence attaches one to the portal's child (React 18 refuses refs on plain function components).
 */
export const ThemedLayer = forwardRef<HTMLDivElement, { children: ReactNode }>(function ThemedLayer({ children }, ref) {
  const { appearance } = useWidget();
  return (
    <div ref={ref} className="kt-root kt-layer" {...themeAttributes(appearance)}>
      {children}
    </div>
  );
});

/** Radix's onCloseAutoFocus handler that sends focus back to where the flow began. */
export function returnFocusTo(target: (() => HTMLElement | null) | undefined) {
  return (event: Event) => {
    const element = target?.();
    if (element?.isConnected) {
      event.preventDefault();
      element.focus();
    }
  };
}
