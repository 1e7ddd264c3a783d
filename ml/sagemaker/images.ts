/**
 * The built-in algorithm images per region (version 1 of each), as the SageMaker Python SDK
 * records them (src/sagemaker/image_uri_config/{randomcutforest,forecasting-deepar,kmeans}.json;
 * docs: https://docs.aws.amazon.com/sagemaker/latest/dg-ecr-paths/sagemaker-algo-docker-registry-paths.html).
 * The same image trains and serves.
 */
export type BuiltInAlgorithm = "randomcutforest" | "forecasting-deepar" | "kmeans";

const RCF_AND_KMEANS: Readonly<Record<string, string>> = {
  "af-south-1": "455444449433", "ap-east-1": "286214385809", "ap-northeast-1": "351501993468", "ap-northeast-2": "835164637446",
  "ap-south-1": "991648021394", "ap-southeast-1": "475088953585", "ap-southeast-2": "712309505854", "ca-central-1": "469771592824",
  "cn-north-1": "390948362332", "cn-northwest-1": "387376663083", "eu-central-1": "664544806723", "eu-north-1": "669576153137",
  "eu-west-1": "438346466558", "eu-west-2": "644912444149", "eu-west-3": "749696950732", "eu-south-1": "257386234256",
  "me-south-1": "249704162688", "sa-east-1": "855470959533", "us-east-1": "382416733822", "us-east-2": "404615174143",
  "us-gov-west-1": "226302683700", "us-west-1": "632365934929", "us-west-2": "174872318107",
};

export const IMAGE_REGISTRIES: Readonly<Record<BuiltInAlgorithm, Readonly<Record<string, string>>>> = {
  randomcutforest: { ...RCF_AND_KMEANS, "ap-northeast-3": "867004704886", "ap-southeast-3": "951798379941" },
  kmeans: { ...RCF_AND_KMEANS, "ap-northeast-3": "364406365360" },
  "forecasting-deepar": {
    ...RCF_AND_KMEANS, "ap-northeast-1": "633353088612", "ap-northeast-2": "204372634319", "ap-northeast-3": "364406365360",
    "ap-southeast-2": "514117268639", "eu-central-1": "495149712605", "eu-west-1": "224300973850", "us-east-1": "522234722520",
    "us-east-2": "566113047672", "us-west-2": "156387875391",
  },
};

/** `<account>.dkr.ecr.<region>.amazonaws.com[.cn]/<algorithm>:1`; an unknown region is an error naming the ones known. */
export function builtInImage(algorithm: BuiltInAlgorithm, region: string): string {
  const account = IMAGE_REGISTRIES[algorithm][region];
  if (!account) throw new Error(`no ${algorithm} image is known for region ${JSON.stringify(region)}; known: ${Object.keys(IMAGE_REGISTRIES[algorithm]).sort().join(", ")}`);
  const domain = region.startsWith("cn-") ? "amazonaws.com.cn" : "amazonaws.com";
  return `${account}.dkr.ecr.${region}.${domain}/${algorithm}:1`;
}
