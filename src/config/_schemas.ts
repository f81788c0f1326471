/**
 * Schemas (valibot) of the configuration files sregistry reads: the settings
 * file (`SREGISTRY_CLIENT_SECRETS`), a docker config (`~/.docker/config.json`,
 * podman's `auth.json`) and a docker credential helper's answer. Unknown
 * fields are kept (other tools write them); the fields sregistry reads are
 * typed strictly, as docker's own loader does.
 * @module
 */
import * as v from "valibot";
import { jsonObject, jsonRecord } from "../document.ts";

/**
 * The settings file: `{"SREGISTRY_CLIENT": "docker", "<backend>": {"VAR": value}}`.
 * Variable values are left untyped: the settings lookup reads strings,
 * numbers and booleans and ignores anything else.
 */
export const SettingsSchema = v.pipe(
  jsonRecord(v.unknown()),
  v.objectWithRest({ SREGISTRY_CLIENT: v.optional(v.string()) }, jsonRecord(v.unknown())),
);

/** One `auths` entry of a docker config. */
export const AuthEntrySchema = jsonObject({
  auth: v.optional(v.string()),
  identitytoken: v.optional(v.string()),
  username: v.optional(v.string()),
  password: v.optional(v.string()),
});

/** A docker config file: the credential parts (docker CLI `configfile.ConfigFile`). */
export const DockerConfigSchema = jsonObject({
  auths: v.nullish(jsonRecord(AuthEntrySchema)),
  credHelpers: v.nullish(jsonRecord(v.string())),
  credsStore: v.nullish(v.string()),
});

/** A credential helper's `get` answer (docker-credential-helpers `Credentials`). */
export const HelperAnswerSchema = jsonObject({
  ServerURL: v.optional(v.string()),
  Username: v.optional(v.string()),
  Secret: v.optional(v.string()),
});
