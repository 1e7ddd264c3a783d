// s3rver ships no types; only what the archive tests use: start on a port, stop.
declare module "s3rver" {
  interface S3rverOptions {
    port?: number;
    address?: string;
    silent?: boolean;
    directory?: string;
  }
  export default class S3rver {
    constructor(options: S3rverOptions);
    /** Resolves with the bound address once listening. */
    run(): Promise<{ address: string; family: string; port: number }>;
    close(): Promise<void>;
  }
}
