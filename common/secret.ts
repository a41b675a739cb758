import { inspect } from 'node:util';

/**
 * A secret held in memory. It prints, logs and serialises as `[redacted]`; only `reveal()`
 * gives the value, at the one place that hands it to a library.
 */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return '[redacted]';
  }
  toJSON(): string {
    return '[redacted]';
  }
  [inspect.custom](): string {
    return 'Secret([redacted])';
  }
}
