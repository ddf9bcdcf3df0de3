const SECRET_KEY = /(pass(word)?|secret|token|api[_-]?key|private[_-]?key|credential|authorization|hash)$/i;

/**
 * Returns a deep copy with secret-looking fields replaced by "[redacted]", so audit rows and logs
 * never hold credentials. Matching is by key name (passwordHash, clientSecret, refreshToken, …).
 */
export function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value instanceof Date) return value.toISOString();
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (item === undefined) continue;
    out[key] = SECRET_KEY.test(key) && item !== null ? '[redacted]' : redactSecrets(item);
  }
  return out;
}
