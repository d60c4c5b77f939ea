// The v2 protocol's status codes the broker answers with, read by name from the loaded schema
// (proto-schema.ts), so the numbers are the proto's own. A name missing from the schema is a
// broken invariant (a client package without it would not speak this protocol): it throws at
// load. Statuses always carry a reason a person can act on.
import { assert } from '../util/assert.js';
import { rocketmqSchema } from './proto-schema.js';

const NAMES = [
  'OK',
  'BAD_REQUEST',
  'ILLEGAL_ACCESS_POINT',
  'ILLEGAL_TOPIC',
  'ILLEGAL_CONSUMER_GROUP',
  'ILLEGAL_MESSAGE_TAG',
  'ILLEGAL_MESSAGE_KEY',
  'ILLEGAL_MESSAGE_GROUP',
  'ILLEGAL_MESSAGE_PROPERTY_KEY',
  'ILLEGAL_MESSAGE_ID',
  'ILLEGAL_FILTER_EXPRESSION',
  'ILLEGAL_INVISIBLE_TIME',
  'ILLEGAL_DELIVERY_TIME',
  'INVALID_RECEIPT_HANDLE',
  'INVALID_TRANSACTION_ID',
  'MESSAGE_PROPERTY_CONFLICT_WITH_TYPE',
  'UNRECOGNIZED_CLIENT_TYPE',
  'CLIENT_ID_REQUIRED',
  'ILLEGAL_POLLING_TIME',
  'FORBIDDEN',
  'MESSAGE_NOT_FOUND',
  'TOPIC_NOT_FOUND',
  'CONSUMER_GROUP_NOT_FOUND',
  'MESSAGE_BODY_TOO_LARGE',
  'MESSAGE_BODY_EMPTY',
  'TOO_MANY_REQUESTS',
  'MESSAGE_PROPERTIES_TOO_LARGE',
  'INTERNAL_ERROR',
  'INTERNAL_SERVER_ERROR',
  'HA_NOT_AVAILABLE',
  'NOT_IMPLEMENTED',
  'MASTER_PERSISTENCE_TIMEOUT',
  'SLAVE_PERSISTENCE_TIMEOUT',
  'UNSUPPORTED',
] as const;

export type CodeName = (typeof NAMES)[number];

function load(): Readonly<Record<CodeName, number>> {
  const codes = rocketmqSchema().codes;
  const out = {} as Record<CodeName, number>;
  for (const name of NAMES) {
    const n = codes.get(name);
    assert(n !== undefined, `the apache.rocketmq.v2 Code enum has no ${name}`);
    out[name] = n;
  }
  return Object.freeze(out);
}

export const Code: Readonly<Record<CodeName, number>> = load();

export interface Status {
  code: number;
  message: string;
}

export function status(name: CodeName, message: string): Status {
  return { code: Code[name], message };
}

export const OK: Status = Object.freeze(status('OK', 'OK'));

/** A refusal carried as an exception inside a handler: the handler answers with its status. */
export class BrokerRefusal extends Error {
  constructor(
    readonly codeName: CodeName,
    message: string,
  ) {
    super(message);
  }

  get status(): Status {
    return status(this.codeName, this.message);
  }
}

export function refuse(name: CodeName, message: string): never {
  throw new BrokerRefusal(name, message);
}
