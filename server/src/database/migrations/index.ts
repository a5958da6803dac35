import { CreateSecretTables1795823133281 } from "./1795823133281-CreateSecretTables";

/** Every migration, oldest first. Add new ones at the end; never edit one that has shipped. */
export const migrations = [CreateSecretTables1795823133281];
