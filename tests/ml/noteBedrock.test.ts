/**
 * The Bedrock note backend against the real BedrockRuntimeClient with its transport mocked
 * (aws-sdk-client-mock): the InvokeModel request it sends (Anthropic Messages on Bedrock:
 * https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-anthropic-claude-messages-request-response.html),
 * and what it does with the documented responses and errors. Plus the masking rule and the Lambda's
 * Snowflake external-function format.
 */
import { beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { CHILD_PROCESS_BOUND_MS } from "../helpers/childProcessBound.ts";
import { mockClient } from "aws-sdk-client-mock";
import {
  AccessDeniedException,
  BedrockRuntimeClient,
  InvokeModelCommand,
  ModelTimeoutException,
  ServiceUnavailableException,
  ThrottlingException,
  ValidationException,
} from "@aws-sdk/client-bedrock-runtime";
import { ANTHROPIC_VERSION, NoteRefusal, createBedrockNoteBackend } from "../../ml/notes/bedrockBackend.ts";
import { maskPersonalData } from "../../ml/notes/personalData.ts";
import { noteInsightHandler } from "../../ml/notes/lambdaHandler.ts";

const client = new BedrockRuntimeClient({ region: "eu-west-1", credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "test" } });
const bedrock = mockClient(client);
const MODEL = "anthropic.claude-3-haiku-20240307-v1:0";

/** A Messages API response as the Bedrock page documents it. */
function claudeResponse(text: string, stop_reason = "end_turn") {
  const body = { id: "msg_01", type: "message", role: "assistant", model: "claude-3-haiku-20240307", content: [{ type: "text", text }], stop_reason, stop_sequence: null, usage: { input_tokens: 310, output_tokens: 72 } };
  return { body: new TextEncoder().encode(JSON.stringify(body)), contentType: "application/json", $metadata: {} } as never;
}

const LEAK = "Hydraulic oil leak under press 4, floor is slippery. Need absorbent pads. Call Mr Dupont on +33 6 12 34 56 78 or op-17.";
const insightFor = {
  language: "en", sentiment: "negative", safety_concern: true, safety_phrase: "floor is slippery", unmet_need: "absorbent pads", summary: "Oil leak at press 4 makes the floor slippery.",
};
const noWait = { sleep: async () => undefined, random: () => 0.5, baseDelayMs: 10 };

function backend(extra: Parameters<typeof createBedrockNoteBackend>[0] = {}) {
  return createBedrockNoteBackend({ client, modelId: MODEL, ...noWait, ...extra });
}

function sentBody(call = 0): Record<string, any> {
  const input = bedrock.commandCalls(InvokeModelCommand)[call]!.args[0].input;
  return JSON.parse(new TextDecoder().decode(input.body as Uint8Array));
}

beforeEach(() => bedrock.reset());

describe("the InvokeModel request", () => {
  it("names the configured model, sends JSON and asks Claude with the Messages body and a system prompt for the contract's JSON", async () => {
    bedrock.on(InvokeModelCommand).resolves(claudeResponse(JSON.stringify(insightFor)));
    await backend().analyse([{ kind: "maintenance", text: LEAK }]);
    const input = bedrock.commandCalls(InvokeModelCommand)[0]!.args[0].input;
    assert.equal(input.modelId, MODEL);
    assert.equal(input.contentType, "application/json");
    assert.equal(input.accept, "application/json");
    const body = sentBody();
    assert.deepEqual(Object.keys(body).sort(), ["anthropic_version", "max_tokens", "messages", "system", "temperature"]);
    assert.equal(body.anthropic_version, ANTHROPIC_VERSION);
    assert.equal(body.anthropic_version, "bedrock-2023-05-31");
    assert.ok(Number.isInteger(body.max_tokens) && body.max_tokens > 0);
    assert.match(body.system, /one JSON object and nothing else/);
    for (const field of ["language", "sentiment", "safety_concern", "safety_phrase", "unmet_need", "summary"]) assert.match(body.system, new RegExp(`"${field}"`));
    assert.equal(body.messages.length, 1);
    assert.equal(body.messages[0].role, "user");
    assert.deepEqual(body.messages[0].content.map((c: { type: string }) => c.type), ["text"]);
  });

  it("sends the note's text masked and nothing else about it: no operator id, name, phone number, tenant, site or device", async () => {
    bedrock.on(InvokeModelCommand).resolves(claudeResponse(JSON.stringify(insightFor)));
    await backend().analyse([{ kind: "maintenance", text: LEAK }]);
    const sent = JSON.stringify(sentBody());
    for (const secret of ["op-17", "Dupont", "+33 6 12 34 56 78", "12 34 56 78"]) assert.ok(!sent.includes(secret), `${secret} was sent`);
    assert.match(sent, /Call Mr \[NAME\] on \[PHONE\] or \[BADGE\]/);
    assert.match(sent, /Hydraulic oil leak under press 4/);
  });
});

describe("answers", () => {
  it("turns a documented end_turn answer into the contract's insight with the model and the latency", async () => {
    bedrock.on(InvokeModelCommand).resolves(claudeResponse(JSON.stringify(insightFor)));
    const [r] = await backend().analyse([{ kind: "maintenance", text: LEAK }]);
    assert.deepEqual({ ...r, latency_ms: 0 }, { ...insightFor, model: `bedrock:${MODEL}`, latency_ms: 0 });
    assert.ok(r!.latency_ms >= 0);
  });

  it("accepts the JSON inside a code fence, and a phrase taken from the masked text", async () => {
    const masked = { ...insightFor, safety_phrase: "Call Mr [NAME] on [PHONE]", safety_concern: true };
    bedrock.on(InvokeModelCommand).resolves(claudeResponse("```json\n" + JSON.stringify(masked) + "\n```"));
    const [r] = await backend().analyse([{ kind: "maintenance", text: LEAK }]);
    assert.equal(r!.safety_phrase, "Call Mr [NAME] on [PHONE]");
  });

  const refusals: Array<[string, ReturnType<typeof claudeResponse>, RegExp]> = [
    ["an answer cut at max_tokens", claudeResponse('{"language": "en", "sentim', "max_tokens"), /stop_reason: "max_tokens"/],
    ["a stop for a tool call", claudeResponse("{}", "tool_use"), /stop_reason: "tool_use"/],
    ["prose instead of JSON", claudeResponse("I'm sorry, I can't help with that."), /not JSON/],
    ["a JSON object with a field too many", claudeResponse(JSON.stringify({ ...insightFor, confidence: 0.9 })), /confidence: not a field/],
    ["a safety phrase the note does not contain", claudeResponse(JSON.stringify({ ...insightFor, safety_phrase: "fire in the building" })), /safety_phrase: "fire in the building" is not in the note's text/],
    ["a sentiment outside the contract", claudeResponse(JSON.stringify({ ...insightFor, sentiment: "angry" })), /sentiment: "angry" is not one of/],
    ["an empty content list", { body: new TextEncoder().encode(JSON.stringify({ content: [], stop_reason: "end_turn" })), $metadata: {} } as never, /no text/],
    ["a body that is not JSON", { body: new TextEncoder().encode("<html>"), $metadata: {} } as never, /response body is not JSON/],
  ];
  for (const [what, response, message] of refusals) {
    it(`refuses ${what}: a NoteRefusal naming it, not a crash and not a retry`, async () => {
      bedrock.on(InvokeModelCommand).resolves(response);
      await assert.rejects(backend().analyse([{ kind: "shift", text: LEAK }]), (e: Error) => e instanceof NoteRefusal && message.test(e.message));
      assert.equal(bedrock.commandCalls(InvokeModelCommand).length, 1);
    });
  }
});

describe("errors", () => {
  for (const E of [ThrottlingException, ServiceUnavailableException, ModelTimeoutException]) {
    it(`retries ${E.name} with growing backoff, then answers`, async () => {
      const waits: number[] = [];
      bedrock.on(InvokeModelCommand)
        .rejectsOnce(new E({ message: "slow down", $metadata: {} }))
        .rejectsOnce(new E({ message: "slow down", $metadata: {} }))
        .resolves(claudeResponse(JSON.stringify(insightFor)));
      const [r] = await backend({ maxAttempts: 3, baseDelayMs: 100, random: () => 0.5, sleep: async (ms) => void waits.push(ms) }).analyse([{ kind: "shift", text: LEAK }]);
      assert.equal(r!.safety_concern, true);
      assert.deepEqual(waits, [50, 100]);
      assert.equal(bedrock.commandCalls(InvokeModelCommand).length, 3);
    });
  }

  it("gives up after maxAttempts throttled attempts, naming the error", async () => {
    bedrock.on(InvokeModelCommand).rejects(new ThrottlingException({ message: "Too many requests", $metadata: {} }));
    await assert.rejects(backend({ maxAttempts: 2 }).analyse([{ kind: "shift", text: LEAK }]), /ThrottlingException: Too many requests/);
    assert.equal(bedrock.commandCalls(InvokeModelCommand).length, 2);
  });

  for (const E of [ValidationException, AccessDeniedException]) {
    it(`does not retry ${E.name}`, async () => {
      bedrock.on(InvokeModelCommand).rejects(new E({ message: "no", $metadata: {} }));
      await assert.rejects(backend().analyse([{ kind: "shift", text: LEAK }]), new RegExp(E.name));
      assert.equal(bedrock.commandCalls(InvokeModelCommand).length, 1);
    });
  }

  it("gives each attempt a timeout through the abort signal", async () => {
    bedrock.on(InvokeModelCommand).callsFake((_input, getClient) => new Promise(() => void getClient));
    // The mock ignores the signal; the backend's own signal is what the SDK would abort on.
    const seen: AbortSignal[] = [];
    const spy = { send: (cmd: unknown, opts: { abortSignal: AbortSignal }) => { seen.push(opts.abortSignal); return new Promise((_r, reject) => opts.abortSignal.addEventListener("abort", () => reject(Object.assign(new Error("aborted"), { name: "AbortError" })))); } };
    await assert.rejects(createBedrockNoteBackend({ client: spy as never, timeoutMs: 20, ...noWait }).analyse([{ kind: "shift", text: LEAK }]), /did not answer within 20 ms/);
    assert.equal(seen.length, 1);
  });

  it("times an attempt out even when nothing else keeps the process running (its timer holds the event loop)", async () => {
    // A process holding nothing but the call: with AbortSignal.timeout's unref'd timer, Node ended
    // it with the promise still pending (exit 13) instead of timing the call out; in the test
    // runner that cancelled this file's remaining tests ("cancelled 17, fail 0" in CI).
    const code = `
      const { createBedrockNoteBackend } = await import(${JSON.stringify(new URL("../../ml/notes/bedrockBackend.ts", import.meta.url).href)});
      const client = { send: (_cmd, { abortSignal }) => new Promise((_r, reject) => abortSignal.addEventListener("abort", () => reject(abortSignal.reason))) };
      try {
        await createBedrockNoteBackend({ client, timeoutMs: 20, maxAttempts: 1 }).analyse([{ kind: "shift", text: "x" }]);
      } catch (e) {
        console.log(e.message);
      }
    `;
    const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], { encoding: "utf8", timeout: CHILD_PROCESS_BOUND_MS });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /Bedrock did not answer within 20 ms/);
  });
});

describe("masking personal data", () => {
  const cases: Array<[string, string]> = [
    ["write to j.martin@acme-plant.fr please", "write to [EMAIL] please"],
    ["handed over to op-231 at 14:00", "handed over to [BADGE] at 14:00"],
    ["badge #4471 left the guard open", "[BADGE] left the guard open"],
    ["llamar al 91 555 12 34", "llamar al [PHONE]"],
    ["Sra. García dice que falta aceite", "Sra. [NAME] dice que falta aceite"],
    ["M. Lefèvre a signalé une fuite", "M. [NAME] a signalé une fuite"],
    ["ask @jdoe about the spindle", "ask [NAME] about the spindle"],
    // Readings, part numbers, times and machine names stay.
    ["spindle at 12000 rpm, 95.5 °C, part SKF-6205-2RS, line M Press 3 at 06:45", "spindle at 12000 rpm, 95.5 °C, part SKF-6205-2RS, line M Press 3 at 06:45"],
  ];
  for (const [text, masked] of cases) it(`${JSON.stringify(text)} → ${JSON.stringify(masked)}`, () => assert.equal(maskPersonalData(text), masked));
  it("does not find a bare first name in running text (documented limit)", () => assert.equal(maskPersonalData("told Maria about it"), "told Maria about it"));
});

describe("the Lambda: Snowflake's external function format", () => {
  it("answers each row of {data: [[row, kind, text]]} under its row number, a failing note as an error for that row only", async () => {
    bedrock.on(InvokeModelCommand).resolvesOnce(claudeResponse(JSON.stringify(insightFor))).resolves(claudeResponse("not json"));
    const handler = noteInsightHandler(createBedrockNoteBackend({ client, modelId: MODEL, ...noWait }));
    const res = await handler({ body: JSON.stringify({ data: [[0, "maintenance", LEAK], [1, "shift", "All good today."], [2, "memo", "x"]] }) });
    assert.equal(res.statusCode, 200);
    const { data } = JSON.parse(res.body);
    assert.deepEqual(data.map((r: unknown[]) => r[0]), [0, 1, 2]);
    const [first, second, third] = data.map((r: unknown[]) => r[1]);
    assert.equal(first.safety_phrase, "floor is slippery");
    assert.match(second.error, /not JSON/);
    assert.match(third.error, /kind: "memo" is not one of shift, maintenance/);
    // The malformed row is refused before Bedrock: two calls for three rows.
    assert.equal(bedrock.commandCalls(InvokeModelCommand).length, 2);
  });

  it("reads a base64 body as API Gateway may deliver it", async () => {
    bedrock.on(InvokeModelCommand).resolves(claudeResponse(JSON.stringify({ ...insightFor, safety_concern: false, safety_phrase: null })));
    const handler = noteInsightHandler(createBedrockNoteBackend({ client, modelId: MODEL, ...noWait }));
    const res = await handler({ body: Buffer.from(JSON.stringify({ data: [[0, "shift", "ok"]] })).toString("base64"), isBase64Encoded: true });
    assert.equal(JSON.parse(res.body).data[0][1].safety_concern, false);
  });

  for (const [what, body, message] of [
    ["no body", null, /no body/],
    ["a body that is not JSON", "{", /not JSON/],
    ["no data array", JSON.stringify({ rows: [] }), /data: expected/],
    ["a row without its row number", JSON.stringify({ data: [["shift", "x"]] }), /data\[0\]/],
    ["too many rows", JSON.stringify({ data: Array.from({ length: 101 }, (_, i) => [i, "shift", "x"]) }), /101 rows, at most 100/],
  ] as const) {
    it(`refuses ${what} with 400 and the reason`, async () => {
      const res = await noteInsightHandler(backend())({ body });
      assert.equal(res.statusCode, 400);
      assert.match(JSON.parse(res.body).error, message);
      assert.equal(bedrock.commandCalls(InvokeModelCommand).length, 0);
    });
  }
});
