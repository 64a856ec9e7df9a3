// The caller's token: taken from the URL fragment (`#token=...`, never sent to the server),
// then kept in sessionStorage for this tab only and removed from the address bar.
const KEY = "analytics-gateway.token";

export function takeToken() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const fromUrl = fragment.get("token");
  if (fromUrl) {
    sessionStorage.setItem(KEY, fromUrl.trim());
    fragment.delete("token");
    const rest = fragment.toString();
    history.replaceState(null, "", location.pathname + location.search + (rest ? `#${rest}` : ""));
  }
  return sessionStorage.getItem(KEY);
}

export function storeToken(token) {
  sessionStorage.setItem(KEY, token.trim());
}

export function forgetToken() {
  sessionStorage.removeItem(KEY);
}

export function authHeaders(token) {
  return token ? { Authorization: `Bearer ${token}` } : {};
}
