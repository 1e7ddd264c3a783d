/**
 * Request bodies on `serve`'s HTTP port, read the same way by every API on it: bounded, and when
 * a request is refused before its body is read, answered first and the rest dropped (so the
 * client hears the refusal rather than a reset), up to a limit past which the connection is cut.
 */
import type { IncomingMessage } from "node:http";

/** How much of a refused body is read and dropped before the connection is cut. */
export const DRAIN_LIMIT = 1_048_576;

/** The body, or null once it passes `limit` bytes (the rest is not read). */
export async function readBoundedBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Answer first, then drop what is left of the body; past `limit` bytes the connection is cut. */
export function drainThen(req: IncomingMessage, answer: () => void, limit = DRAIN_LIMIT): void {
  answer();
  if (req.complete || req.readableEnded) return;
  let seen = 0;
  req.on("data", (c: Buffer) => {
    seen += c.length;
    if (seen > limit) req.destroy();
  });
  req.resume();
}

/** A path segment decoded, or null when it is not valid percent-encoding. */
export function safeDecode(s: string): string | null {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}
