/**
 * Scrubbing secrets from text: the one rule every line the runtime and the CLI print goes
 * through. A leaf module (no imports), so the CLI's bundle can carry it without a second copy of
 * the core's stateful modules.
 */

/** Secrets shorter than this are not scrubbed: replacing every "a" in a log is no protection. */
const MIN_SECRET_LENGTH = 8;

/** The text put in place of a secret wherever the runtime prints or serialises one. */
export const REDACTED = '[redacted]';

/** The environment variables FC fills with the function role's keys. */
const ENVIRONMENT_SECRET_NAMES = ['ALIBABA_CLOUD_ACCESS_KEY_SECRET', 'ALIBABA_CLOUD_SECURITY_TOKEN'] as const;

/** The request headers FC fills with the function role's keys. */
export const SECRET_HEADER_NAMES = ['x-fc-access-key-secret', 'x-fc-security-token'] as const;

/**
 * Replaces each secret (of at least 8 characters) in `text` with `[redacted]`. Returns `text`
 * itself when there is nothing to replace.
 */
export function redact(text: string, secrets: readonly string[]): string {
  for (const secret of secrets) {
    if (secret.length >= MIN_SECRET_LENGTH && text.includes(secret)) text = text.split(secret).join(REDACTED);
  }
  return text;
}

/**
 * Secrets the process itself was given: FC puts the function role's keys in the environment too.
 * Read once; the runtime scrubs them from all it prints.
 */
export function readEnvironmentSecrets(env: NodeJS.ProcessEnv = process.env): string[] {
  const secrets: string[] = [];
  for (const name of ENVIRONMENT_SECRET_NAMES) {
    const value = env[name];
    if (value) secrets.push(value);
  }
  return secrets;
}
