/**
 * The built-in algorithm images per region (version 1 of each), from the table that
 * scripts/sagemaker-images.ts generates out of the SageMaker Python SDK's own configuration
 * (src/sagemaker/image_uri_config/{randomcutforest,forecasting-deepar,kmeans}.json, copied with its
 * commit into ml/sagemaker/imageConfig/). The URI is built as the SDK's image_uris.retrieve builds
 * it: `{account}.dkr.ecr.{region}.{domain}/{repository}:{version}`, the domain being
 * amazonaws.com except where src/sagemaker/utils.py ALTERNATE_DOMAINS says otherwise (China, ISO).
 * The per-region documentation pages (https://docs.aws.amazon.com/sagemaker/latest/dg-ecr-paths/sagemaker-algo-docker-registry-paths.html)
 * are retired; their last copies agree with the SDK for the regions the tests sample.
 * The same image trains and serves (both files' "scope" is ["inference", "training"]).
 */
import { ALTERNATE_DOMAINS, DEFAULT_DOMAIN, IMAGE_CONFIG } from "./imageRegistries.generated.ts";

export type BuiltInAlgorithm = keyof typeof IMAGE_CONFIG;

export const BUILT_IN_ALGORITHMS = Object.keys(IMAGE_CONFIG) as BuiltInAlgorithm[];

/** Region → registry account, per algorithm, exactly as the SDK lists them. */
export const IMAGE_REGISTRIES: Readonly<Record<BuiltInAlgorithm, Readonly<Record<string, string>>>> = {
  randomcutforest: IMAGE_CONFIG.randomcutforest.registries,
  kmeans: IMAGE_CONFIG.kmeans.registries,
  "forecasting-deepar": IMAGE_CONFIG["forecasting-deepar"].registries,
};

export class UnknownRegionError extends Error {
  override readonly name = "UnknownRegionError";
}

export function ecrDomain(region: string): string {
  return ALTERNATE_DOMAINS[region] ?? DEFAULT_DOMAIN;
}

/** `<account>.dkr.ecr.<region>.<domain>/<algorithm>:1`; an unknown region is an error naming it and the ones known. */
export function builtInImage(algorithm: BuiltInAlgorithm, region: string): string {
  const config = IMAGE_CONFIG[algorithm];
  const registries: Readonly<Record<string, string>> = config.registries;
  const account = Object.hasOwn(registries, region) ? registries[region] : undefined;
  if (!account) {
    throw new UnknownRegionError(
      `no ${algorithm} image is known for region ${JSON.stringify(region)} (SageMaker Python SDK image_uri_config); known: ${Object.keys(registries).sort().join(", ")}`,
    );
  }
  return `${account}.dkr.ecr.${region}.${ecrDomain(region)}/${config.repository}:${config.version}`;
}

/** The algorithm an image URI runs, when it is one of the built-in images of that region; null otherwise. */
export function algorithmOfImage(image: string, region: string): BuiltInAlgorithm | null {
  return BUILT_IN_ALGORITHMS.find((a) => Object.hasOwn(IMAGE_CONFIG[a].registries, region) && builtInImage(a, region) === image) ?? null;
}
