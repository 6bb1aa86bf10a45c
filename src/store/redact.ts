// Database URLs carry secrets in several places: the userinfo (`postgres://user:secret@host`, where the
// secret may itself contain `@`), query parameters (`?password=secret`, `sslpassword`) and libpq key=value
// strings. Everything techtrail prints about a store (banner, errors) goes through redactUrl.

const SECRET_PARAM = /([?&;]\s*[^=&#;]*(?:pass|secret|token|key)[^=&#;]*=)[^&#;]*/gi;
const KEY_VALUE = /\b((?:ssl)?password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)/gi;

/** The URL with every password-like part replaced by `***` (the user name, host and database stay). */
export function redactUrl(url: string): string {
  let out = url;
  // userinfo: up to the last `@` before the path, so an unencoded `@` in the password is hidden too
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)@/i.exec(out);
  if (m) {
    const userinfo = m[2] as string;
    const colon = userinfo.indexOf(":");
    const user = colon < 0 ? userinfo : userinfo.slice(0, colon);
    out = `${m[1]}${user}${colon < 0 ? "" : ":***"}@${out.slice(m[0].length)}`;
  }
  out = out.replace(SECRET_PARAM, "$1***");
  // libpq `key=value` strings (no scheme)
  return m || /^[a-z][a-z0-9+.-]*:\/\//i.test(out) ? out : out.replace(KEY_VALUE, "$1***");
}

/** A message (a driver's error text) with the URL's secrets, in any spelling it may echo, removed. */
export function redactMessage(message: string, url: string): string {
  let out = message.split(url).join(redactUrl(url));
  for (const secret of urlSecrets(url)) if (secret.length >= 3) out = out.split(secret).join("***");
  return out;
}

function urlSecrets(url: string): string[] {
  const found: string[] = [];
  const m = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)@/i.exec(url);
  const colon = m?.[1]?.indexOf(":") ?? -1;
  if (m && colon >= 0) found.push((m[1] as string).slice(colon + 1));
  for (const q of url.matchAll(SECRET_PARAM))
    found.push(url.slice((q.index ?? 0) + (q[1] as string).length).split(/[&#;]/)[0] as string);
  for (const s of [...found]) {
    try {
      found.push(decodeURIComponent(s));
    } catch {
      // not percent-encoded
    }
  }
  return found;
}
