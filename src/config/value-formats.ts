// Parsers for the string-valued config formats: `deleteWhen` hour lists, `host:port` addresses,
// broker/cluster names and filesystem paths. Each returns undefined (or false) for a bad value
// instead of throwing, so the caller can raise one ConfigError naming the key.
import { homedir } from 'node:os';
import { resolve } from 'node:path';
import { ipVersion } from '../util/ip-address.js';

/**
 * `deleteWhen`: hours of the day, separated by ';' ("04", "4", "04;16"). RocketMQ parses each
 * entry with Integer.parseInt and compares it with the current hour; Java's split drops one
 * trailing empty entry, so "04;" is accepted too. Returns the hours, or undefined if malformed.
 */
export function parseDeleteWhenHours(value: string): readonly number[] | undefined {
  const parts = value.trim().split(';');
  if (parts.length > 1 && parts[parts.length - 1]!.trim() === '') parts.pop();
  const hours: number[] = [];
  for (const part of parts) {
    const text = part.trim();
    if (!/^\d{1,2}$/.test(text)) return undefined;
    const hour = Number(text);
    if (hour > 23) return undefined;
    hours.push(hour);
  }
  return hours.length > 0 ? hours : undefined;
}

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** A host name or an IP address (IPv6 without brackets). */
export function isHost(value: string): boolean {
  return ipVersion(value) !== 0 || HOSTNAME.test(value);
}

/** `host:port` or `[ipv6]:port` with port 1..65535; undefined if malformed. */
export function parseHostPort(value: string): HostPort | undefined {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(value.trim());
  if (m === null) return undefined;
  const host = m[1] ?? m[2] ?? '';
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return undefined;
  if (m[1] !== undefined ? ipVersion(host) !== 6 : !isHost(host)) return undefined;
  return { host, port };
}

/** Broker and cluster names: letters, digits, '_', '-', '.', '%'; 1..255 characters. */
export function isBrokerName(value: string): boolean {
  return /^[A-Za-z0-9_.%-]{1,255}$/.test(value);
}

/**
 * A store path: non-empty, no NUL. A leading `~` or `~/` is expanded to the home directory (Java
 * would create a directory literally named "~"); the result is made absolute against the
 * current directory so a later chdir cannot move the store.
 */
export function normalizeStorePath(value: string): string {
  const text = value.trim();
  const expanded = text === '~' ? homedir() : text.startsWith('~/') ? homedir() + text.slice(1) : text;
  return resolve(expanded);
}

export function isStorePath(value: string): boolean {
  return value.trim() !== '' && !value.includes('\0');
}
