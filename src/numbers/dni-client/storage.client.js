// Where dni.js remembers the visitor: Web Storage, with cookies as the fallback.

// Storage access throws when the visitor blocks site data, so every use is guarded.
export function load(area, k) {
  try {
    return window[area].getItem(k);
  } catch (e) {
    return null;
  }
}

export function save(area, k, v) {
  try {
    window[area].setItem(k, v);
    return true;
  } catch (e) {
    return false;
  }
}

export function getCookie(k) {
  var m = document.cookie.match(new RegExp('(?:^|; )' + k + '=([^;]*)'));
  return m ? decodeURIComponent(m[1]) : null;
}

export function setCookie(k, v, maxAge) {
  document.cookie =
    k +
    '=' +
    encodeURIComponent(v) +
    (maxAge ? '; Max-Age=' + maxAge : '') +
    '; Path=/; SameSite=Lax' +
    (location.protocol === 'https:' ? '; Secure' : '');
}
