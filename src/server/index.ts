// `techtrail/server`: the web service and HTTP API (Hono), for embedding or starting it from a program.
export { AuthStore, type AuthStoreOptions, openAuthStore, TOKEN_PREFIX } from "../auth/auth-store.js";
export * from "../auth/model.js";
export { type ApiType, type AppOptions, createApp, DEFAULT_LIMITS } from "./app.js";
export { openApiDocument } from "./openapi.js";
export { DEFAULT_HOST, DEFAULT_PORT, type RunningService, type ServiceOptions, startService } from "./serve.js";
