/**
 * A Vega-Lite chart drawn as SVG text, for the cost report and the operator report.
 *
 * vega and vega-lite are loaded on the first chart, not with the modules that draw one: they are
 * ~250 modules, start-up that every command importing the reports (serve, start, cost-report
 * --format text) would pay without drawing anything.
 */
import type { TopLevelSpec } from "vega-lite";

export type { TopLevelSpec };

export async function chartSvg(spec: TopLevelSpec): Promise<string> {
  const [vega, { compile }] = await Promise.all([import("vega"), import("vega-lite")]);
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: "none" });
  return view.toSVG();
}
