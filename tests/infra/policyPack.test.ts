/**
 * The policy pack as the Pulumi CLI starts it (issue 20's blocker, issue 26): the Node language host
 * runs `node <@pulumi/pulumi/cmd/run-policy-pack/index.js> <nodeargs...> <engine> <pack dir>`, the
 * nodeargs after the script. Started exactly so, the pack must come up, print the port of its
 * analyzer's gRPC server (what the CLI reads to connect), and answer over it with the hub's rules;
 * then it is stopped. The rules themselves are tested in policy.test.ts.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { join } from "node:path";
import { HUB_RULES } from "../../infra/policy/rules.ts";

const PACK_DIR = join(import.meta.dirname, "..", "..", "infra", "policy");
// Resolved from the pack's folder, as the language host finds the runner.
const fromPack = createRequire(join(PACK_DIR, "package.json"));
const RUNNER = fromPack.resolve("@pulumi/pulumi/cmd/run-policy-pack/index.js");
// The client side of the analyzer protocol: the generated stubs and grpc-js the pack's server uses.
const requireFromPolicy = createRequire(fromPack.resolve("@pulumi/policy"));
const grpc = requireFromPolicy("@grpc/grpc-js") as typeof import("@grpc/grpc-js");
const analyzerRpc = fromPack("@pulumi/pulumi/proto/analyzer_grpc_pb.js") as { AnalyzerClient: new (address: string, credentials: unknown) => any };
const analyzerProto = fromPack("@pulumi/pulumi/proto/analyzer_pb.js") as any;
const { Empty } = fromPack("google-protobuf/google/protobuf/empty_pb.js") as { Empty: new () => unknown };
const { Struct } = fromPack("google-protobuf/google/protobuf/struct_pb.js") as { Struct: { fromJavaScript(o: object): unknown } };

/** Bounds the pack's start: loading @pulumi/policy and compiling the rules with tsx takes seconds. */
const START_TIMEOUT_MS = 90_000;

describe("the policy pack, started the way `pulumi preview --policy-pack infra/policy` starts it", () => {
  let pack: ChildProcess;
  let output = "";
  let port: number;
  let client: any;

  before(async () => {
    // The engine address is never dialled while the pack starts; 127.0.0.1:9 (discard) as in issue 20.
    pack = spawn(process.execPath, [RUNNER, "--import", "tsx", "127.0.0.1:9", "."], { cwd: PACK_DIR, stdio: ["ignore", "pipe", "pipe"] });
    port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the pack printed no port within ${START_TIMEOUT_MS} ms:\n${output}`)), START_TIMEOUT_MS);
      const settle = (f: () => void) => {
        clearTimeout(timer);
        f();
      };
      pack.stdout!.on("data", (b: Buffer) => {
        output += b.toString();
        const line = /^(\d+)\s*$/m.exec(output);
        if (line) settle(() => resolve(Number(line[1])));
      });
      pack.stderr!.on("data", (b: Buffer) => (output += b.toString()));
      pack.on("exit", (code) => settle(() => reject(new Error(`the pack exited with ${code} before serving:\n${output}`))));
    });
    client = new analyzerRpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  });

  after(async () => {
    client?.close();
    if (pack.exitCode === null && pack.signalCode === null) {
      const exited = new Promise((resolve) => pack.once("exit", resolve));
      pack.kill("SIGTERM");
      await exited;
    }
  });

  const call = <T>(method: string, request: unknown): Promise<T> =>
    new Promise((resolve, reject) => client[method](request, { deadline: Date.now() + 30_000 }, (err: Error | null, res: T) => (err ? reject(err) : resolve(res))));

  it("comes up and serves the analyzer protocol on the port it printed", async () => {
    assert.ok(port > 0 && port < 65536, output);
    const info = await call<any>("getAnalyzerInfo", new Empty());
    assert.equal(info.getName(), "hub-guardrails");
    assert.equal(info.getVersion(), "0.1.0", "the version comes from infra/policy/package.json");
    assert.deepEqual(info.getPoliciesList().map((p: any) => p.getName()).sort(), HUB_RULES.map((r) => r.name).sort());
  });

  it("judges a resource with the hub's rules: a KMS key without rotation is a mandatory violation", async () => {
    const request = new analyzerProto.AnalyzeRequest();
    request.setType("aws:kms/key:Key");
    request.setName("tenant-key");
    request.setUrn("urn:pulumi:acme::hub::aws:kms/key:Key::tenant-key");
    request.setProperties(Struct.fromJavaScript({ description: "tenant key", tags: { tenant: "acme", "cost-center": "data-hub" } }));
    request.setOptions(new analyzerProto.AnalyzerResourceOptions());
    const res = await call<any>("analyze", request);
    // The SDK prefixes the rule's description to its message.
    const found = res.getDiagnosticsList().map((d: any) => [d.getPolicyname(), d.getMessage().split("\n").at(-1), d.getEnforcementlevel()]);
    assert.deepEqual(found, [["kms-rotation-enabled", "KMS key tenant-key has rotation off", analyzerProto.EnforcementLevel.MANDATORY]]);
    request.setProperties(Struct.fromJavaScript({ enableKeyRotation: true, tags: { tenant: "acme", "cost-center": "data-hub" } }));
    assert.deepEqual((await call<any>("analyze", request)).getDiagnosticsList(), []);
  });
});
