/**
 * Settings, the settings file, registry credentials and `login`/`logout`.
 * @module
 */
export { parseBoolean } from "./booleans.ts";
export {
  containersAuthPaths,
  dockerConfigPath,
  expandHome,
  homeDir,
  secretsFilePath,
} from "./paths.ts";
export {
  activate,
  addVariable,
  backendList,
  backendStatus,
  backendVariableName,
  deactivate,
  deleteBackend,
  removeVariable,
  SUPPORTED_BACKENDS,
} from "./backends.ts";
export { formatSecrets, readSecrets, type SecretsFile, writeSecrets } from "./secrets_file.ts";
export { loadSettings, type Settings, settingsMarkdown, settingsTable } from "./settings.ts";
export {
  type Credential,
  credentialLookup,
  type CredentialLookupOptions,
  isDockerHub,
  type RunHelper,
} from "./credentials.ts";
export { login, type LoginResult, logout } from "./login.ts";
