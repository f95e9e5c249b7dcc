// Small guards every part of dni.js uses: it runs on customers' pages we do not control.

/** Wraps a callback so nothing it throws ever reaches the host page. */
export function safe(fn) {
  return function (a) {
    try {
      fn(a);
    } catch (e) {
      // A broken swap must never break the host page.
    }
  };
}

/** JSON.parse that answers null for missing or broken text. */
export function parseJson(s) {
  try {
    return s ? JSON.parse(s) : null;
  } catch (e) {
    return null;
  }
}

/** A tracking number or swap target as dni.js accepts it. */
export var E164 = /^\+\d{7,15}$/;
