// The Telemetry bidirectional stream: every {settings} command is answered with
// {status OK, settings: merged} (client-settings.ts); a client that gets no answer waits in
// startup() forever. Other commands from the client (thread stack traces, verify results) are
// logged and ignored. When the client half-closes, the broker ends its side at once (a client
// that already shut down can crash on a reset stream, so the broker ends streams gracefully).
// Open streams are tracked so close() can end them; at most MAX_STREAMS at once. The latest
// stream of each client id is kept, so the broker can write commands to a client
// (RecoverOrphanedTransactionCommand: sendTo, producersOf).
import type { BrokerContext } from './broker-context.js';
import { ClientType, mergedSettings, type ClientSettings } from './client-settings.js';
import { BrokerRefusal, OK, status } from './status-codes.js';

export const MAX_STREAMS = 10_000;

export interface TelemetryStream {
  write(command: Record<string, unknown>): void;
  end(): void;
  on(event: 'data', listener: (command: { settings?: ClientSettings; command?: string }) => void): void;
  on(event: 'end' | 'cancelled', listener: () => void): void;
  on(event: 'error', listener: (err: Error) => void): void;
}

export class TelemetryHandler {
  private readonly streams = new Set<TelemetryStream>();
  private readonly byClient = new Map<string, TelemetryStream>();

  constructor(private readonly ctx: BrokerContext) {}

  get open(): number {
    return this.streams.size;
  }

  serve(stream: TelemetryStream, clientId: string | null): void {
    if (clientId === null) {
      stream.write({ status: status('CLIENT_ID_REQUIRED', 'Telemetry needs the x-mq-client-id header') });
      stream.end();
      return;
    }
    if (this.streams.size >= MAX_STREAMS) {
      stream.write({ status: status('TOO_MANY_REQUESTS', `more than ${MAX_STREAMS} telemetry streams are open`) });
      stream.end();
      return;
    }
    this.streams.add(stream);
    this.byClient.set(clientId, stream);
    let ended = false;
    const forget = (): void => {
      ended = true;
      this.streams.delete(stream);
      if (this.byClient.get(clientId) === stream) this.byClient.delete(clientId);
    };
    const finish = (): void => {
      if (ended) return;
      forget();
      stream.end();
    };
    stream.on('data', (cmd) => this.onCommand(stream, clientId, cmd));
    stream.on('end', finish);
    stream.on('cancelled', forget);
    stream.on('error', (err) => {
      this.ctx.logger.debug(`telemetry stream of ${clientId} failed: ${err.message}`);
      forget();
    });
  }

  /** Write a command to the client's open stream; false when it has none. */
  sendTo(clientId: string, command: Record<string, unknown>): boolean {
    const s = this.byClient.get(clientId);
    if (!s) return false;
    s.write(command);
    return true;
  }

  /** Clients with an open stream whose (producer) settings publish `topic`. */
  producersOf(topic: string): string[] {
    const out: string[] = [];
    for (const clientId of this.byClient.keys()) {
      const settings = this.ctx.clients.get(clientId);
      if (settings?.clientType !== ClientType.PRODUCER) continue;
      if ((settings.publishing?.topics ?? []).some((t) => (t as { name?: unknown } | null)?.name === topic)) out.push(clientId);
    }
    return out;
  }

  /** End every open stream (the broker is closing). */
  closeAll(): void {
    this.byClient.clear();
    for (const s of [...this.streams]) {
      this.streams.delete(s);
      s.end();
    }
  }

  private onCommand(stream: TelemetryStream, clientId: string, cmd: { settings?: ClientSettings; command?: string }): void {
    if (!cmd.settings) {
      this.ctx.logger.debug(`telemetry from ${clientId}: ignored ${cmd.command ?? 'an empty'} command`);
      return;
    }
    const settings = cmd.settings;
    try {
      const groupName = settings.subscription?.group?.name;
      const group = groupName ? this.ctx.groups.require(groupName) : null;
      this.ctx.clients.record(clientId, settings, this.ctx.clock.nowMs());
      stream.write({ status: OK, settings: mergedSettings(settings, this.ctx.config, group) });
    } catch (err) {
      if (!(err instanceof BrokerRefusal)) {
        this.ctx.logger.error(`telemetry settings of ${clientId} failed: ${(err as Error).stack ?? (err as Error).message}`);
        stream.write({ status: status('INTERNAL_ERROR', `the broker failed on these settings: ${(err as Error).message}`) });
        return;
      }
      // the client ignores the status of a settings reply: answer with it anyway (so its
      // startup resolves and its first RPC meets the same refusal with the reason)
      stream.write({ status: err.status, settings: mergedSettings(settings, this.ctx.config, null) });
    }
  }
}
