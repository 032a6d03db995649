import { httpAction } from "@/lunora/_generated/server";

// An HTTP action answers a Response, not a string.
export const notAResponse = httpAction(async () => "ok");
