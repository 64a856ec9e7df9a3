// A GraphQL client speaking Automatic Persisted Queries the Apollo way: the document's
// SHA-256 is sent first without the document; on PERSISTED_QUERY_NOT_FOUND (or any
// request-level refusal from a server without APQ) it is sent again with the document and the
// hash, which registers it. After a server showed it has no APQ, documents go out directly.
// Every response's X-RateLimit-* headers are reported to `onRateLimit`.

const NO_RETRY = new Set([401, 429, 503]);

export async function sha256Hex(text) {
  if (!globalThis.crypto?.subtle) return null; // plain http on a non-local host: no WebCrypto
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export function rateLimitOf(headers) {
  const limit = headers.get("X-RateLimit-Limit");
  if (limit === null && headers.get("Retry-After") === null) return null;
  return {
    limit: limit === null ? null : Number(limit),
    remaining: Number(headers.get("X-RateLimit-Remaining")),
    reset: new Date(Number(headers.get("X-RateLimit-Reset")) * 1000),
    retryAfter: headers.get("Retry-After"),
  };
}

export class GraphQLClient {
  constructor({ url = "/graphql", headers = () => ({}), onRateLimit = () => {} } = {}) {
    this.url = url;
    this.headers = headers;
    this.onRateLimit = onRateLimit;
    this.apq = true; // becomes false once the server shows it does not know APQ
    this.hashes = new Map();
  }

  async request(query, variables = {}) {
    const hash = await this.hashOf(query);
    const extensions = hash ? { persistedQuery: { version: 1, sha256Hash: hash } } : undefined;
    if (extensions && this.apq) {
      const first = await this.post({ variables, extensions });
      if (!this.needsDocument(first)) return first;
    }
    return this.post({ query, variables, extensions });
  }

  async hashOf(query) {
    if (!this.hashes.has(query)) this.hashes.set(query, await sha256Hex(query));
    return this.hashes.get(query);
  }

  needsDocument({ status, body }) {
    const errors = body?.errors ?? [];
    if (errors.some((e) => e.extensions?.code === "PERSISTED_QUERY_NOT_FOUND" || e.message === "PersistedQueryNotFound")) {
      return true;
    }
    // a server without APQ refuses the request as a whole ("no query"): send documents from now on
    if (errors.length && body?.data == null && !NO_RETRY.has(status)) {
      this.apq = false;
      return true;
    }
    return false;
  }

  async post(payload) {
    const response = await fetch(this.url, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json", ...this.headers() },
      body: JSON.stringify(payload),
    });
    const rateLimit = rateLimitOf(response.headers);
    if (rateLimit) this.onRateLimit(rateLimit);
    let body;
    try {
      body = await response.json();
    } catch {
      body = { errors: [{ message: `HTTP ${response.status} without a JSON body`, extensions: { code: `HTTP_${response.status}` } }] };
    }
    return { status: response.status, body, requestId: response.headers.get("X-Request-Id") };
  }
}
