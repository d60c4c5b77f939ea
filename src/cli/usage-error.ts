// A command line the CLI cannot run (unknown command or option, missing or malformed argument):
// main.ts prints the message with the usage and exits 2.
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
