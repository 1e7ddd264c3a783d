/**
 * Imported for its effect, before snowflake-sdk (which builds AWS SDK clients as it loads): the AWS
 * SDK's Node-version notice is off before anything can print it (see awsSdkNotice.ts).
 */
import { quietNodeVersionNotice } from "./awsSdkNotice.ts";

quietNodeVersionNotice();
