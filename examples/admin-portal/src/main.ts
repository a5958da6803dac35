/**
 * `npm start`: Keyturn with the demo host portal at "/". (`node server/dist/main.js` runs Keyturn
 * alone, as a deployment would.)
 */
import { exitOnStartupFailure, runKeyturn } from "@keyturn/server/run";
import { mountPortal } from "./portal";

runKeyturn(mountPortal).catch(exitOnStartupFailure);
