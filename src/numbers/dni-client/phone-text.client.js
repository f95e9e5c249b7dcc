// Finding the swap targets in a piece of text or a tel:/sms: link, and writing the tracking
// number in their place. `cfg` is { to: {e164, national}, t: [{d: digits, n: national digits or ''}] }.
import { E164 } from './guard.client.js';

// Characters that may sit between the digit groups of one phone number.
var SEPS = ' \u00a0\u202f\t\n\r.-\u2010\u2011\u2012\u2013()';
// Characters that glue digits to a word into one token ("SKU-4155550100", "ref_4155550100").
var JOINERS = '-_/';
var WORD = /\w/;

/** The swap targets the server named, in the shape findEdits() compares against. */
export function toTargets(list) {
  var out = [];
  for (var i = 0; i < list.length; i++) {
    var e = list[i];
    if (typeof e === 'string' && E164.test(e)) {
      out.push({ d: e.slice(1), n: /^\+1\d{10}$/.test(e) ? e.slice(2) : '' });
    }
  }
  return out;
}

export function isTarget(cfg, e164) {
  for (var i = 0; i < cfg.t.length; i++) if ('+' + cfg.t[i].d === e164) return true;
  return false;
}

function isDigit(c) {
  return c >= '0' && c <= '9';
}

function isSpace(c) {
  return /\s/.test(c || '');
}

function hasSpace(text, from, to) {
  return /\s/.test(text.slice(from, to));
}

// Digits right after a word, a number sign, or a joiner that follows a word belong to an id, an
// order number or a SKU, not to a phone number a person would read.
function gluedBefore(text, i) {
  var before = text[i - 1] || '';
  if (WORD.test(before) || before === '#') return true;
  return JOINERS.indexOf(before) >= 0 && WORD.test(text[i - 2] || '');
}

// Likewise for what follows the last digit: a letter, or a joiner and then a word.
function gluedAfter(text, j) {
  var after = text[j] || '';
  if (WORD.test(after)) return true;
  return JOINERS.indexOf(after) >= 0 && WORD.test(text[j + 1] || '');
}

/**
 * Finds the targets in a text and returns the characters to rewrite, keyed by position, or null.
 * Digits are rewritten one by one so the page keeps its own separators and grouping.
 */
export function findEdits(text, cfg) {
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
    if (gluedBefore(text, i)) {
      // The whole token is skipped: its later digit groups are not a phone number either.
      while (i < n && !isSpace(text[i])) i++;
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
        if (!isSpace(text[s])) marks++;
        s++;
      }
      if (s > j && marks < 3 && isDigit(text[s] || '')) j = s;
      else break;
    }
    starts[pos.length] = 1;
    if (gluedAfter(text, j)) {
      // The digits since the last space belong to that token: no target may end inside it.
      var token = 0;
      while (token < pos.length && hasSpace(text, pos[token], j)) token++;
      for (var m = token + 1; m <= pos.length; m++) starts[m] = 0;
    }
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

/** `s` with the edits findEdits() returned applied; `offset` is where `s` starts in that text. */
export function applyEdits(s, ed, offset) {
  var o = '';
  for (var p = 0; p < s.length; p++) {
    var r = ed[offset + p];
    o += r == null ? s[p] : r;
  }
  return o;
}

/** A tel: or sms: link to a target, pointed at the tracking number; any other link unchanged. */
export function rewriteLink(href, cfg) {
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
  return isTarget(cfg, e164) ? m[1] + cfg.to.e164 + m[3] : href;
}
