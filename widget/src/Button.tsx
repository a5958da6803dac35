import { forwardRef, type ButtonHTMLAttributes, type ReactNode } from "react";
import { useWidget } from "./context";

export interface ButtonProps extends ButtonHTMLAttributes<HTMLButtonElement> {
  variant?: "primary" | "secondary" | "danger" | "ghost";
  size?: "md" | "sm";
  /** Shows a spinner, disables the button and marks it busy. */
  pending?: boolean;
  icon?: ReactNode;
}

export const Button = forwardRef<HTMLButtonElement, ButtonProps>(function Button(
  {
    variant = "secondary",
    size = "md",
    pending = false,
    icon,
    className,
    children,
    disabled,
    type = "button",
    ...rest
  },
  ref,
) {
  const { messages } = useWidget();
  return (
    <button
      ref={ref}
      type={type}
      className={`kt-button kt-button--${variant} kt-button--${size}${className ? ` ${className}` : ""}`}
      disabled={disabled || pending}
      aria-busy={pending || undefined}
      data-pending={pending || undefined}
      {...rest}
    >
      {pending ? <span className="kt-spinner" role="presentation" /> : icon}
      <span>{children}</span>
      {pending && <span className="kt-visually-hidden">{messages.working}</span>}
    </button>
  );
});
