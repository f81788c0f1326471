/** The version of sregistry, printed by `sregistry version` and sent in the User-Agent. */
export const VERSION = "0.1.0";
