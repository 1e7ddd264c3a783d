/**
 * The topic contract and who may use which topic, in one place: the embedded broker enforces it,
 * and the infrastructure writes the AWS IoT policy from it, so both enforce the same thing.
 *
 * Telemetry: `dt/hub/<tenant>/<site>/<sensor_type>/<device_id>`; commands:
 * `cmd/hub/<tenant>/<site>/<device_id>`. Lower case, at most 7 slashes
 * (https://docs.aws.amazon.com/whitepapers/latest/designing-mqtt-topics-aws-iot-core/mqtt-design-best-practices.html);
 * the MQTT client id is the thing name. A device publishes only under its own tenant and device id
 * and subscribes only to its own command topic; only the ingest identity subscribes to `dt/hub/#`.
 */
export const TELEMETRY_PREFIX = "dt/hub";
export const COMMAND_PREFIX = "cmd/hub";
export const TOPIC_SENSOR_TYPES = ["machine", "energy", "air_quality", "rfid"] as const;
export type TopicSensorType = (typeof TOPIC_SENSOR_TYPES)[number];

/** One topic level: lower-case letters, digits, dash and underscore (no MQTT wildcards, no `$`). */
const SEGMENT = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const MAX_SLASHES = 7;

export type Identity =
  | { readonly kind: "device"; readonly tenantId: string; readonly thingName: string }
  | { readonly kind: "ingest" };

export class TopicError extends Error {
  override readonly name = "TopicError";
}

function segment(field: string, value: string): string {
  if (!SEGMENT.test(value)) {
    throw new TopicError(`${field} ${JSON.stringify(value)} is not a topic level: lower-case letters, digits, '-' or '_', at most 64`);
  }
  return value;
}

export function telemetryTopic(tenantId: string, siteId: string, sensorType: TopicSensorType, deviceId: string): string {
  if (!TOPIC_SENSOR_TYPES.includes(sensorType)) throw new TopicError(`sensor type ${JSON.stringify(sensorType)} is not one of ${TOPIC_SENSOR_TYPES.join(", ")}`);
  return `${TELEMETRY_PREFIX}/${segment("tenant", tenantId)}/${segment("site", siteId)}/${sensorType}/${segment("device id", deviceId)}`;
}

export function commandTopic(tenantId: string, siteId: string, deviceId: string): string {
  return `${COMMAND_PREFIX}/${segment("tenant", tenantId)}/${segment("site", siteId)}/${segment("device id", deviceId)}`;
}

export interface TelemetryAddress {
  readonly tenantId: string;
  readonly siteId: string;
  readonly sensorType: TopicSensorType;
  readonly deviceId: string;
}

/** The parts of a telemetry topic, or null when the topic is not one. */
export function parseTelemetryTopic(topic: string): TelemetryAddress | null {
  const parts = topic.split("/");
  if (parts.length !== 6 || `${parts[0]}/${parts[1]}` !== TELEMETRY_PREFIX) return null;
  const [, , tenantId, siteId, sensorType, deviceId] = parts as [string, string, string, string, string, string];
  if (![tenantId, siteId, deviceId].every((s) => SEGMENT.test(s))) return null;
  if (!TOPIC_SENSOR_TYPES.includes(sensorType as TopicSensorType)) return null;
  return { tenantId, siteId, sensorType: sensorType as TopicSensorType, deviceId };
}

// ---------------------------------------------------------------------------------------------
// The AWS IoT policy, and a local evaluator for it. The broker's decisions are this policy's.
// ---------------------------------------------------------------------------------------------

export interface IotPolicyStatement {
  readonly Effect: "Allow" | "Deny";
  readonly Action: string | readonly string[];
  readonly Resource: string | readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

export interface IotPolicyDocument {
  readonly Version: "2012-10-17";
  readonly Statement: readonly IotPolicyStatement[];
}

const THING = "${iot:Connection.Thing.ThingName}";

/**
 * The IoT policy of a tenant's devices, scoped with the thing-name policy variable
 * (https://docs.aws.amazon.com/iot/latest/developerguide/thing-policy-variables.html): connect as
 * your own thing, publish telemetry under your tenant and your device id, receive your commands.
 */
export function tenantDevicePolicy(tenantId: string, region: string, accountId: string): IotPolicyDocument {
  segment("tenant", tenantId);
  const arn = (kind: "client" | "topic" | "topicfilter", rest: string) => `arn:aws:iot:${region}:${accountId}:${kind}/${rest}`;
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Action: "iot:Connect",
        Resource: arn("client", THING),
        Condition: { Bool: { "iot:Connection.Thing.IsAttached": "true" } },
      },
      { Effect: "Allow", Action: "iot:Publish", Resource: TOPIC_SENSOR_TYPES.map((t) => arn("topic", `${TELEMETRY_PREFIX}/${tenantId}/*/${t}/${THING}`)) },
      // `*` matches across `/` in IoT policies, so the allow above also admits extra levels
      // (dt/hub/acme/a/b/machine/<thing>), which the ingest rule's dt/hub/+/+/+/+ never reads: a
      // message lost in silence. Deny every topic with more than one level between tenant and
      // sensor type (`*/*/*` needs two slashes there; a valid topic has one).
      { Effect: "Deny", Action: "iot:Publish", Resource: arn("topic", `${TELEMETRY_PREFIX}/${tenantId}/*/*/*/${THING}`) },
      { Effect: "Allow", Action: "iot:Subscribe", Resource: arn("topicfilter", `${COMMAND_PREFIX}/${tenantId}/*/${THING}`) },
      { Effect: "Allow", Action: "iot:Receive", Resource: arn("topic", `${COMMAND_PREFIX}/${tenantId}/*/${THING}`) },
    ],
  };
}

/**
 * A policy resource as IoT Core matches it: `*` any run of characters, `/` included, and `?` any one
 * character (https://docs.aws.amazon.com/iot/latest/developerguide/pub-sub-policy.html: the MQTT
 * wildcards `+` and `#` are literal in policy resources, `*` and `?` are the policy's wildcards).
 */
function resourcePattern(resource: string, thingName: string): RegExp {
  const substituted = resource.split(THING).join(thingName);
  let re = "";
  for (const c of substituted) re += c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`^${re}$`, "s");
}

/**
 * Would IoT Core allow `action` on `resource` for a thing under this policy? Explicit deny wins;
 * otherwise any matching allow. Topic wildcards in a subscribe filter (`+`, `#`) are compared
 * literally, as IoT Core compares topicfilter resources.
 */
export function iotPolicyAllows(doc: IotPolicyDocument, action: string, resource: string, thingName: string): boolean {
  const matches = (s: IotPolicyStatement) => {
    const actions = Array.isArray(s.Action) ? s.Action : [s.Action];
    const resources = Array.isArray(s.Resource) ? s.Resource : [s.Resource];
    return actions.includes(action) && resources.some((r) => resourcePattern(r as string, thingName).test(resource));
  };
  if (doc.Statement.some((s) => s.Effect === "Deny" && matches(s))) return false;
  return doc.Statement.some((s) => s.Effect === "Allow" && matches(s));
}

const LOCAL_REGION = "local";
const LOCAL_ACCOUNT = "000000000000";

/** May this identity publish to this topic? Devices: as their tenant's IoT policy says. */
export function canPublish(id: Identity, topic: string): boolean {
  if (id.kind === "ingest") return false; // ingest only reads
  if (topic.split("/").length - 1 > MAX_SLASHES || topic.includes("+") || topic.includes("#")) return false;
  const policy = tenantDevicePolicy(id.tenantId, LOCAL_REGION, LOCAL_ACCOUNT);
  return iotPolicyAllows(policy, "iot:Publish", `arn:aws:iot:${LOCAL_REGION}:${LOCAL_ACCOUNT}:topic/${topic}`, id.thingName);
}

/** May this identity subscribe to this filter? Only ingest reads telemetry; devices their commands. */
export function canSubscribe(id: Identity, filter: string): boolean {
  if (id.kind === "ingest") return filter === `${TELEMETRY_PREFIX}/#` || filter.startsWith(`${TELEMETRY_PREFIX}/`);
  const policy = tenantDevicePolicy(id.tenantId, LOCAL_REGION, LOCAL_ACCOUNT);
  return iotPolicyAllows(policy, "iot:Subscribe", `arn:aws:iot:${LOCAL_REGION}:${LOCAL_ACCOUNT}:topicfilter/${filter}`, id.thingName);
}
