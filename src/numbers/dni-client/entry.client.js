/*
 * Leadline dni.js: swaps the phone numbers a site prints for the visitor's tracking number.
 * Bundled into one classic ES2017 script by dni-script.ts. It has no dependencies because it runs
 * on customers' pages we do not control: every entry point is wrapped so nothing ever throws into
 * the page, and the only global it adds is window.Leadline.refresh().
 */
import { safe } from './guard.client.js';
import { createPageSwap } from './page-swap.client.js';
import { createSession } from './session.client.js';

safe(function () {
  var w = window;
  var d = document;
  if (w.Leadline && w.Leadline.refresh) return; // embedded twice: the first copy does the work
  var me = d.currentScript;
  if (!me || !/\/dni\.js/.test(me.src || ''))
    me = d.querySelector('script[src*="/dni.js"][data-site]');
  var site = me && me.getAttribute('data-site');
  if (!site || !w.fetch) return;
  var src = new URL(me.src, location.href);
  var api = src.origin + src.pathname.replace(/\/dni\.js$/, '') + '/dni/v1/sessions';
  var attrs = (me.getAttribute('data-leadline-attrs') || '').split(/[\s,]+/).filter(Boolean);
  var session = createSession(me, site, api, createPageSwap(attrs));
  w.Leadline = w.Leadline || {};
  w.Leadline.refresh = safe(session.start);
  d.addEventListener(
    'visibilitychange',
    safe(function () {
      if (d.visibilityState === 'visible') session.resume();
    }),
  );
  w.addEventListener('pagehide', safe(session.leave));
  session.start();
})();
