export { LocalRegistry } from "./localRegistry.ts";
export { SageMakerRegistry, decodePackage, encodeMetadata, type SageMakerRegistryOptions } from "./sagemakerRegistry.ts";
export { MODEL_KINDS, RegistryError, rollbackPlan, validateDraft, type ModelArtifact, type RecordDraft, type Registry } from "./registry.ts";
