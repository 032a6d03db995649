// HTTP actions (Convex's shapes): `httpRouter()` and `http.route({ path | pathPrefix, method,
// handler })` in `lunora/http.ts`, handlers made with the generated `httpAction`, and
// `corsRouter(http, options)` (convex-helpers' name and options) for routes browsers call
// from other origins. The Worker serves the router (docs/ARCHITECTURE.md, "HTTP actions").

import type { GenericDataModel } from "./db.js";
import type { GenericActionCtx } from "./functions.js";

/** The methods a route may have. HEAD requests are served by the `GET` route, without the body. */
export const ROUTABLE_HTTP_METHODS = ["GET", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"] as const;
export type RoutableMethod = (typeof ROUTABLE_HTTP_METHODS)[number];

/** Lunora's own endpoints (`/api/call`, `/api/ws`, ...) own every path under this prefix. */
export const RESERVED_HTTP_PREFIX = "/api/";

/** An HTTP action: called with an action's ctx and the request, it answers a Response. */
export interface PublicHttpAction<Ctx = any> {
  (ctx: Ctx, request: Request): Promise<Response>;
  readonly __lunora: "httpAction";
}

/** The generated `httpAction`: `httpAction(async (ctx, request) => new Response(...))`. */
export type HttpActionBuilder<DataModel extends GenericDataModel> = (
  handler: (ctx: GenericActionCtx<DataModel>, request: Request) => Promise<Response>,
) => PublicHttpAction<GenericActionCtx<DataModel>>;

/** Makes an HTTP action (the generated `server.ts` types it as `HttpActionBuilder<DataModel>`). */
export function httpActionGeneric(handler: (ctx: any, request: Request) => Promise<Response>): PublicHttpAction {
  if (typeof handler !== "function") {
    throw new TypeError("httpAction(handler): handler must be a function");
  }
  const action = async (ctx: unknown, request: Request): Promise<Response> => handler(ctx, request);
  return Object.freeze(Object.assign(action, { __lunora: "httpAction" as const }));
}

/** True for an HTTP action made by `httpAction`. */
export function isHttpAction(value: unknown): value is PublicHttpAction {
  return typeof value === "function" && (value as { __lunora?: unknown }).__lunora === "httpAction";
}

/** A route for one exact path: `/profile` matches `/profile` only. */
export type RouteSpecWithPath = { path: string; method: RoutableMethod; handler: PublicHttpAction };
/** A route for every path under a prefix: `/files/` matches `/files/`, `/files/a`, `/files/a/b`. */
export type RouteSpecWithPathPrefix = { pathPrefix: string; method: RoutableMethod; handler: PublicHttpAction };
export type RouteSpec = RouteSpecWithPath | RouteSpecWithPathPrefix;

/** How a route came in: `corsRouter(...).route` (`route`) or its automatic preflight. */
export type RouteCors = "route" | "preflight";

/** A registered route, in registration order (what `wiring.ts`'s `http.routes` lists). */
export interface HttpRoute {
  readonly method: RoutableMethod;
  readonly path?: string;
  readonly pathPrefix?: string;
  readonly cors?: RouteCors;
  readonly handler: PublicHttpAction;
}

/**
 * The router of `lunora/http.ts` (its default export). `lookup` picks an exact `path` first,
 * then the longest `pathPrefix`, for the request's method (HEAD as GET).
 */
export class HttpRouter {
  readonly isRouter = true;
  /** Every route, in registration order. */
  readonly routes: HttpRoute[] = [];

  /**
   * Routes requests for `method` and a `path` (exact) or a `pathPrefix` (starts and ends with
   * `/`) to `handler`. Throws on a duplicate method and path (or prefix), a path that does not
   * start with `/`, a path under `/api/` (Lunora's) and an unknown method, as the analyzer reports.
   */
  route = (spec: RouteSpec): void => {
    this.register(spec, undefined);
  };

  /** `route`, remembering how the route came in (`corsRouter`). */
  register(spec: RouteSpec, cors: RouteCors | undefined): void {
    const { method, handler } = spec as { method: RoutableMethod; handler: unknown };
    if (!ROUTABLE_HTTP_METHODS.includes(method)) {
      throw new Error(`'${String(method)}' is not a routable HTTP method (${ROUTABLE_HTTP_METHODS.join(", ")})`);
    }
    if (!isHttpAction(handler)) throw new Error(`route ${method}: the handler must be an httpAction(...)`);
    const hasPath = "path" in spec && spec.path !== undefined;
    const hasPrefix = "pathPrefix" in spec && (spec as RouteSpecWithPathPrefix).pathPrefix !== undefined;
    if (hasPath === hasPrefix) throw new Error("a route takes either `path` or `pathPrefix`");
    const p = hasPath ? (spec as RouteSpecWithPath).path : (spec as RouteSpecWithPathPrefix).pathPrefix;
    if (typeof p !== "string" || !p.startsWith("/")) throw new Error(`path '${String(p)}' does not start with a /`);
    if (!hasPath && !p.endsWith("/")) throw new Error(`pathPrefix '${p}' must end with a /`);
    if (p.startsWith(RESERVED_HTTP_PREFIX)) throw new Error(`'${p}' is under ${RESERVED_HTTP_PREFIX}, which Lunora's own endpoints own`);
    const clash = this.routes.find(
      (r) => r.method === method && (hasPath ? r.path === p : r.pathPrefix === p),
    );
    if (clash) throw new Error(`${method} ${hasPath ? "path" : "pathPrefix"} '${p}' is already routed`);
    const route: HttpRoute = hasPath ? { method, path: p, handler } : { method, pathPrefix: p, handler };
    this.routes.push(cors ? { ...route, cors } : route);
  }

  /**
   * The action for a request path and method, with the method it was routed as and the route's
   * path (`/files/*` for a prefix); null when no route matches.
   */
  lookup(path: string, method: string): readonly [PublicHttpAction, RoutableMethod, string] | null {
    const m = (method === "HEAD" ? "GET" : method) as RoutableMethod;
    let best: HttpRoute | undefined;
    for (const r of this.routes) {
      if (r.method !== m) continue;
      if (r.path === path) return [r.handler, m, path];
      if (r.pathPrefix !== undefined && path.startsWith(r.pathPrefix) && r.pathPrefix.length > (best?.pathPrefix?.length ?? -1)) {
        best = r;
      }
    }
    return best ? [best.handler, m, `${best.pathPrefix}*`] : null;
  }

  /** `[path, method, handler]` for every route (prefixes as `/files/*`), in registration order. */
  getRoutes(): ReadonlyArray<readonly [string, RoutableMethod, PublicHttpAction]> {
    return this.routes.map((r) => [r.path ?? `${r.pathPrefix}*`, r.method, r.handler] as const);
  }
}

/** A new router: `const http = httpRouter();` in `lunora/http.ts`, then `export default http;`. */
export const httpRouter = (): HttpRouter => new HttpRouter();

/** `corsRouter` options (convex-helpers' names). */
export interface CorsOptions {
  /** Origins allowed to call the routes (`https://app.example.com`); `["*"]` (the default) allows any. */
  allowedOrigins?: string[];
  /** Request headers a browser may send (preflight `Access-Control-Allow-Headers`); default `["Content-Type"]`. */
  allowedHeaders?: string[];
  /** Response headers a browser script may read (`Access-Control-Expose-Headers`). */
  exposedHeaders?: string[];
  /** Allow cookies and `Authorization` (`Access-Control-Allow-Credentials: true`); the origin is then echoed, never `*`. */
  allowCredentials?: boolean;
  /** How long a browser may cache a preflight, in seconds (`Access-Control-Max-Age`); default 86400. */
  browserCacheMaxAge?: number;
}

/** The value of `Access-Control-Allow-Origin` for a request's `Origin`, or null when not allowed. */
function allowedOrigin(origin: string | null, options: CorsOptions): string | null {
  const allowed = options.allowedOrigins ?? ["*"];
  if (allowed.includes("*")) return options.allowCredentials && origin ? origin : "*";
  return origin !== null && allowed.includes(origin) ? origin : null;
}

function originHeaders(headers: Headers, origin: string, options: CorsOptions): void {
  headers.set("access-control-allow-origin", origin);
  if (origin !== "*") headers.append("vary", "Origin");
  if (options.allowCredentials) headers.set("access-control-allow-credentials", "true");
}

/**
 * `const cors = corsRouter(http, { allowedOrigins: ["https://app.example.com"] })`, then
 * `cors.route({ path, method, handler })` instead of `http.route(...)`: the route's responses get
 * the CORS headers, and the first `cors.route` of a path also registers its `OPTIONS` preflight
 * (204 with the allowed methods, headers and max age; 403 for an origin not allowed).
 */
export function corsRouter(http: HttpRouter, options: CorsOptions = {}): { route(spec: RouteSpec): void } {
  /** Per path (`path:/x` or `prefix:/x/`): the methods routed there, which its preflight allows. */
  const methods = new Map<string, Set<RoutableMethod>>();
  return {
    route(spec: RouteSpec): void {
      const prefix = "pathPrefix" in spec ? spec.pathPrefix : undefined;
      const key = prefix !== undefined ? `prefix:${prefix}` : `path:${(spec as RouteSpecWithPath).path}`;
      const inner = spec.handler;
      const handler = httpActionGeneric(async (ctx, request) => {
        const response = await inner(ctx, request);
        const origin = allowedOrigin(request.headers.get("origin"), options);
        if (origin === null) return response;
        const headers = new Headers(response.headers);
        originHeaders(headers, origin, options);
        if (options.exposedHeaders?.length) headers.set("access-control-expose-headers", options.exposedHeaders.join(", "));
        return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
      });
      http.register({ ...spec, handler } as RouteSpec, "route");
      if (spec.method === "OPTIONS") return;
      let allowed = methods.get(key);
      if (!allowed) {
        allowed = new Set();
        const forPath = allowed;
        const preflight = httpActionGeneric(async (_ctx, request) => {
          const origin = allowedOrigin(request.headers.get("origin"), options);
          if (origin === null) return new Response("origin not allowed", { status: 403 });
          const headers = new Headers();
          originHeaders(headers, origin, options);
          headers.set("access-control-allow-methods", [...forPath, "OPTIONS"].join(", "));
          headers.set("access-control-allow-headers", (options.allowedHeaders ?? ["Content-Type"]).join(", "));
          headers.set("access-control-max-age", String(options.browserCacheMaxAge ?? 86_400));
          return new Response(null, { status: 204, headers });
        });
        const route = prefix !== undefined ? { pathPrefix: prefix, method: "OPTIONS" as const, handler: preflight } : { path: (spec as RouteSpecWithPath).path, method: "OPTIONS" as const, handler: preflight };
        http.register(route, "preflight");
        methods.set(key, allowed);
      }
      allowed.add(spec.method);
    },
  };
}

/** One route of `wiring.ts`'s table, as the analyzer read `lunora/http.ts`. */
export interface WiringHttpRoute {
  readonly method: RoutableMethod;
  readonly path?: string;
  readonly pathPrefix?: string;
  readonly cors?: RouteCors;
}

/** `wiring.http`: the router and the route table the analyzer read. */
export interface WiringHttp {
  readonly router: HttpRouter;
  readonly routes: readonly WiringHttpRoute[];
}
