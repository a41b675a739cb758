/**
 * The `tourniquet` command line. Every command exits 0 on success, otherwise non-zero with
 * one line that says what to fix.
 */
import { fail } from './command';
import { buildProgram } from './program';

// Output piped into `head` ends quietly: the reader has gone, so has the reason to go on.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

buildProgram().parseAsync(process.argv).catch(fail);
