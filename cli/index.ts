/**
 * The `tourniquet` command line. Every command exits 0 on success, otherwise non-zero with
 * one line that says what to fix.
 */
import { fail } from './command';
import { buildProgram } from './program';

buildProgram().parseAsync(process.argv).catch(fail);
