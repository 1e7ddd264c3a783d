/** How numbers, times and categories read on the pages. */
export const pct = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? `${(v * 100).toFixed(1)} %` : "–");
export const num = (v: unknown, digits = 1) => (typeof v === "number" && Number.isFinite(v) ? v.toLocaleString("en", { maximumFractionDigits: digits }) : "–");
export const time = (v: unknown) => (typeof v === "string" ? new Date(v).toISOString().replace("T", " ").slice(0, 16) + " UTC" : "–");
export const money = (v: unknown, currency: string) =>
  typeof v === "number" && Number.isFinite(v) ? v.toLocaleString("en", { style: "currency", currency, maximumFractionDigits: 2 }) : "–";
export const words = (v: unknown) => (typeof v === "string" ? v.replaceAll("_", " ").toLowerCase() : "–");

/** US EPA AQI bands (https://www.airnow.gov/aqi/aqi-basics/): upper bound, name, colour, text colour. */
export const AQI_BANDS = [
  { max: 50, name: "GOOD", color: "#00e400", text: "#000" },
  { max: 100, name: "MODERATE", color: "#ffff00", text: "#000" },
  { max: 150, name: "UNHEALTHY_FOR_SENSITIVE_GROUPS", color: "#ff7e00", text: "#000" },
  { max: 200, name: "UNHEALTHY", color: "#ff0000", text: "#000" },
  { max: 300, name: "VERY_UNHEALTHY", color: "#8f3f97", text: "#fff" },
  { max: 500, name: "HAZARDOUS", color: "#7e0023", text: "#fff" },
] as const;

export function aqiBand(aqi: unknown) {
  if (typeof aqi !== "number") return null;
  return AQI_BANDS.find((b) => aqi <= b.max) ?? AQI_BANDS[AQI_BANDS.length - 1]!;
}
