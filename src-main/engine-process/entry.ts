import { connectToParent } from './parent-link.js';
import { parseEngineArgv } from './protocol.js';
import { serveEngineProcess } from './serve.js';

/**
 * The engine process's entry: Electron's main starts it with `utilityProcess.fork`, tests and the
 * benchmark's stand-in parent with `child_process.fork` (`serialization: 'advanced'`); both speak
 * protocol.ts. Arguments: `--data-dir <folder>` [`--desktop`].
 */
void serveEngineProcess(connectToParent(), parseEngineArgv(process.argv.slice(2)));
