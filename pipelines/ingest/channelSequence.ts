/**
 * How the streaming ingest judges a message's sequence number on its channel (one device's
 * messages in one epoch), before anything is landed: a new message, a redelivery of one already
 * landed (or pending in a batch), or a message to quarantine because its seq cannot be trusted.
 * Nothing is dropped unless it is certainly a redelivery: the same seq with the same content.
 *
 * A message's content hash is the first 48 bits of the SHA-256 of its payload as received: the
 * broker redelivers the very bytes, and so does the gateway's queue, so equal hashes mean a
 * redelivery, and unequal ones two different messages under one seq. 48 bits fit a JS number and a
 * BIGINT exactly; two different messages under the same seq of the same channel are taken for a
 * redelivery with probability 2^-48 (3.6e-15).
 */
import { createHash } from "node:crypto";
import { MAX_SEQ_ADVANCE } from "../quality/payloadSchemas.ts";

/**
 * Sequence numbers remembered below a channel's committed offset (with their content hashes). A
 * seq older than that is neither a new message nor certainly a redelivery (a device that restarted
 * its numbering without a new epoch looks the same): it is quarantined, not dropped.
 */
export const DEDUP_WINDOW = 100_000;

export type SeqVerdict =
  | { readonly kind: "new" }
  | { readonly kind: "redelivery" }
  | { readonly kind: "quarantine"; readonly why: "implausible" | "conflict" | "too old"; readonly reason: string };

export interface SeqFacts {
  readonly channel: string;
  readonly seq: number;
  /** The message's content hash (contentHash). */
  readonly hash: number;
  /** The channel's committed offset; -1 when nothing was committed on it. */
  readonly committed: number;
  /**
   * What the channel knows of this seq: the content hash it was landed (or is pending) with, null
   * when it was landed before content hashes were kept, undefined when it is not known.
   */
  readonly known: number | null | undefined;
  /** True when `known` is a message in a batch not yet committed (for the reason's wording). */
  readonly pending?: boolean;
}

/** The first 48 bits of the payload's SHA-256. */
export function contentHash(payload: Buffer): number {
  return createHash("sha256").update(payload).digest().readUIntBE(0, 6);
}

/** A content hash as the reasons print it: 12 hex digits. */
export function hashHex(hash: number): string {
  return hash.toString(16).padStart(12, "0");
}

export function judgeSeq(f: SeqFacts): SeqVerdict {
  if (f.known !== undefined) {
    // A row from before content hashes: the seq is known to have landed; a redelivery, as before.
    if (f.known === null || f.known === f.hash) return { kind: "redelivery" };
    return {
      kind: "quarantine",
      why: "conflict",
      reason:
        `seq ${f.seq} of channel ${f.channel} was ${f.pending ? "received" : "committed"} with content hash ${hashHex(f.known)}, ` +
        `and this message under the same seq has content hash ${hashHex(f.hash)}: a conflict, not a redelivery`,
    };
  }
  if (f.seq > f.committed + MAX_SEQ_ADVANCE) {
    return {
      kind: "quarantine",
      why: "implausible",
      reason:
        `seq ${f.seq} is implausible for channel ${f.channel}: its committed offset is ${f.committed}, and a message may be at most ` +
        `${MAX_SEQ_ADVANCE} (MAX_SEQ_ADVANCE) ahead of it; the offset is not moved. A device that restarted its numbering must send a new epoch`,
    };
  }
  if (f.seq <= f.committed - DEDUP_WINDOW) {
    return {
      kind: "quarantine",
      why: "too old",
      reason:
        `seq ${f.seq} of channel ${f.channel} is ${DEDUP_WINDOW} (DEDUP_WINDOW) or more below its committed offset ${f.committed}, older than ` +
        `the sequence numbers the ingest remembers: it cannot be told from a device that restarted its numbering without a new epoch`,
    };
  }
  return { kind: "new" };
}
