/**
 * The message size limit at the protocol level, for the embedded broker. AWS IoT Core refuses a
 * PUBLISH whose payload is over 128 KB and disconnects the client (lifecycle event
 * `disconnectReason: CLIENT_ERROR`, "a client will be disconnected ... if the client attempts to
 * publish with a payload that exceeds the payload limit"; the log reason is PAYLOAD_LIMIT_EXCEEDED,
 * https://docs.aws.amazon.com/iot/latest/developerguide/life-cycle-events.html and
 * .../topicdata.html); it refuses CONNECT requests over the same size.
 *
 * aedes 1.x has no such limit, and its parser (mqtt-packet 9) reads a whole packet into memory
 * before looking at it: a 30 MB publish was buffered, forwarded and quarantined whole. This gate
 * reads each packet's fixed header ([MQTT-2.2.3] Remaining Length) and, for a PUBLISH, the topic
 * length at the start of its variable header ([MQTT-3.3.2]), as the bytes go by on their way to
 * aedes, and decides from those few bytes: the payload is Remaining Length minus the topic and the
 * packet identifier. An oversized packet is refused before its payload is read: the connection is
 * closed (MQTT 3.1.1 has no reason code to send), as IoT Core does, and at most one socket read
 * (~64 KB) of it reaches aedes.
 *
 * It keeps no bytes: only the position in the current packet.
 */

/** Why a packet was refused. */
export interface OversizedPacket {
  /** "publish", "connect", ... */
  readonly packet: string;
  /** The payload's size (PUBLISH) or the packet's Remaining Length (others), in bytes. */
  readonly bytes: number;
  readonly limit: number;
}

const PACKET_NAMES = ["reserved", "connect", "connack", "publish", "puback", "pubrec", "pubrel", "pubcomp", "subscribe", "suback", "unsubscribe", "unsuback", "pingreq", "pingresp", "disconnect", "auth"];
const PUBLISH = 3;

/** Follows the MQTT framing of one connection's incoming bytes. */
export class PacketSizeGate {
  private state: "type" | "length" | "topic" | "skip" | "off" = "type";
  private type = 0;
  private qos = 0;
  private length = 0;
  private lengthShift = 0;
  private lengthBytes = 0;
  /** Bytes of the current packet's variable header and payload still to pass. */
  private left = 0;
  /** The first byte of the topic length, when a chunk ended between its two bytes. */
  private topicHigh = -1;

  constructor(
    /** Largest PUBLISH payload. */
    readonly maxPayloadBytes: number,
    /** Largest Remaining Length of any other packet. */
    readonly maxPacketBytes: number,
  ) {}

  /** Look at the next bytes of the stream; an OversizedPacket when they start one. */
  feed(chunk: Buffer): OversizedPacket | null {
    let i = 0;
    while (i < chunk.length && this.state !== "off") {
      switch (this.state) {
        case "type": {
          const b = chunk[i++]!;
          this.type = b >> 4;
          this.qos = (b >> 1) & 3;
          this.length = 0;
          this.lengthShift = 0;
          this.lengthBytes = 0;
          this.state = "length";
          break;
        }
        case "length": {
          const b = chunk[i++]!;
          this.length += (b & 0x7f) * 2 ** this.lengthShift;
          this.lengthShift += 7;
          this.lengthBytes++;
          if (b & 0x80) {
            // A fifth length byte is malformed ([MQTT-2.2.3]): the parser refuses it; stop following.
            if (this.lengthBytes === 4) this.state = "off";
            break;
          }
          const refused = this.afterLength();
          if (refused) return refused;
          break;
        }
        case "topic": {
          const b = chunk[i++]!;
          this.left--;
          if (this.topicHigh < 0) {
            this.topicHigh = b;
            break;
          }
          const topicBytes = this.topicHigh * 256 + b;
          this.topicHigh = -1;
          const payload = this.length - 2 - topicBytes - (this.qos > 0 ? 2 : 0);
          if (payload > this.maxPayloadBytes) return { packet: "publish", bytes: payload, limit: this.maxPayloadBytes };
          this.state = this.left > 0 ? "skip" : "type";
          break;
        }
        case "skip": {
          const n = Math.min(this.left, chunk.length - i);
          i += n;
          this.left -= n;
          if (this.left === 0) this.state = "type";
          break;
        }
      }
    }
    return null;
  }

  private afterLength(): OversizedPacket | null {
    this.left = this.length;
    if (this.type === PUBLISH) {
      // The topic length follows at once (the same read, in practice): the payload's size is known then.
      this.state = this.length >= 2 ? "topic" : this.length > 0 ? "skip" : "type";
      return null;
    }
    if (this.length > this.maxPacketBytes) return { packet: PACKET_NAMES[this.type] ?? "unknown", bytes: this.length, limit: this.maxPacketBytes };
    this.state = this.length > 0 ? "skip" : "type";
    return null;
  }
}
