// Logging comes in through the Logger interface; the default writes one line per event to
// stderr with a level and a component name. Tests pass a collecting logger to assert on lines.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const LEVEL_RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  child(component: string): Logger;
}

export function consoleLogger(component = 'mqstore', minLevel: LogLevel = levelFromEnv()): Logger {
  const write = (level: LogLevel, message: string): void => {
    if (LEVEL_RANK[level] < LEVEL_RANK[minLevel]) return;
    process.stderr.write(`${new Date().toISOString()} ${level.toUpperCase()} [${component}] ${message}\n`);
  };
  return {
    debug: (m) => write('debug', m),
    info: (m) => write('info', m),
    warn: (m) => write('warn', m),
    error: (m) => write('error', m),
    child: (name) => consoleLogger(`${component}.${name}`, minLevel),
  };
}

/** A logger that keeps its lines in memory (bounded), for tests. */
export function memoryLogger(maxLines = 10_000): Logger & { lines: string[] } {
  const lines: string[] = [];
  const make = (component: string): Logger => {
    const write = (level: LogLevel, message: string): void => {
      if (lines.length >= maxLines) lines.shift();
      lines.push(`${level.toUpperCase()} [${component}] ${message}`);
    };
    return {
      debug: (m) => write('debug', m),
      info: (m) => write('info', m),
      warn: (m) => write('warn', m),
      error: (m) => write('error', m),
      child: (name) => make(`${component}.${name}`),
    };
  };
  return Object.assign(make('mqstore'), { lines });
}

function levelFromEnv(): LogLevel {
  const v = process.env.MQSTORE_LOG_LEVEL;
  return v === 'debug' || v === 'info' || v === 'warn' || v === 'error' ? v : 'info';
}
