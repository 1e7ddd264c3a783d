/**
 * The production note-insight backend (issue 28; seed 002's GenAI Lambda): Amazon Bedrock Runtime
 * InvokeModel with Anthropic Claude's Messages request body
 * (https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-anthropic-claude-messages-request-response.html).
 *
 * InvokeModel rather than Converse: the body is the model's documented native request, so what is
 * sent can be checked against Anthropic-on-Bedrock's page field by field, and the answer's
 * `stop_reason` arrives as the model gives it (the refusal path reads it). Both need the same IAM
 * action (bedrock:InvokeModel); the price is that the body is Anthropic's, so the model id is held to
 * Anthropic models (infra/aws/noteModelId.ts).
 *
 * Only the note's kind and text are sent, the text masked by ml/notes/personalData.ts. The answer is
 * JSON checked by the contract's parseNoteInsight; throttling and the service's transient errors are
 * retried with exponential backoff and jitter; every attempt has a timeout; a refusal (stop reason
 * other than end_turn, text that is not the JSON object, an answer that fails the schema) is a
 * NoteRefusal, which the caller records for that note.
 */
import { BedrockRuntimeClient, InvokeModelCommand } from "@aws-sdk/client-bedrock-runtime";
import { MAX_NEED_CHARS, MAX_PHRASE_CHARS, MAX_SUMMARY_CHARS, NoteInsightError, parseNoteInsight, type NoteInput, type NoteInsightBackend, type NoteInsightResult } from "./insightContract.ts";
import { maskPersonalData } from "./personalData.ts";

export const DEFAULT_NOTE_MODEL_ID = "anthropic.claude-3-haiku-20240307-v1:0";
/** Required by Claude's Messages API on Bedrock. */
export const ANTHROPIC_VERSION = "bedrock-2023-05-31";
/** Enough for the JSON object (summary ≤ 200 chars, need ≤ 120, phrase ≤ 200) with room to spare. */
export const MAX_TOKENS = 400;

/** Errors worth another attempt: Bedrock says so itself (throttled, briefly unavailable, the model timed out). */
export const RETRYABLE_ERRORS: ReadonlySet<string> = new Set(["ThrottlingException", "ServiceUnavailableException", "ModelTimeoutException"]);

export const SYSTEM_PROMPT = [
  "You triage operators' shift notes and maintenance logs from a factory, written in English, Spanish or French.",
  "Answer with one JSON object and nothing else, with exactly these fields:",
  '{"language": "en"|"es"|"fr", "sentiment": "positive"|"neutral"|"negative", "safety_concern": true|false,',
  ` "safety_phrase": the words of the note, copied exactly, that show the safety concern (at most ${MAX_PHRASE_CHARS} characters), or null when there is none,`,
  ` "unmet_need": what the operator says is missing (parts, tools, staff, training) in a few words (at most ${MAX_NEED_CHARS} characters), or null,`,
  ` "summary": one line in English (at most ${MAX_SUMMARY_CHARS} characters)}.`,
  "A safety concern is a risk of injury or of an unsafe machine: guards, interlocks, emergency stops, leaks, fire, smoke, exposed wiring, fumes, slips, near misses.",
  "Placeholders such as [NAME], [EMAIL], [PHONE] and [BADGE] replace personal data; keep them as they are.",
].join("\n");

/** The note was answered but the answer cannot be used: recorded for the note, not retried at once. */
export class NoteRefusal extends Error {
  constructor(readonly reason: string, message: string) {
    super(message);
    this.name = "NoteRefusal";
  }
}

export interface BedrockNoteBackendOptions {
  /** Bedrock model id; default Claude 3 Haiku. The Pulumi stack config `notes:modelId` sets it in production. */
  readonly modelId?: string;
  /** Default: a client for the region in the environment. */
  readonly client?: BedrockRuntimeClient;
  /** Per attempt; default 10 s (Haiku answers a note in 1.6–2.7 s, seed 002). */
  readonly timeoutMs?: number;
  /** Attempts per note, the first included; default 3. */
  readonly maxAttempts?: number;
  /** First backoff; doubled each attempt, with full jitter. Default 250 ms. */
  readonly baseDelayMs?: number;
  /** For tests: how to wait, and the jitter's random source. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

/** The InvokeModel body for one note: Anthropic Messages on Bedrock, masked text only. */
export function noteRequestBody(note: NoteInput): Record<string, unknown> {
  return {
    anthropic_version: ANTHROPIC_VERSION,
    max_tokens: MAX_TOKENS,
    temperature: 0,
    system: SYSTEM_PROMPT,
    messages: [{ role: "user", content: [{ type: "text", text: `Kind: ${note.kind}\nNote:\n${maskPersonalData(note.text)}` }] }],
  };
}

/** The text of Claude's answer, or a NoteRefusal naming what is wrong with the response. */
export function answerText(response: unknown): string {
  const r = response as { stop_reason?: unknown; content?: unknown };
  if (typeof r !== "object" || r === null) throw new NoteRefusal("response", "the response body is not a JSON object");
  // end_turn: the model finished; max_tokens: the JSON was cut; anything else is not an answer.
  if (r.stop_reason !== "end_turn") throw new NoteRefusal("stop_reason", `stop_reason: ${JSON.stringify(r.stop_reason)}, expected "end_turn"`);
  const blocks = Array.isArray(r.content) ? r.content : [];
  const text = blocks.filter((b): b is { type: "text"; text: string } => b?.type === "text" && typeof b.text === "string").map((b) => b.text).join("");
  if (text.trim() === "") throw new NoteRefusal("content", "the answer has no text");
  return text;
}

/** The JSON object of the answer (a code fence around it is tolerated, nothing else). */
export function answerObject(text: string): unknown {
  const unfenced = text.trim().replace(/^```(?:json)?\s*/i, "").replace(/\s*```$/, "");
  try {
    return JSON.parse(unfenced);
  } catch {
    throw new NoteRefusal("json", `the answer is not JSON: ${JSON.stringify(text.slice(0, 80))}`);
  }
}

function errorName(e: unknown): string {
  return (e as { name?: string })?.name ?? "Error";
}

export function createBedrockNoteBackend(options: BedrockNoteBackendOptions = {}): NoteInsightBackend {
  const modelId = options.modelId ?? DEFAULT_NOTE_MODEL_ID;
  const client = options.client ?? new BedrockRuntimeClient({});
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxAttempts = options.maxAttempts ?? 3;
  const baseDelayMs = options.baseDelayMs ?? 250;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const random = options.random ?? Math.random;
  const model = `bedrock:${modelId}`;

  async function invoke(note: NoteInput): Promise<unknown> {
    const body = new TextEncoder().encode(JSON.stringify(noteRequestBody(note)));
    for (let attempt = 1; ; attempt++) {
      // A timer of our own, not AbortSignal.timeout(): that one's timer is unref'd, so an attempt
      // whose transport holds no handle (a custom client, a stalled stream) would let the event
      // loop end with the call still pending instead of timing it out.
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(new DOMException(`no answer within ${timeoutMs} ms`, "TimeoutError")), timeoutMs);
      try {
        const out = await client.send(
          new InvokeModelCommand({ modelId, contentType: "application/json", accept: "application/json", body }),
          { abortSignal: controller.signal },
        );
        return JSON.parse(new TextDecoder().decode(out.body));
      } catch (e) {
        const name = errorName(e);
        if (name === "TimeoutError" || name === "AbortError") throw new Error(`Bedrock did not answer within ${timeoutMs} ms`);
        if (e instanceof SyntaxError) throw new NoteRefusal("response", "the response body is not JSON");
        if (!RETRYABLE_ERRORS.has(name) || attempt >= maxAttempts) throw new Error(`Bedrock InvokeModel failed: ${name}: ${(e as Error).message}`);
        await sleep(Math.floor(random() * baseDelayMs * 2 ** (attempt - 1)));
      } finally {
        clearTimeout(timer);
      }
    }
  }

  return {
    model,
    async analyse(notes: readonly NoteInput[]): Promise<NoteInsightResult[]> {
      const out: NoteInsightResult[] = [];
      for (const note of notes) {
        const t0 = performance.now();
        const response = await invoke(note);
        let insight;
        try {
          // The phrase is held to the text the model was given: the masked note.
          insight = parseNoteInsight(answerObject(answerText(response)), maskPersonalData(note.text));
        } catch (e) {
          if (e instanceof NoteInsightError) throw new NoteRefusal("schema", `the answer fails the schema: ${e.message}`);
          throw e;
        }
        out.push({ ...insight, model, latency_ms: Math.round(performance.now() - t0) });
      }
      return out;
    },
  };
}
