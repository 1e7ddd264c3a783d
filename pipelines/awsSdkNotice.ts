/**
 * The AWS SDK for JavaScript v3 prints a nine-line NodeVersionSupportWarning on the first client
 * each process builds, because its releases after January 2027 will need Node 22; this project
 * runs on Node 20, its machines' Node. Every command that touches AWS
 * printed it, burying its own output. Call this before building a client: it turns the notice
 * off through the SDK's own switch (`AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED`, read in
 * @aws-sdk/core's emitWarningIfUnsupportedVersion) unless the environment already sets it.
 */
export function quietNodeVersionNotice(): void {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
}
