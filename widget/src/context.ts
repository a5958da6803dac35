import { createContext, useContext } from "react";
import type { Appearance } from "./appearance";
import { englishMessages, type Messages } from "./localization";

export interface WidgetSettings {
  messages: Messages;
  locale: string | undefined;
  appearance: Appearance | undefined;
}

export const WidgetContext = createContext<WidgetSettings>({
  messages: englishMessages,
  locale: undefined,
  appearance: undefined,
});

export function useWidget(): WidgetSettings {
  return useContext(WidgetContext);
}
