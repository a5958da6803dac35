export { ApiSecretSection } from "./ApiSecretSection";
export type { ApiSecretSectionProps, SecretChange } from "./ApiSecretSection";
export { SecretRevealDialog } from "./SecretRevealDialog";
export type { SecretRevealDialogProps } from "./SecretRevealDialog";
export { mount, unmount } from "./mount";
export type { Appearance, AppearanceVariables } from "./appearance";
export type { Localization, Messages } from "./localization";
export { englishMessages } from "./localization";
export type { EnvFileOptions } from "./env-file";
