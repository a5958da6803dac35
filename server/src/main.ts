import { exitOnStartupFailure, runKeyturn } from "./run";

runKeyturn().catch(exitOnStartupFailure);
