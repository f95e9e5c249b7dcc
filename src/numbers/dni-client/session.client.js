// The visitor's session with Leadline: who the visitor is, which page the visit landed on, and
// the lease on a tracking number, asked for, remembered and renewed.
import { E164, parseJson, safe } from './guard.client.js';
import { getCookie, load, save, setCookie } from './storage.client.js';

var VID = '_ll_vid';
var LAND = '_ll_land';
var NUM = '_ll_num';

// Do-Not-Track, Global Privacy Control, or a site that asks for consent and has none yet: no
// visitor id is sent or stored, and the page shows the source-level number.
function isAnonymous(script) {
  var n = navigator;
  return (
    n.globalPrivacyControl === true ||
    n.doNotTrack === '1' ||
    n.doNotTrack === 'yes' ||
    window.doNotTrack === '1' ||
    (script.getAttribute('data-consent') === 'required' && window.leadlineConsent !== true)
  );
}

// The first page of a visit is what attribution needs, so later pages report it instead of
// themselves until the visitor arrives again from elsewhere or through a new campaign link.
function landing(anon) {
  var ref = document.referrer;
  var external = false;
  try {
    external = !!ref && new URL(ref).hostname !== location.hostname;
  } catch (e) {
    external = !!ref;
  }
  var saved = parseJson(load('sessionStorage', LAND) || getCookie(LAND));
  var campaignLink = /[?&](utm_|gclid=|fbclid=|msclkid=)/i.test(location.search);
  if (saved && saved.u && !external && !campaignLink) return saved;
  var now = { u: location.href.slice(0, 2000), r: external ? ref.slice(0, 1000) : '' };
  if (!anon) {
    var json = JSON.stringify(now);
    if (!save('sessionStorage', LAND, json)) setCookie(LAND, json);
  }
  return now;
}

/**
 * One page's session: `script` is the dni.js tag, `site` its site key, `api` the session
 * endpoint, `swap` the page swapper that shows whatever number the session holds.
 */
export function createSession(script, site, api, swap) {
  var anon, land, vid;
  var timer = 0;
  var hold = 1800;
  var lastPost = 0;

  function schedule() {
    clearTimeout(timer);
    if (anon) return;
    timer = setTimeout(
      safe(function () {
        // A hidden page is renewed when it becomes visible again (see visibilitychange).
        if (document.visibilityState !== 'hidden') post();
      }),
      Math.max(Math.min(hold / 2, 600), 5) * 1000,
    );
  }

  function received(res) {
    if (!res || !res.number || !E164.test(res.number.e164)) return;
    var number = {
      e164: res.number.e164,
      national: typeof res.number.national === 'string' ? res.number.national.slice(0, 40) : '',
    };
    var targets = Array.isArray(res.swapTargets) ? res.swapTargets : [];
    if (!anon) {
      if (typeof res.visitorId === 'string' && /^[\w.-]{1,128}$/.test(res.visitorId)) {
        vid = res.visitorId;
        setCookie(VID, vid, 31536000);
        save('localStorage', VID, vid);
      }
      var expires = Date.parse(res.expiresAt);
      if (vid && expires > Date.now()) {
        var c = { k: site, v: vid, e: number.e164, n: number.national, t: targets, x: expires };
        save('localStorage', NUM, JSON.stringify(c));
      }
      if (res.holdSeconds > 0) hold = res.holdSeconds;
      schedule();
    }
    swap.use(number, targets);
  }

  function body() {
    var b = { siteKey: site, landingUrl: land.u, referrer: land.r };
    if (anon) {
      b.anonymous = true;
    } else {
      if (vid) b.visitorId = vid;
      b.userAgent = navigator.userAgent;
    }
    return JSON.stringify(b);
  }

  function post() {
    lastPost = Date.now();
    schedule();
    fetch(api, {
      method: 'POST',
      mode: 'cors',
      credentials: 'omit',
      headers: { 'Content-Type': 'application/json' },
      body: body(),
    })
      .then(function (r) {
        return r.ok ? r.json() : null;
      })
      .then(safe(received), function () {
        // Offline or blocked: the page keeps whatever it shows now.
      });
  }

  /** Starts (or, after consent, restarts) the session: cached number first, then the server. */
  function start() {
    anon = isAnonymous(script);
    land = landing(anon);
    vid = anon ? null : getCookie(VID) || load('localStorage', VID);
    // A number leased on an earlier page is shown at once; the server's answer then confirms
    // or replaces it.
    var c = vid && parseJson(load('localStorage', NUM));
    if (c && c.k === site && c.v === vid && c.x > Date.now() && E164.test(c.e)) {
      swap.use({ e164: c.e, national: c.n || '' }, Array.isArray(c.t) ? c.t : []);
    }
    post();
  }

  /** The page is visible again: renew unless a renewal went out moments ago. */
  function resume() {
    if (!anon && Date.now() - lastPost > 10000) post();
  }

  /** The visitor leaves: renew the lease from now; a text/plain body needs no preflight. */
  function leave() {
    if (!anon && vid && navigator.sendBeacon) navigator.sendBeacon(api, body());
  }

  return { start: start, resume: resume, leave: leave };
}
