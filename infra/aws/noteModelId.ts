/**
 * The note-insight model id (stack config `hub:noteModelId`, issue 28) and the one ARN the Lambda's
 * role may invoke. The backend sends Anthropic's Messages body (ml/notes/bedrockBackend.ts), so only
 * Anthropic Claude foundation-model ids are allowed: `anthropic.claude-<name>-v<major>[:<minor>]`,
 * as Bedrock lists them (e.g. anthropic.claude-3-haiku-20240307-v1:0). Cross-region inference
 * profiles (`us.anthropic...`) are refused: they need inference-profile ARNs and every region's
 * model ARN in the policy, a different grant than the one model this stack allows.
 */
export const NOTE_MODEL_ID_PATTERN = /^anthropic\.claude-[a-z0-9]+(?:-[a-z0-9]+)*-v\d+(?::\d+)?$/;

/** Why `id` is not an allowed model id, or null. */
export function noteModelIdProblem(id: unknown): string | null {
  if (typeof id !== "string" || !NOTE_MODEL_ID_PATTERN.test(id)) {
    return `an Anthropic Claude foundation-model id of Bedrock (${NOTE_MODEL_ID_PATTERN}), e.g. anthropic.claude-3-haiku-20240307-v1:0`;
  }
  return null;
}

/** `arn:aws:bedrock:<region>::foundation-model/<id>`: foundation models have no account in their ARN. */
export function foundationModelArn(region: string, modelId: string, partition = "aws"): string {
  const problem = noteModelIdProblem(modelId);
  if (problem) throw new Error(`model id ${JSON.stringify(modelId)} is not ${problem}`);
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) throw new Error(`region ${JSON.stringify(region)} is not an AWS region`);
  return `arn:${partition}:bedrock:${region}::foundation-model/${modelId}`;
}
