import { createRoot, type Root } from "react-dom/client";
import { ApiSecretSection, type ApiSecretSectionProps } from "./ApiSecretSection";

const roots = new WeakMap<Element, Root>();

/**
 * Renders the section into `element` for hosts that are not React apps. Calling it again on the
 * same element updates the props.
 */
export function mount(element: Element, props: ApiSecretSectionProps): void {
  let root = roots.get(element);
  if (!root) {
    root = createRoot(element);
    roots.set(element, root);
  }
  root.render(<ApiSecretSection {...props} />);
}

/** Removes what `mount` rendered into `element`. */
export function unmount(element: Element): void {
  roots.get(element)?.unmount();
  roots.delete(element);
}
