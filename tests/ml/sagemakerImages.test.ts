/**
 * The built-in algorithm images per region against the SageMaker Python SDK's own configuration
 * (src/sagemaker/image_uri_config/{randomcutforest,kmeans,forecasting-deepar}.json at the commit in
 * ml/sagemaker/imageConfig/SOURCE.json), not against a table typed from memory (issue 25 §2).
 * Docs: https://docs.aws.amazon.com/sagemaker/latest/dg-ecr-paths/sagemaker-algo-docker-registry-paths.html
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { algorithmOfImage, BUILT_IN_ALGORITHMS, builtInImage, IMAGE_REGISTRIES } from "../../ml/sagemaker/images.ts";
import { CHILD_PROCESS_BOUND_MS } from "../helpers/childProcessBound.ts";

const root = join(import.meta.dirname, "../..");
const sdk = (a: string) =>
  JSON.parse(readFileSync(join(root, "ml/sagemaker/imageConfig", `${a}.json`), "utf8")) as { versions: Record<string, { registries: Record<string, string>; repository: string }> };

describe("built-in algorithm images", () => {
  it("ap-northeast-3: K-Means and DeepAR live in 867004704886 (the SDK's account), not the deep-learning-containers account 364406365360", () => {
    assert.equal(builtInImage("kmeans", "ap-northeast-3"), "867004704886.dkr.ecr.ap-northeast-3.amazonaws.com/kmeans:1");
    assert.equal(builtInImage("forecasting-deepar", "ap-northeast-3"), "867004704886.dkr.ecr.ap-northeast-3.amazonaws.com/forecasting-deepar:1");
    assert.equal(builtInImage("randomcutforest", "ap-northeast-3"), "867004704886.dkr.ecr.ap-northeast-3.amazonaws.com/randomcutforest:1");
  });

  it("covers every region the SDK knows, with the SDK's account, for each algorithm", () => {
    for (const a of BUILT_IN_ALGORITHMS) {
      const v1 = sdk(a).versions["1"]!;
      assert.equal(v1.repository, a);
      assert.deepEqual(IMAGE_REGISTRIES[a], v1.registries, `${a}: the table is the SDK's`);
      assert.ok(Object.keys(v1.registries).length >= 37, `${a}: ${Object.keys(v1.registries).length} regions`);
      for (const [region, account] of Object.entries(v1.registries)) assert.ok(builtInImage(a, region).startsWith(`${account}.dkr.ecr.${region}.`), `${a} ${region}`);
    }
  });

  it("names the region's registry with the SDK's domain (utils.py ALTERNATE_DOMAINS): China and the ISO partitions differ", () => {
    assert.equal(builtInImage("forecasting-deepar", "eu-west-1"), "224300973850.dkr.ecr.eu-west-1.amazonaws.com/forecasting-deepar:1");
    assert.equal(builtInImage("randomcutforest", "us-east-1"), "382416733822.dkr.ecr.us-east-1.amazonaws.com/randomcutforest:1");
    assert.equal(builtInImage("kmeans", "cn-north-1"), "390948362332.dkr.ecr.cn-north-1.amazonaws.com.cn/kmeans:1");
    assert.equal(builtInImage("kmeans", "us-iso-east-1"), "490574956308.dkr.ecr.us-iso-east-1.c2s.ic.gov/kmeans:1");
    assert.equal(builtInImage("kmeans", "us-gov-east-1"), "237065988967.dkr.ecr.us-gov-east-1.amazonaws.com/kmeans:1");
    assert.equal(algorithmOfImage("390948362332.dkr.ecr.cn-north-1.amazonaws.com.cn/kmeans:1", "cn-north-1"), "kmeans");
    assert.equal(algorithmOfImage("390948362332.dkr.ecr.cn-north-1.amazonaws.com.cn/kmeans:1", "eu-west-1"), null);
  });

  it("an unknown region is an error naming it and every region known", () => {
    assert.throws(() => builtInImage("kmeans", "mars-1"), (e: Error) => {
      assert.match(e.message, /no kmeans image is known for region "mars-1"/);
      for (const region of Object.keys(sdk("kmeans").versions["1"]!.registries)) assert.ok(e.message.includes(region), region);
      return true;
    });
    assert.throws(() => builtInImage("kmeans", "toString"), /no kmeans image is known for region "toString"/, "no prototype keys");
  });

  it("the committed module is what scripts/sagemaker-images.ts makes of the committed JSON", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", join(root, "scripts/sagemaker-images.ts"), "--check"], { timeout: CHILD_PROCESS_BOUND_MS });
    assert.match(stdout, /is up to date/);
  });
});
