import { CreateSecretTables1795823133281 } from "./1795823133281-CreateSecretTables";
import { IndexLiveCredentials1796220900000 } from "./1796220900000-IndexLiveCredentials";

/** Every migration, oldest first. Add new ones at the end; never edit one that has shipped. */
export const migrations = [CreateSecretTables1795823133281, IndexLiveCredentials1796220900000];
