/**
 * Registry authentication: answers 401 challenges with Bearer tokens (from
 * the challenge's realm, anonymous or with credentials, or an identity token
 * through the OAuth2 refresh_token grant) or Basic credentials. State is kept
 * per host, so credentials and tokens only ever go to the host they belong
 * to and to its token realm, never to a redirect target on another host,
 * and never over plain http unless the registry is a plain-http one.
 * @module
 */
import { DocumentError, parseDocument } from "../document.ts";
import { RegistryError } from "../errors.ts";
import { pickChallenge, splitScopes } from "./_challenge.ts";
import { networkError, readLimited, responseError } from "./errors.ts";
import { TokenAnswerSchema } from "./_wire_schemas.ts";
import type { Fetcher } from "./transport.ts";

/** Credentials for one registry host. */
export interface Credential {
  username?: string;
  password?: string;
  /** An OAuth2 refresh token (`identitytoken` in docker's config.json). */
  identityToken?: string;
}

/** Finds credentials for a registry host (`docker.io`, `ghcr.io`, `127.0.0.1:5000`). */
export type CredentialLookup = (host: string) => Promise<Credential | undefined>;

/** Options of {@linkcode AuthSession}. */
export interface AuthOptions {
  credentials?: CredentialLookup;
  /**
   * Hosts spoken to in plain http by choice (plain-http registries): their
   * token realm may be http, and they get credentials over http. Any other
   * host reached over http (an https registry redirecting to `http://`)
   * gets its requests anonymous: credentials and tokens never travel in clear.
   */
  allowHttpRealm?: (host: string) => boolean;
  /** Injectable clock (ms). */
  now?: () => number;
  /** Maps a request host to the name credentials are stored under. */
  credentialHost?: (host: string) => string;
  /** Total time a token or error body may take (default 60 s). */
  timeoutMs?: number;
}

interface Token {
  value: string;
  expiresAt: number;
}

interface HostState {
  scheme: "bearer" | "basic";
  realm?: string;
  service?: string;
  scopes: Set<string>;
  tokens: Map<string, Token>;
}

const EXPIRY_MARGIN_MS = 10_000;
const DEFAULT_EXPIRES_S = 60;
/** Largest token answer read (JWTs are a few KiB). */
const MAX_TOKEN_BYTES = 1024 * 1024;

/** Encodes `user:pass` for `Authorization: Basic`. */
export function basicAuth(username: string, password: string): string {
  const bytes = new TextEncoder().encode(`${username}:${password}`);
  return "Basic " + btoa(String.fromCharCode(...bytes));
}

/**
 * Authenticating sender. `fetch(req, scope)` sends the request, attaching
 * what this host is known to need, and on a 401 with a challenge fetches
 * a token (merging the challenge's scope and `scope` first) and retries once.
 */
export class AuthSession {
  #inner: Fetcher;
  #opts: AuthOptions;
  #hosts = new Map<string, HostState>();
  #creds = new Map<string, Promise<Credential | undefined>>();

  constructor(inner: Fetcher, opts: AuthOptions = {}) {
    this.#inner = inner;
    this.#opts = opts;
  }

  #now(): number {
    return this.#opts.now?.() ?? Date.now();
  }

  #credential(host: string): Promise<Credential | undefined> {
    const name = this.#opts.credentialHost?.(host) ?? host;
    let p = this.#creds.get(name);
    if (!p) {
      p = this.#opts.credentials?.(name) ?? Promise.resolve(undefined);
      this.#creds.set(name, p);
    }
    return p;
  }

  /** Sends `req` with authentication for its host; `scope` is what the request needs. */
  async fetch(req: Request, scope?: string): Promise<Response> {
    const url = new URL(req.url);
    const host = url.host;
    // A registry's state is kept by host, which `https://h` and `http://h` share.
    if (url.protocol === "http:" && !(this.#opts.allowHttpRealm?.(host) ?? false)) {
      return this.#inner(req);
    }
    const state = this.#hosts.get(host);
    const sent = state ? await this.#authorize(req, host, state, scope, false) : req;
    const res = await this.#inner(sent);
    if (res.status !== 401) return res;
    const challenge = pickChallenge(res.headers.get("www-authenticate"));
    if (!challenge) return res;
    const fresh: HostState = {
      scheme: challenge.scheme as "bearer" | "basic",
      realm: challenge.params.realm,
      service: challenge.params.service,
      scopes: new Set(state?.scopes),
      tokens: state?.realm === challenge.params.realm ? state!.tokens : new Map(),
    };
    for (const s of splitScopes(challenge.params.scope)) fresh.scopes.add(s);
    if (fresh.scheme === "basic" && !(await this.#credential(host))?.username) return res;
    await res.body?.cancel();
    this.#hosts.set(host, fresh);
    return this.#inner(await this.#authorize(req, host, fresh, scope, true));
  }

  async #authorize(
    req: Request,
    host: string,
    state: HostState,
    scope: string | undefined,
    force: boolean,
  ): Promise<Request> {
    let value: string | undefined;
    if (state.scheme === "basic") {
      const c = await this.#credential(host);
      if (c?.username !== undefined) value = basicAuth(c.username, c.password ?? "");
    } else {
      if (scope) state.scopes.add(scope);
      value = "Bearer " + await this.#token(host, state, force);
    }
    if (!value) return req;
    const headers = new Headers(req.headers);
    headers.set("authorization", value);
    return new Request(req, { headers });
  }

  async #token(host: string, state: HostState, force: boolean): Promise<string> {
    const scopes = [...state.scopes].sort();
    const key = scopes.join(" ");
    const cached = state.tokens.get(key);
    if (!force && cached && cached.expiresAt - EXPIRY_MARGIN_MS > this.#now()) {
      return cached.value;
    }
    const token = await this.#requestToken(host, state, scopes);
    state.tokens.set(key, token);
    return token.value;
  }

  #realmUrl(host: string, realm: string | undefined): URL {
    let url: URL;
    try {
      url = new URL(realm ?? "");
    } catch {
      throw new RegistryError({
        status: 401,
        method: "GET",
        url: host,
        host,
        fault: { kind: "realm-missing" },
      });
    }
    const httpOk = this.#opts.allowHttpRealm?.(host) ?? false;
    if (url.protocol !== "https:" && !(url.protocol === "http:" && httpOk)) {
      throw new RegistryError({
        status: 401,
        method: "GET",
        url: url.origin,
        host,
        fault: { kind: "realm-not-https", origin: url.origin },
      });
    }
    return url;
  }

  async #requestToken(host: string, state: HostState, scopes: string[]): Promise<Token> {
    const url = this.#realmUrl(host, state.realm);
    const cred = await this.#credential(host);
    const headers = new Headers({ accept: "application/json" });
    let req: Request;
    if (cred?.identityToken) {
      const form = new URLSearchParams({
        grant_type: "refresh_token",
        refresh_token: cred.identityToken,
        client_id: "sregistry",
      });
      if (state.service) form.set("service", state.service);
      if (scopes.length) form.set("scope", scopes.join(" "));
      headers.set("content-type", "application/x-www-form-urlencoded");
      req = new Request(url, { method: "POST", headers, body: form, redirect: "manual" });
    } else {
      if (state.service) url.searchParams.set("service", state.service);
      for (const s of scopes) url.searchParams.append("scope", s);
      if (cred?.username !== undefined) {
        headers.set("authorization", basicAuth(cred.username, cred.password ?? ""));
      }
      req = new Request(url, { headers, redirect: "manual" });
    }
    const res = await this.#inner(req);
    if (!res.ok) {
      throw await responseError(res, {
        action: `get a token for ${host}`,
        method: req.method,
        url: url.href,
        loginHost: this.#opts.credentialHost?.(host) ?? host,
        timeoutMs: this.#opts.timeoutMs,
      });
    }
    let bytes: Uint8Array;
    try {
      bytes = await readLimited(res, MAX_TOKEN_BYTES, {
        timeoutMs: this.#opts.timeoutMs,
        url: url.href,
      });
    } catch (e) {
      throw networkError(e, url.href, `get a token for ${host}`);
    }
    return this.#parseToken(host, new TextDecoder().decode(bytes));
  }

  #parseToken(host: string, text: string): Token {
    const ctx = {
      kind: "token",
      origin: host,
      fix: "try again, or report it to the registry's operator",
      maxBytes: 1024 * 1024,
    } as const;
    const body = parseDocument(text, TokenAnswerSchema, ctx);
    const value = body.token || body.access_token || undefined;
    if (!value) {
      throw new DocumentError({
        ...ctx,
        issues: [{ path: "$.token", message: "is missing or empty, and so is $.access_token" }],
      });
    }
    const expires = body.expires_in !== undefined && body.expires_in > 0
      ? body.expires_in
      : DEFAULT_EXPIRES_S;
    return { value, expiresAt: this.#now() + expires * 1000 };
  }
}
