// HTTP actions: the Worker serves `lunora/http.ts`'s router (the generated `wiring.http`) for every
// path outside Lunora's own `/api/`. Precedence and guarantees: docs/ARCHITECTURE.md, "HTTP actions".

/** Lunora's own endpoints (`/api/call`, `/api/ws`, ...) own every path under this prefix. */
export const LUNORA_PREFIX = "/api/";

/**
 * The largest request body an HTTP action may read (Convex's limit, 20 MiB): a larger declared
 * `content-length` is a 413 before the action runs; a body without one (chunked) is counted as
 * the action reads it, and a read beyond the limit fails, which is a 413 too.
 */
export const MAX_HTTP_ACTION_BODY_BYTES = 20 * 1024 * 1024;

function tooLargeResponse(): Response {
  return text(`Request body exceeds the ${MAX_HTTP_ACTION_BODY_BYTES / (1024 * 1024)} MiB limit of HTTP actions`, 413);
}

/** `request` whose body stream errors once more than the limit has been read, and whether it did. */
function capBody(request: Request): { request: Request; exceeded: () => boolean } {
  if (!request.body) return { request, exceeded: () => false };
  let total = 0;
  let over = false;
  const limited = request.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        total += chunk.byteLength;
        if (total > MAX_HTTP_ACTION_BODY_BYTES) {
          over = true;
          controller.error(new Error(`request body exceeds ${MAX_HTTP_ACTION_BODY_BYTES} bytes`));
          return;
        }
        controller.enqueue(chunk);
      },
    }),
  );
  return { request: new Request(request, { body: limited }), exceeded: () => over };
}

/** An HTTP action as `lunorash/server`'s `httpAction` makes it. */
export type HttpActionLike = (ctx: unknown, request: Request) => Promise<Response>;

interface RouteLike {
  readonly method: string;
  readonly path?: string;
  readonly pathPrefix?: string;
  readonly cors?: string;
}

/** Structural view of `lunorash/server`'s `HttpRouter`. */
interface RouterLike {
  readonly routes: readonly RouteLike[];
  lookup(path: string, method: string): readonly [HttpActionLike, string, string] | null;
}

/** `wiring.http`: the router and the route table the analyzer read from `lunora/http.ts`. */
export interface WiringHttp {
  readonly router: RouterLike;
  readonly routes: readonly RouteLike[];
}

export function isLunoraPath(pathname: string): boolean {
  return pathname.startsWith(LUNORA_PREFIX);
}

function describe(r: RouteLike | undefined): string {
  if (!r) return "nothing";
  const where = r.path !== undefined ? r.path : `${r.pathPrefix}*`;
  return `${r.method} ${where}${r.cors ? ` (cors ${r.cors})` : ""}`;
}

/**
 * Where the routes the router registered when `lunora/http.ts` ran differ from the table the
 * analyzer read (a route registered in a way the analyzer could not see): a message, or null.
 */
export function routeMismatch(http: WiringHttp): string | null {
  const actual = http.router.routes;
  const expected = http.routes;
  for (let i = 0; i < Math.max(actual.length, expected.length); i++) {
    const a = describe(actual[i]);
    const e = describe(expected[i]);
    if (a !== e) {
      return `route ${i + 1}: lunora/http.ts registered ${a} where \`lunora codegen\` read ${e}; run \`lunora codegen\` and register routes only with top-level \`http.route({...})\``;
    }
  }
  return null;
}

const checked = new WeakMap<object, string | null>();

function text(body: string, status: number): Response {
  return new Response(body, { status, headers: { "content-type": "text/plain; charset=utf-8" } });
}

/**
 * Answers a request outside `/api/`: the route's HTTP action (an exact `path` first, then the
 * longest `pathPrefix`, for the request's method; HEAD runs the GET route without its body), or
 * 404. An action that throws is a 500 (the error goes to `console.error`; what it committed
 * before, through `ctx.runMutation`, stays).
 */
export async function serveHttpAction(
  http: WiringHttp | undefined,
  request: Request,
  ctx: () => Promise<unknown>,
): Promise<Response> {
  const pathname = new URL(request.url).pathname;
  if (!http) return text(`No HttpAction routed for ${pathname}`, 404);
  let mismatch = checked.get(http.router);
  if (mismatch === undefined) {
    mismatch = routeMismatch(http);
    checked.set(http.router, mismatch);
    if (mismatch !== null) console.error(`lunora: refusing to serve HTTP actions: ${mismatch}`);
  }
  if (mismatch !== null) return text("HTTP actions are misconfigured; see the Worker's logs", 500);
  const match = http.router.lookup(pathname, request.method);
  if (!match) return text(`No HttpAction routed for ${pathname}`, 404);
  const [handler, method, route] = match;
  if (Number(request.headers.get("content-length") ?? "0") > MAX_HTTP_ACTION_BODY_BYTES) return tooLargeResponse();
  const capped = capBody(request);
  let response: unknown;
  try {
    response = await handler(await ctx(), capped.request);
  } catch (error) {
    if (capped.exceeded()) return tooLargeResponse();
    console.error(`lunora: the HTTP action for ${method} ${route} threw:`, error);
    return text("Internal Server Error", 500);
  }
  // Over the limit, the request is refused even if the action caught the failed read.
  if (capped.exceeded()) return tooLargeResponse();
  if (!(response instanceof Response)) {
    console.error(`lunora: the HTTP action for ${method} ${route} returned ${response === null ? "null" : typeof response}, not a Response`);
    return text("Internal Server Error", 500);
  }
  if (request.method === "HEAD") {
    await response.body?.cancel();
    return new Response(null, { status: response.status, statusText: response.statusText, headers: response.headers });
  }
  return response;
}
