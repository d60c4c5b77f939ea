// The CommitLog record format: magic codes, SYSFLAG masks, field offsets, size limits and the
// length formula (RocketMQ `MessageExtEncoder.calMsgLength`). Pure constants and arithmetic;
// the code that writes and reads records (write-record.ts, read-record.ts) uses only these.
//
// Record layout, all integers big-endian. Offsets for IPv4 born/store hosts and V1:
//
// | off | field                       | width            | notes                                   |
// |-----|-----------------------------|------------------|-----------------------------------------|
// |   0 | TOTALSIZE                   | int32            | whole record incl. this field           |
// |   4 | MAGICCODE                   | int32            | MAGIC_V1 / MAGIC_V2 (BLANK_MAGIC = blank) |
// |   8 | BODYCRC                     | int32            | crc32(body) & 0x7fffffff                |
// |  12 | QUEUEID                     | int32            |                                         |
// |  16 | FLAG                        | int32            | opaque producer flag                    |
// |  20 | QUEUEOFFSET                 | int64            | index in the ConsumeQueue               |
// |  28 | PHYSICALOFFSET              | int64            | CommitLog byte offset of this record    |
// |  36 | SYSFLAG                     | int32            | SYSFLAG_* below                         |
// |  40 | BORNTIMESTAMP               | int64            | epoch ms                                |
// |  48 | BORNHOST                    | 4+4 / 16+4       | address, int32 port (IPv6: SYSFLAG 0x10) |
// |  56 | STORETIMESTAMP              | int64            | epoch ms (+12 if born host is IPv6)     |
// |  64 | STOREHOST                   | 4+4 / 16+4       | address, int32 port (IPv6: SYSFLAG 0x20) |
// |  72 | RECONSUMETIMES              | int32            |                                         |
// |  76 | PREPARED TRANSACTION OFFSET | int64            |                                         |
// |  84 | BODY LENGTH                 | int32            | n >= 0                                  |
// |  88 | BODY                        | n bytes          |                                         |
// | 88+n| TOPIC LENGTH                | int8 (V1) / int16 (V2) | signed                            |
// |     | TOPIC                       | t bytes          | UTF-8                                   |
// |     | PROPERTIES LENGTH           | int16            | signed, so p <= 32767                   |
// |     | PROPERTIES                  | p bytes          | properties.ts                           |
//
// End-of-file blank (8 bytes, rest of the segment left as is):
// | 0 | TOTALSIZE = bytes left in the segment | int32 |
// | 4 | BLANK_MAGIC                            | int32 |

/** Magic of a V1 record (1-byte topic length), as the int32 stored on disk. */
export const MAGIC_V1 = 0xdaa320a7 | 0;
/** Magic of a V2 record (2-byte topic length). */
export const MAGIC_V2 = 0xdaa320ab | 0;
/** Magic of the end-of-file blank. */
export const BLANK_MAGIC = 0xcbd43194 | 0;
/** The blank is TOTALSIZE + magic; a segment always keeps at least this much free for it. */
export const END_FILE_MIN_BLANK_BYTES = 8;

export type MessageVersion = 1 | 2;

// Field offsets that do not depend on the host address widths.
export const OFFSET_TOTAL_SIZE = 0;
export const OFFSET_MAGIC = 4;
export const OFFSET_BODY_CRC = 8;
export const OFFSET_QUEUE_ID = 12;
export const OFFSET_FLAG = 16;
export const OFFSET_QUEUE_OFFSET = 20;
export const OFFSET_PHYSICAL_OFFSET = 28;
export const OFFSET_SYSFLAG = 36;
export const OFFSET_BORN_TIMESTAMP = 40;
export const OFFSET_BORN_HOST = 48;
// Offsets below hold for IPv4 born and store hosts; with IPv6 add 12 per IPv6 host before them.
export const OFFSET_STORE_TIMESTAMP_IPV4 = 56;
export const OFFSET_STORE_HOST_IPV4 = 64;
export const OFFSET_RECONSUME_TIMES_IPV4 = 72;
export const OFFSET_PREPARED_TX_OFFSET_IPV4 = 76;
export const OFFSET_BODY_LENGTH_IPV4 = 84;
export const OFFSET_BODY_IPV4 = 88;

/** Host field widths: address + int32 port. */
export const HOST_IPV4_BYTES = 8;
export const HOST_IPV6_BYTES = 20;

export const SYSFLAG_COMPRESSED = 0x1;
export const SYSFLAG_MULTI_TAGS = 0x2;
export const SYSFLAG_TRANSACTION_MASK = 0xc;
export const SYSFLAG_TRANSACTION_NOT_TYPE = 0x0;
export const SYSFLAG_TRANSACTION_PREPARED = 0x4;
export const SYSFLAG_TRANSACTION_COMMIT = 0x8;
export const SYSFLAG_TRANSACTION_ROLLBACK = 0xc;
export const SYSFLAG_BORNHOST_V6 = 0x10;
export const SYSFLAG_STOREHOST_V6 = 0x20;
export const SYSFLAG_NEED_UNWRAP = 0x40;
export const SYSFLAG_INNER_BATCH = 0x80;
export const SYSFLAG_COMPRESSION_TYPE_MASK = 0x700;

export const MAX_PROPERTIES_BYTES = 32767;
export const MAX_TOPIC_BYTES_V1 = 127;
export const MAX_TOPIC_BYTES_V2 = 32767;
/** The whole record may exceed maxMessageSize (a body limit) by at most this much. */
export const RECORD_OVERHEAD_ALLOWANCE_BYTES = 64 * 1024;

/** Bytes of a record before BODY, IPv4 hosts (= OFFSET_BODY_IPV4). */
const FIXED_BEFORE_BODY_IPV4 = 88;
/** Smallest possible record: IPv4, V1, empty body, topic and properties. */
export const MIN_RECORD_BYTES = FIXED_BEFORE_BODY_IPV4 + 1 + 2;

/** Width of the TOPIC LENGTH field. */
export function topicLengthFieldBytes(version: MessageVersion): number {
  return version === 2 ? 2 : 1;
}

/** Total record length in bytes (§1.1 formula). */
export function recordLength(
  bodyBytes: number,
  topicBytes: number,
  propertiesBytes: number,
  bornIpv6: boolean,
  storeIpv6: boolean,
  version: MessageVersion,
): number {
  return (
    FIXED_BEFORE_BODY_IPV4 +
    (bornIpv6 ? HOST_IPV6_BYTES - HOST_IPV4_BYTES : 0) +
    (storeIpv6 ? HOST_IPV6_BYTES - HOST_IPV4_BYTES : 0) +
    bodyBytes +
    topicLengthFieldBytes(version) +
    topicBytes +
    2 +
    propertiesBytes
  );
}
