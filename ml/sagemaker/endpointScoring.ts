/**
 * Scoring with a served model (issue 5, section 6): the request each built-in algorithm's
 * inference container takes, InvokeEndpoint on the tenant's serverless endpoint, and the answer
 * in the ML tables' shape (Cortex column names).
 * - DeepAR: JSON `{"instances": [{"start", "target"}], "configuration": {...}}` → mean and quantiles
 *   (https://docs.aws.amazon.com/sagemaker/latest/dg/deepar-in-formats.html);
 * - Random Cut Forest: CSV rows → `{"scores": [{"score"}]}`;
 * - K-Means: CSV rows → `{"predictions": [{"closest_cluster", "distance_to_cluster"}]}`.
 */
import { InvokeEndpointCommand, type SageMakerRuntimeClient } from "@aws-sdk/client-sagemaker-runtime";
import type { ModelKind, Series } from "../contract.ts";

export interface EndpointRequest {
  readonly contentType: string;
  readonly body: string;
}

const fmt = (d: Date) => d.toISOString().slice(0, 19).replace("T", " ");

/** Forecast request: the recent history of each series; the endpoint forecasts its trained prediction_length; 95 % interval from the 0.025 / 0.975 quantiles. */
export function deeparRequest(series: readonly Series[]): EndpointRequest {
  return {
    contentType: "application/json",
    body: JSON.stringify({
      instances: series.map((s) => ({ start: fmt(s.points[0]!.ts), target: s.points.map((p) => (Number.isFinite(p.value) ? p.value : "NaN")) })),
      configuration: { num_samples: 100, output_types: ["mean", "quantiles"], quantiles: ["0.025", "0.975"] },
    }),
  };
}

export function csvRequest(rows: readonly (readonly number[])[]): EndpointRequest {
  return { contentType: "text/csv", body: rows.map((r) => r.join(",")).join("\n") };
}

export type ScoredRow = Readonly<Record<string, unknown>>;

export function parseDeepar(series: readonly Series[], body: string): ScoredRow[] {
  const r = JSON.parse(body) as { predictions?: { mean?: number[]; quantiles?: Record<string, number[]> }[] };
  if (!Array.isArray(r.predictions) || r.predictions.length !== series.length) {
    throw new Error(`the endpoint answered ${r.predictions?.length ?? "no"} predictions for ${series.length} series`);
  }
  return series.flatMap((s, i) => {
    const p = r.predictions![i]!;
    const last = s.points.at(-1)!.ts.getTime();
    return (p.mean ?? []).map((m, h) => ({
      series_id: s.seriesId, ts: new Date(last + (h + 1) * s.stepMs), forecast: m,
      lower_bound: p.quantiles?.["0.025"]?.[h] ?? null, upper_bound: p.quantiles?.["0.975"]?.[h] ?? null,
    }));
  });
}

export function parseRcf(ids: readonly string[], body: string): ScoredRow[] {
  const r = JSON.parse(body) as { scores?: { score: number }[] };
  if (!Array.isArray(r.scores) || r.scores.length !== ids.length) throw new Error(`the endpoint answered ${r.scores?.length ?? "no"} scores for ${ids.length} rows`);
  return r.scores.map((s, i) => ({ series_id: ids[i], score: s.score }));
}

export function parseKmeans(ids: readonly string[], body: string): ScoredRow[] {
  const r = JSON.parse(body) as { predictions?: { closest_cluster: number; distance_to_cluster: number }[] };
  if (!Array.isArray(r.predictions) || r.predictions.length !== ids.length) throw new Error(`the endpoint answered ${r.predictions?.length ?? "no"} predictions for ${ids.length} rows`);
  return r.predictions.map((p, i) => ({ series_id: ids[i], segment: p.closest_cluster, distance: p.distance_to_cluster }));
}

/** What to send for a model: series (forecast) or labelled feature rows (anomaly, segments). */
export type EndpointInput = { readonly kind: "series"; readonly series: readonly Series[] } | { readonly kind: "rows"; readonly ids: readonly string[]; readonly rows: readonly (readonly number[])[] };

/** The request a model's endpoint takes for `input` (checked: the right kind, not empty). */
export function endpointRequest(model: ModelKind, input: EndpointInput): EndpointRequest {
  if (model === "forecast" && input.kind !== "series") throw new Error("a forecast endpoint takes series");
  if (model !== "forecast" && input.kind !== "rows") throw new Error(`a ${model} endpoint takes feature rows`);
  if ((input.kind === "series" ? input.series.length : input.rows.length) === 0) throw new Error(`nothing to score for ${model}`);
  return input.kind === "series" ? deeparRequest(input.series) : csvRequest(input.rows);
}

/** The endpoint's answer to `endpointRequest(model, input)`, in the ML tables' shape. */
export function parseEndpointResponse(model: ModelKind, input: EndpointInput, text: string): ScoredRow[] {
  if (input.kind === "series") return parseDeepar(input.series, text);
  return model === "anomaly" ? parseRcf(input.ids, text) : parseKmeans(input.ids, text);
}

export async function invokeModel(client: SageMakerRuntimeClient, endpoint: string, model: ModelKind, input: EndpointInput): Promise<ScoredRow[]> {
  const req = endpointRequest(model, input);
  const res = await client.send(new InvokeEndpointCommand({ EndpointName: endpoint, ContentType: req.contentType, Accept: "application/json", Body: new TextEncoder().encode(req.body) }));
  return parseEndpointResponse(model, input, new TextDecoder().decode(res.Body));
}
