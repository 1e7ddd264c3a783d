/**
 * Local serving (issue 24, part 4): the registry's champion answers an InvokeEndpoint request in the
 * shape the SageMaker built-in algorithm's container answers it (ml/sagemaker/endpointScoring.ts
 * builds the requests and parses the answers; the same code serves both targets):
 * - forecast: DeepAR JSON `{"instances": [{"start", "target"}], "configuration": {"output_types",
 *   "quantiles"}}` → `{"predictions": [{"mean": [...], "quantiles": {"0.025": [...], ...}}]}`, each
 *   instance forecast for the champion's `horizonHours` (DeepAR's prediction_length) from its own
 *   target (https://docs.aws.amazon.com/sagemaker/latest/dg/deepar-in-formats.html);
 * - anomaly: CSV rows → `{"scores": [{"score"}]}` (Random Cut Forest; the forest scores without
 *   learning from the request, as SageMaker's inference does);
 * - segments: CSV rows → `{"predictions": [{"closest_cluster", "distance_to_cluster"}]}` (K-Means).
 *
 * The local champions hold one fitted model per series (forecast: per meter; anomaly: a forest per
 * machine), where SageMaker's are one model for all. A request names its series the way
 * InvokeEndpoint lets a caller pass anything to the container, `CustomAttributes`
 * (`series_id=<id>`); a champion with a single model needs none. A request's series are all that
 * one series: DeepAR instances are its recent histories, CSV rows its readings.
 *
 * `npm run serve` puts this behind `POST /v1/models/<tenant>/<model>/invocations` (the body,
 * `Content-Type` and `X-Amzn-SageMaker-Custom-Attributes` as InvokeEndpoint sends them); errors
 * carry the HTTP status SageMaker answers with (400 a bad request, 404 no champion).
 */
import type { ModelKind, ModelRecord, Series } from "../contract.ts";
import type { Registry } from "../registry/registry.ts";
import { loadForecastModel, loadSegmentation, loadStreamingDetector, type RandomCutForestJSON, type SegmentationJSON } from "../trainers/index.ts";
import { endpointRequest, parseEndpointResponse, type EndpointInput, type EndpointRequest, type ScoredRow } from "../sagemaker/endpointScoring.ts";
import type { ForecastModel } from "../contract.ts";
import type { RandomCutForest } from "../trainers/randomCutForest.ts";
import type { SegmentationModel } from "../trainers/kmeans.ts";

export interface InvokeRequest extends EndpointRequest {
  /** InvokeEndpoint's `CustomAttributes`: `series_id=<id>` names the series the request is about. */
  readonly customAttributes?: string;
}

export interface InvokeResponse {
  readonly contentType: "application/json";
  readonly body: string;
  /** The champion version that answered (SageMaker answers with the variant; here the version). */
  readonly modelVersion: number;
}

/** A request the endpoint refuses, with the HTTP status InvokeEndpoint would answer with. */
export class LocalEndpointError extends Error {
  override readonly name = "LocalEndpointError";
  constructor(readonly status: 400 | 404, message: string) {
    super(message);
  }
}

/** What a champion's JSON artifact holds, loaded once per version. */
type Loaded =
  | { readonly kind: "forecast"; readonly horizon: number; readonly models: ReadonlyMap<string, ForecastModel> }
  | { readonly kind: "anomaly"; readonly forests: ReadonlyMap<string, RandomCutForest> }
  | { readonly kind: "segments"; readonly model: SegmentationModel };

/** DeepAR's request, as far as the local champion answers it. */
interface DeeparBody {
  readonly instances?: ReadonlyArray<{ readonly start?: unknown; readonly target?: unknown }>;
  readonly configuration?: { readonly output_types?: unknown; readonly quantiles?: unknown };
}

const DEFAULT_HORIZON = 24;

/**
 * The tenants' champions behind one InvokeEndpoint-shaped call. Loaded models are kept per
 * (tenant, model, version), so a new champion is picked up on the next request and nothing is
 * loaded twice; the registry is asked for the champion on every call (a file read locally).
 */
export class LocalEndpoint {
  private readonly cache = new Map<string, Loaded>();
  constructor(private readonly registry: Registry) {}

  async invoke(tenantId: string, model: ModelKind, request: InvokeRequest): Promise<InvokeResponse> {
    const record = await this.registry.champion(tenantId, model);
    if (!record) throw new LocalEndpointError(404, `no Approved ${model} model for tenant ${tenantId} (run scripts/retrain.ts first)`);
    const loaded = await this.load(record);
    const seriesId = customAttribute(request.customAttributes, "series_id");
    const body = answer(loaded, request, seriesId);
    return { contentType: "application/json", body: JSON.stringify(body), modelVersion: record.version };
  }

  private async load(record: ModelRecord): Promise<Loaded> {
    const key = `${record.tenantId}/${record.model}/${record.version}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    const artifact = await this.registry.artifact(record.tenantId, record.model, record.version);
    if (artifact.kind !== "json") throw new LocalEndpointError(404, `${key} was trained on SageMaker: it is served by its SageMaker endpoint, not locally`);
    const loaded = loadArtifact(record, artifact.body);
    this.cache.set(key, loaded);
    return loaded;
  }
}

function loadArtifact(record: ModelRecord, body: unknown): Loaded {
  if (record.model === "forecast") {
    const models = (body as { models?: Record<string, unknown> }).models ?? {};
    const horizon = Number(record.parameters["horizonHours"] ?? DEFAULT_HORIZON);
    return { kind: "forecast", horizon, models: new Map(Object.entries(models).map(([id, j]) => [id, loadForecastModel(j)])) };
  }
  if (record.model === "anomaly") {
    const streaming = (body as { streaming?: Record<string, RandomCutForestJSON> }).streaming ?? {};
    return { kind: "anomaly", forests: new Map(Object.entries(streaming).map(([id, j]) => [id, loadStreamingDetector(j)])) };
  }
  return { kind: "segments", model: loadSegmentation((body as { model: SegmentationJSON }).model) };
}

/** `key=value` pairs separated by `;` or `,` (InvokeEndpoint forwards the string verbatim). */
function customAttribute(attrs: string | undefined, key: string): string | undefined {
  for (const part of (attrs ?? "").split(/[;,]/)) {
    const i = part.indexOf("=");
    if (i > 0 && part.slice(0, i).trim() === key) return part.slice(i + 1).trim();
  }
  return undefined;
}

/** The model of `seriesId`, or the only one; a 400 naming what is there otherwise. */
function pick<T>(models: ReadonlyMap<string, T>, seriesId: string | undefined, what: string): T {
  if (seriesId !== undefined) {
    const m = models.get(seriesId);
    if (!m) throw new LocalEndpointError(400, `no ${what} for series ${seriesId}; the champion has ${[...models.keys()].join(", ") || "none"}`);
    return m;
  }
  if (models.size === 1) return [...models.values()][0]!;
  throw new LocalEndpointError(400, `the champion holds one ${what} per series (${models.size}); name the series with CustomAttributes series_id=<id>`);
}

function answer(loaded: Loaded, request: InvokeRequest, seriesId: string | undefined): unknown {
  if (loaded.kind === "forecast") {
    if (request.contentType !== "application/json") throw new LocalEndpointError(400, `a forecast endpoint takes application/json (DeepAR instances), not ${request.contentType}`);
    return forecastAnswer(pick(loaded.models, seriesId, "forecast model"), loaded.horizon, request.body);
  }
  if (request.contentType !== "text/csv") throw new LocalEndpointError(400, `a ${loaded.kind} endpoint takes text/csv rows, not ${request.contentType}`);
  const rows = parseCsv(request.body);
  if (loaded.kind === "anomaly") {
    const forest = pick(loaded.forests, seriesId, "random cut forest");
    return { scores: rows.map((r) => ({ score: forest.score(r) })) };
  }
  const m = loaded.model;
  return {
    predictions: rows.map((r) => {
      if (r.length !== m.features.length) throw new LocalEndpointError(400, `a row has ${r.length} values, the model takes ${m.features.length} (${m.features.join(", ")})`);
      const c = m.assign(r);
      return { closest_cluster: c, distance_to_cluster: Math.hypot(...r.map((v, d) => (v - m.centroids[c]![d]!) / (m.sd[d] || 1))) };
    }),
  };
}

function parseCsv(body: string): number[][] {
  const lines = body.split(/\r?\n/).filter((l) => l.trim() !== "");
  if (lines.length === 0) throw new LocalEndpointError(400, "the request has no rows");
  return lines.map((l, i) => {
    const r = l.split(",").map(Number);
    if (r.some((v) => !Number.isFinite(v))) throw new LocalEndpointError(400, `row ${i + 1} is not numbers: ${JSON.stringify(l.slice(0, 80))}`);
    return r;
  });
}

/** DeepAR's "YYYY-MM-DD HH:MM:SS" (UTC). */
function parseStart(v: unknown, i: number): Date {
  const d = typeof v === "string" ? new Date(`${v.trim().replace(" ", "T")}Z`) : new Date(NaN);
  if (Number.isNaN(d.getTime())) throw new LocalEndpointError(400, `instance ${i}: start ${JSON.stringify(v)} is not "YYYY-MM-DD HH:MM:SS"`);
  return d;
}

function forecastAnswer(model: ForecastModel, horizon: number, body: string): unknown {
  let req: DeeparBody;
  try {
    req = JSON.parse(body) as DeeparBody;
  } catch {
    throw new LocalEndpointError(400, "the body is not JSON");
  }
  if (!Array.isArray(req.instances) || req.instances.length === 0) throw new LocalEndpointError(400, `the body has no "instances"`);
  const types = (req.configuration?.output_types ?? ["mean", "quantiles"]) as unknown[];
  const quantiles = ((req.configuration?.quantiles ?? ["0.1", "0.9"]) as unknown[]).map(String);
  const unknown = types.filter((t) => t !== "mean" && t !== "quantiles");
  if (unknown.length) throw new LocalEndpointError(400, `output_types ${JSON.stringify(unknown)}: the local forecaster answers "mean" and "quantiles" (it draws no samples)`);
  for (const q of quantiles) if (!(Number(q) > 0 && Number(q) < 1)) throw new LocalEndpointError(400, `quantile ${JSON.stringify(q)} is not in (0, 1)`);
  const stepMs = (model.toJSON() as { stepMs?: number }).stepMs ?? 3_600_000;
  return {
    predictions: req.instances.map((inst, i) => {
      if (!Array.isArray(inst.target) || inst.target.length === 0) throw new LocalEndpointError(400, `instance ${i} has no target`);
      const start = parseStart(inst.start, i);
      const history: Series = {
        tenantId: "", seriesId: "", stepMs,
        points: (inst.target as unknown[]).map((v, k) => ({ ts: new Date(start.getTime() + k * stepMs), value: v === "NaN" || v === null ? NaN : Number(v) })),
      };
      const central = model.forecast(horizon, { history, level: 0.5 });
      const out: { mean?: number[]; quantiles?: Record<string, number[]> } = {};
      if (types.includes("mean")) out.mean = central.map((r) => r.forecast);
      if (types.includes("quantiles")) {
        out.quantiles = Object.fromEntries(
          quantiles.map((q) => {
            const p = Number(q);
            // A quantile p is a bound of the central interval at level |2p − 1| (the median is the forecast).
            if (Math.abs(p - 0.5) < 1e-9) return [q, central.map((r) => r.forecast)];
            const rows = model.forecast(horizon, { history, level: Math.abs(2 * p - 1) });
            return [q, rows.map((r) => (p < 0.5 ? r.lower_bound : r.upper_bound))];
          }),
        );
      }
      return out;
    }),
  };
}

/**
 * `scripts/score.ts --target local`: the same inputs as for SageMaker, one request per series (the
 * series named in CustomAttributes; a segments request is one), answers parsed by the same code.
 */
export async function invokeLocalModel(endpoint: LocalEndpoint, tenantId: string, model: ModelKind, input: EndpointInput): Promise<ScoredRow[]> {
  const parts: { input: EndpointInput; seriesId?: string }[] = [];
  if (input.kind === "series") for (const s of input.series) parts.push({ input: { kind: "series", series: [s] }, seriesId: s.seriesId });
  else if (model === "anomaly") {
    const byId = new Map<string, { ids: string[]; rows: (readonly number[])[] }>();
    input.rows.forEach((r, i) => {
      const id = input.ids[i]!;
      let g = byId.get(id);
      if (!g) byId.set(id, (g = { ids: [], rows: [] }));
      g.ids.push(id);
      g.rows.push(r);
    });
    for (const [id, g] of byId) parts.push({ input: { kind: "rows", ids: g.ids, rows: g.rows }, seriesId: id });
  } else parts.push({ input });
  if (parts.length === 0) endpointRequest(model, input); // throws "nothing to score"
  const out: ScoredRow[] = [];
  for (const p of parts) {
    const req = endpointRequest(model, p.input);
    const res = await endpoint.invoke(tenantId, model, { ...req, ...(p.seriesId !== undefined ? { customAttributes: `series_id=${p.seriesId}` } : {}) });
    out.push(...parseEndpointResponse(model, p.input, res.body));
  }
  return out;
}
