/**
 * The contract between the Cognito user pool (infra/aws/portal.ts declares the attribute) and the
 * portal (albIdentity.ts reads the claim): which user attribute names a person's tenant. Kept here,
 * below both, so the two cannot drift.
 */

/** The custom attribute's name as declared in the pool's schema (Cognito adds the `custom:` prefix). */
export const TENANT_ATTRIBUTE = "tenant_id";

/** The claim the user info endpoint (and so the ALB's `x-amzn-oidc-data`) carries it as. */
export const TENANT_CLAIM = `custom:${TENANT_ATTRIBUTE}`;

/** The header the ALB's `authenticate-cognito` action puts the signed user claims in. */
export const ALB_CLAIMS_HEADER = "x-amzn-oidc-data";
