/**
 * snowflake-sdk, loaded on first use and configured once, the one way the hub uses it (the
 * production warehouse session and `sql.ts` on a served hub alike).
 *
 * Loaded on first use, not with the modules that name it: the SDK and its Azure, Google and AWS
 * dependencies are ~400 modules, over a second of start-up for every command that could talk to
 * Snowflake but is not doing so now (`sql.ts` on the file, `serve` with the twin's portal data).
 */
import "../quietAwsSdk.ts";

export type SnowflakeSdk = typeof import("snowflake-sdk");

let loading: Promise<SnowflakeSdk> | undefined;

export function snowflakeDriver(): Promise<SnowflakeSdk> {
  return (loading ??= load());
}

async function load(): Promise<SnowflakeSdk> {
  // The SDK probes cloud metadata endpoints (EC2, Azure, GCP) when it is first loaded, so the switch
  // must be set before the module is evaluated.
  process.env.SNOWFLAKE_DISABLE_PLATFORM_DETECTION ??= "true";
  const { default: snowflake } = await import("snowflake-sdk");
  // Logging OFF: by default the SDK logs at INFO to ./snowflake.log and the console, connection
  // details included. VARIANT text is parsed by JSON.parse only: the SDK's default falls back to eval
  // for non-JSON text, and the session sets STRICT_JSON_OUTPUT so the server never sends such text.
  snowflake.configure({ logLevel: "OFF", jsonColumnVariantParser: (raw: string) => JSON.parse(raw) });
  return snowflake;
}
