export { LocalRegistry } from "./localRegistry.ts";
export { SageMakerRegistry, algorithmOfImageUri, checkRegistrationMetadata, decodePackage, encodeMetadata, inferenceSpecification, type SageMakerRegistryOptions, type ServingChange } from "./sagemakerRegistry.ts";
export { DESCRIBE_CONCURRENCY, MODEL_KINDS, RegistryError, mapLimit, rollbackPlan, validateDraft, type ModelArtifact, type RecordDraft, type Registry } from "./registry.ts";
export { SageMakerRegistryReader, modelPackageSummaries } from "./sagemakerRegistryReader.ts";
