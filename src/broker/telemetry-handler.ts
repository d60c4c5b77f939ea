// The Telemetry bidirectional stream: every {settings} command is answered with
// {status OK, settings: merged} (client-settings.ts); a client that gets no answer waits in
// startup() forever. Other commands from the client (thread stack traces, verify results) are
// logged and ignored. When the client half-closes, the broker ends its side at once (a client
// that already shut down can crash on a reset stream, so the broker ends streams gracefully).
// Open streams are tracked so close() can end them; at most MAX_STREAMS at once.
import type { BrokerContext } from './broker-context.js';
import { mergedSettings, type ClientSettings } from './client-settings.js';
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
    let ended = false;
    const finish = (): void => {
      if (ended) return;
      ended = true;
      this.streams.delete(stream);
      stream.end();
    };
    stream.on('data', (cmd) => this.onCommand(stream, clientId, cmd));
    stream.on('end', finish);
    stream.on('cancelled', () => {
      ended = true;
      this.streams.delete(stream);
    });
    stream.on('error', (err) => {
      this.ctx.logger.debug(`telemetry stream of ${clientId} failed: ${err.message}`);
      ended = true;
      this.streams.delete(stream);
    });
  }

  /** End every open stream (the broker is closing). */
  closeAll(): void {
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
