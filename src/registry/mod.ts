/**
 * Registry access: the client, its transport and auth layers, manifests and
 * platforms.
 * @module
 */
export * from "./client.ts";
export * from "./transport.ts";
export { AuthSession, basicAuth, type Credential, type CredentialLookup } from "./auth.ts";
export * from "./manifest.ts";
export * from "./platform.ts";
export * from "./errors.ts";
export { type Endpoint, hubEndpoint, MirroredClient, parseEndpoint } from "./mirrors.ts";
export { createHttpFetcher, type HttpSettings } from "./http_client.ts";
