/** Vite bundles CSS imported for its side effect; TypeScript needs to know such an import is fine. */
declare module "*.css";
