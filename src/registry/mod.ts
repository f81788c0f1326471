/**
 * Registry access over HTTP: the client, its transport and auth layers, mirrors.
 * @module
 */
export * from "./client.ts";
export * from "./transport.ts";
export { AuthSession, basicAuth, type Credential, type CredentialLookup } from "./auth.ts";
export * from "./errors.ts";
export { type Endpoint, hubEndpoint, MirroredClient, parseEndpoint } from "./mirrors.ts";
export { createHttpFetcher, type HttpSettings } from "./http_client.ts";
