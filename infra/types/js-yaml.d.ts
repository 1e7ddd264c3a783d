// js-yaml ships no types; only `load` is used, to read stack files offline.
declare module "js-yaml" {
  export function load(text: string, options?: { filename?: string }): unknown;
}
