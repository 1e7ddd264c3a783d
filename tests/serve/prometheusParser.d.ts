/** parse-prometheus-text-format 1.1.1 ships no types: the shape its parser returns (prom2json's). */
declare module "parse-prometheus-text-format" {
  interface ParsedMetric {
    readonly labels?: Record<string, string>;
    readonly value: string;
  }
  interface ParsedFamily {
    readonly name: string;
    readonly help: string;
    readonly type: "COUNTER" | "GAUGE" | "SUMMARY" | "HISTOGRAM" | "UNTYPED";
    readonly metrics: readonly ParsedMetric[];
  }
  export default function parsePrometheusTextFormat(text: string): ParsedFamily[];
}
