/*
 * Leadline dni.js: swaps the phone numbers a site prints for the visitor's tracking number.
 * Served minified by dni-script.ts. Plain ES2017 with no dependencies, because it runs on
 * customers' pages we do not control: every entry point is wrapped so nothing ever throws into
 * the page, and the only global it adds is window.Leadline.refresh().
 */
(function () {
  'use strict';

  var w = window;
  var d = document;
  var VID = '_ll_vid';
  var LAND = '_ll_land';
  var NUM = '_ll_num';
  // Text there is either not shown as text, belongs to the visitor, or the site opted out.
  var SKIP =
    'head,script,style,noscript,textarea,input,select,template,[contenteditable],[data-leadline-ignore]';
  // A number is never split across these, so text is joined only between their boundaries.
  var BLOCK =
    /^(ADDRESS|ARTICLE|ASIDE|BLOCKQUOTE|BODY|BR|CAPTION|DD|DETAILS|DIALOG|DIV|DL|DT|FIELDSET|FIGCAPTION|FIGURE|FOOTER|FORM|H[1-6]|HEADER|HR|HTML|LI|MAIN|NAV|OL|P|PRE|SECTION|SUMMARY|TABLE|TBODY|TD|TFOOT|TH|THEAD|TR|UL)$/;
  var SEPS = ' \u00a0\u202f\t\n\r.-\u2010\u2011\u2012\u2013()';
  var E164 = /^\+\d{7,15}$/;

  var me, site, api, attrs, land, vid, anon;
  var cfg = null; // { to: {e164, national}, t: [{d: digits, n: national digits or ''}] }
  var shown = []; // numbers this page has displayed: a changed assignment must replace them too
  var obs = null;
  var timer = 0;
  var hold = 1800;
  var lastPost = 0;

  function safe(fn) {
    return function (a) {
      try {
        fn(a);
      } catch (e) {
        // A broken swap must never break the host page.
      }
    };
  }

  function parse(s) {
    try {
      return s ? JSON.parse(s) : null;
    } catch (e) {
      return null;
    }
  }

  // Storage access throws when the visitor blocks site data, so every use is guarded.
  function load(area, k) {
    try {
      return w[area].getItem(k);
    } catch (e) {
      return null;
    }
  }

  function save(area, k, v) {
    try {
      w[area].setItem(k, v);
      return true;
    } catch (e) {
      return false;
    }
  }

  function getCookie(k) {
    var m = d.cookie.match(new RegExp('(?:^|; )' + k + '=([^;]*)'));
    return m ? decodeURIComponent(m[1]) : null;
  }

  function setCookie(k, v, maxAge) {
    d.cookie =
      k +
      '=' +
      encodeURIComponent(v) +
      (maxAge ? '; Max-Age=' + maxAge : '') +
      '; Path=/; SameSite=Lax' +
      (location.protocol === 'https:' ? '; Secure' : '');
  }

  function isAnonymous() {
    var n = navigator;
    return (
      n.doNotTrack === '1' ||
      n.doNotTrack === 'yes' ||
      w.doNotTrack === '1' ||
      (me.getAttribute('data-consent') === 'required' && w.leadlineConsent !== true)
    );
  }

  // The first page of a visit is what attribution needs, so later pages report it instead of
  // themselves until the visitor arrives again from elsewhere or through a new campaign link.
  function landing() {
    var ref = d.referrer;
    var external = false;
    try {
      external = !!ref && new URL(ref).hostname !== location.hostname;
    } catch (e) {
      external = !!ref;
    }
    var saved = parse(load('sessionStorage', LAND) || getCookie(LAND));
    var campaignLink = /[?&](utm_|gclid=|fbclid=|msclkid=)/i.test(location.search);
    if (saved && saved.u && !external && !campaignLink) return saved;
    var now = { u: location.href.slice(0, 2000), r: external ? ref.slice(0, 1000) : '' };
    if (!anon) {
      var json = JSON.stringify(now);
      if (!save('sessionStorage', LAND, json)) setCookie(LAND, json);
    }
    return now;
  }

  function toTargets(list) {
    var out = [];
    for (var i = 0; i < list.length; i++) {
      var e = list[i];
      if (typeof e === 'string' && E164.test(e)) {
        out.push({ d: e.slice(1), n: /^\+1\d{10}$/.test(e) ? e.slice(2) : '' });
      }
    }
    return out;
  }

  function isTarget(e164) {
    for (var i = 0; i < cfg.t.length; i++) if ('+' + cfg.t[i].d === e164) return true;
    return false;
  }

  function isDigit(c) {
    return c >= '0' && c <= '9';
  }

  // Finds the targets in a text and returns the characters to rewrite, keyed by position, or
  // null. Digits are rewritten one by one so the page keeps its own separators and grouping.
  function edits(text) {
    var out = null;
    var to = cfg.to;
    var full = to.e164.slice(1);
    var national = /^\+1\d{10}$/.test(to.e164) ? full.slice(1) : '';
    var n = text.length;
    var i = 0;
    while (i < n) {
      if (!isDigit(text[i])) {
        i++;
        continue;
      }
      var before = text[i - 1] || '';
      if (/\w/.test(before)) {
        // Digits glued to a word (an id, a SKU) are not a phone number.
        while (i < n && isDigit(text[i])) i++;
        continue;
      }
      // A run is digit groups joined by short separators; pos maps each digit to the text.
      var pos = [];
      var starts = {};
      var digits = '';
      var j = i;
      while (j < n) {
        if (isDigit(text[j])) {
          if (pos[pos.length - 1] !== j - 1) starts[pos.length] = 1;
          pos.push(j);
          digits += text[j++];
          continue;
        }
        var s = j;
        var marks = 0;
        while (s < n && s - j < 12 && SEPS.indexOf(text[s]) >= 0) {
          if (!/\s/.test(text[s])) marks++;
          s++;
        }
        if (s > j && marks < 3 && isDigit(text[s] || '')) j = s;
        else break;
      }
      starts[pos.length] = 1;
      var plus = before === '+';
      // A target must begin and end on group boundaries, so it is never found inside a
      // longer number.
      for (var k = 0; k < pos.length; k++) {
        if (!starts[k]) continue;
        var len = 0;
        var cc = false;
        for (var t = 0; t < cfg.t.length && !len; t++) {
          var tg = cfg.t[t];
          if ((tg.n || (plus && k === 0)) && digits.substr(k, tg.d.length) === tg.d) {
            if (starts[k + tg.d.length]) {
              len = tg.d.length;
              cc = true;
            }
          }
          if (!len && tg.n && digits.substr(k, 10) === tg.n && starts[k + 10]) len = 10;
        }
        if (!len) continue;
        out = out || {};
        var repl = cc ? full : national;
        if (repl.length === len) {
          for (var q = 0; q < len; q++) if (repl[q] !== digits[k + q]) out[pos[k + q]] = repl[q];
        } else {
          // The tracking number has another length or country than the printed one, so
          // digits cannot be mapped one to one: write it whole in a matching style.
          var a = pos[k];
          if (k === 0 && /[+(]/.test(text[a - 1] || '')) a--;
          out[a] = cc ? to.e164 : to.national || to.e164;
          for (q = a + 1; q <= pos[k + len - 1]; q++) out[q] = '';
        }
        k += len - 1;
      }
      i = j;
    }
    return out;
  }

  function rewrite(s, ed, offset) {
    var o = '';
    for (var p = 0; p < s.length; p++) {
      var r = ed[offset + p];
      o += r == null ? s[p] : r;
    }
    return o;
  }

  function rewriteLink(href) {
    var m = /^(\s*(?:tel|sms):)([^?;,]*)(.*)$/i.exec(href);
    if (!m) return href;
    var raw = m[2];
    try {
      raw = decodeURIComponent(raw);
    } catch (e) {
      // keep it encoded; the digits are still readable
    }
    var dg = raw.replace(/\D/g, '');
    var e164 = /^\s*\+/.test(raw)
      ? '+' + dg
      : dg.length === 10
        ? '+1' + dg
        : dg.length === 11 && dg[0] === '1'
          ? '+' + dg
          : '';
    return isTarget(e164) ? m[1] + cfg.to.e164 + m[3] : href;
  }

  function swapAttributes(el) {
    var href = el.getAttribute('href');
    if (href && /^\s*(tel|sms):/i.test(href)) {
      var h = rewriteLink(href);
      if (h !== href) el.setAttribute('href', h);
    }
    for (var i = 0; i < attrs.length; i++) {
      var v = el.getAttribute(attrs[i]);
      var ed = v && edits(v);
      if (ed) el.setAttribute(attrs[i], rewrite(v, ed, 0));
    }
  }

  // Joins the text nodes of each block so a number split across inline elements is found,
  // then writes the new digits back into the nodes that held the old ones.
  function scan(root) {
    if (!cfg || !cfg.t.length || !root || !d.documentElement.contains(root)) return;
    var up = root.parentElement;
    if (up && up.closest(SKIP)) return;
    var runs = [];
    var cur = null;
    (function visit(node) {
      if (node.nodeType === 3) {
        if (!cur) runs.push((cur = { nodes: [], text: '' }));
        cur.nodes.push(node);
        cur.text += node.nodeValue;
        return;
      }
      if (node.nodeType !== 1) return;
      if (node.matches(SKIP)) {
        cur = null;
        return;
      }
      swapAttributes(node);
      var block = BLOCK.test(node.tagName);
      if (block) cur = null;
      for (var c = node.firstChild; c; c = c.nextSibling) visit(c);
      if (block) cur = null;
    })(root);
    for (var r = 0; r < runs.length; r++) {
      var ed = edits(runs[r].text);
      if (!ed) continue;
      for (var i = 0, off = 0; i < runs[r].nodes.length; i++) {
        var node = runs[r].nodes[i];
        var v = node.nodeValue;
        var nv = rewrite(v, ed, off);
        if (nv !== v) node.nodeValue = nv;
        off += v.length;
      }
    }
  }

  function blockOf(el) {
    while (el.parentElement && !BLOCK.test(el.tagName)) el = el.parentElement;
    return el;
  }

  function observe() {
    obs.observe(d.documentElement, {
      childList: true,
      subtree: true,
      characterData: true,
      attributes: true,
      attributeFilter: ['href'].concat(attrs),
    });
  }

  // Our own writes happen while disconnected, so the observer never reacts to them; even if
  // it did, a second pass finds nothing left to change.
  function quietly(fn) {
    if (obs) {
      obs.takeRecords();
      obs.disconnect();
    }
    try {
      fn();
    } finally {
      if (obs) observe();
    }
  }

  function onMutations(records) {
    var roots = [];
    for (var i = 0; i < records.length && roots.length <= 50; i++) {
      var rec = records[i];
      var el = rec.target.nodeType === 1 ? rec.target : rec.target.parentElement;
      // Changes in the head, in skipped areas or in detached nodes can hold nothing to swap.
      if (!el || el.closest(SKIP)) continue;
      if (rec.type === 'attributes') {
        swapAttributes(el);
        continue;
      }
      var blocks = [];
      var inline = rec.type === 'characterData';
      for (var a = 0; a < rec.addedNodes.length; a++) {
        var node = rec.addedNodes[a];
        if (node.nodeType === 3) inline = true;
        else if (node.nodeType !== 1 || node.matches(SKIP)) continue;
        else if (BLOCK.test(node.tagName)) blocks.push(node);
        else inline = true;
      }
      // Inline content may complete a number with its neighbours, so its whole block is read
      // again; an added block stands alone.
      if (inline) roots.push(blockOf(el));
      else roots = roots.concat(blocks);
    }
    // Past a few dozen changed places one pass over the page is cheaper than many.
    if (roots.length > 50) roots = [d.documentElement];
    for (i = 0; i < roots.length; i++) {
      var covered = false;
      for (var o = 0; o < roots.length && !covered; o++) {
        covered = o !== i && roots[o].contains(roots[i]) && (roots[o] !== roots[i] || o < i);
      }
      if (!covered) scan(roots[i]);
    }
  }

  function use(number, targets) {
    var list = targets.slice();
    for (var i = 0; i < shown.length; i++) if (shown[i] !== number.e164) list.push(shown[i]);
    if (shown.indexOf(number.e164) < 0) shown.push(number.e164);
    var next = { to: number, t: toTargets(list) };
    if (cfg && JSON.stringify(cfg) === JSON.stringify(next)) return;
    cfg = next;
    quietly(function () {
      scan(d.documentElement);
    });
    if (!obs && w.MutationObserver) {
      obs = new MutationObserver(
        safe(function (records) {
          quietly(function () {
            onMutations(records);
          });
        }),
      );
      observe();
    }
  }

  function schedule() {
    clearTimeout(timer);
    if (anon) return;
    timer = setTimeout(
      safe(function () {
        // A hidden page is renewed when it becomes visible again (see visibilitychange).
        if (d.visibilityState !== 'hidden') post();
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
    use(number, targets);
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

  function init() {
    anon = isAnonymous();
    land = landing();
    vid = anon ? null : getCookie(VID) || load('localStorage', VID);
    // A number leased on an earlier page is shown at once; the server's answer then confirms
    // or replaces it.
    var c = vid && parse(load('localStorage', NUM));
    if (c && c.k === site && c.v === vid && c.x > Date.now() && E164.test(c.e)) {
      use({ e164: c.e, national: c.n || '' }, Array.isArray(c.t) ? c.t : []);
    }
    post();
  }

  safe(function () {
    if (w.Leadline && w.Leadline.refresh) return; // embedded twice: the first copy does the work
    me = d.currentScript;
    if (!me || !/\/dni\.js/.test(me.src || ''))
      me = d.querySelector('script[src*="/dni.js"][data-site]');
    site = me && me.getAttribute('data-site');
    if (!site || !w.fetch) return;
    var src = new URL(me.src, location.href);
    api = src.origin + src.pathname.replace(/\/dni\.js$/, '') + '/dni/v1/sessions';
    attrs = (me.getAttribute('data-leadline-attrs') || '').split(/[\s,]+/).filter(Boolean);
    w.Leadline = w.Leadline || {};
    w.Leadline.refresh = safe(init);
    d.addEventListener(
      'visibilitychange',
      safe(function () {
        if (d.visibilityState === 'visible' && !anon && Date.now() - lastPost > 10000) post();
      }),
    );
    // Renews the lease from the moment the visitor leaves; a text/plain body needs no preflight.
    w.addEventListener(
      'pagehide',
      safe(function () {
        if (!anon && vid && navigator.sendBeacon) navigator.sendBeacon(api, body());
      }),
    );
    init();
  })();
})();
