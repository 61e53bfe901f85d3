/** on-headers (the hook compression itself uses): runs `listener` just before the response's headers go out. */
declare module "on-headers" {
  import type { ServerResponse } from "node:http";
  function onHeaders(res: ServerResponse, listener: (this: ServerResponse) => void): void;
  export = onHeaders;
}
