// Leadline marketer dashboard: sign in with an API key, then read the reports and calls APIs for
// a period. The page carries no data of its own. Everything shown is built with createElement and
// textContent, so nothing a caller, a visit's URL or an agent's note holds can run here.
(function () {
  'use strict';

  const KEY_STORAGE = 'leadline.dashboardKey';
  const MAX_DAYS = 366;
  const SVG_NS = 'http://www.w3.org/2000/svg';
  const $ = (id) => document.getElementById(id);

  let apiKey = null;
  let campaignNames = new Map();
  let period = null;
  let nextCursor = null;
  // Each reload of a panel takes a new generation; an answer for an older one is dropped.
  const generation = { all: 0, attribution: 0, calls: 0 };
  let pending = 0;

  /** A refused key: the dashboard signs out and says why. */
  class KeyRefused extends Error {
    constructor(status) {
      super(
        status === 403
          ? 'This API key may not read these reports. Ask an admin for a marketer key.'
          : 'That API key was not accepted: it may be mistyped, revoked or expired.',
      );
      this.status = status;
    }
  }

  async function api(path) {
    let res;
    try {
      res = await fetch(path, {
        headers: { Authorization: 'Bearer ' + apiKey, Accept: 'application/json' },
        cache: 'no-store',
      });
    } catch {
      throw new Error('Leadline could not be reached. Check the connection and try again.');
    }
    if (res.status === 401 || res.status === 403) throw new KeyRefused(res.status);
    const body = await res.json().catch(() => null);
    if (!res.ok) {
      const message = body && body.error && body.error.message;
      throw new Error(message ? String(message) : 'Leadline answered ' + res.status + '.');
    }
    return body;
  }

  // ---- small DOM helpers (text only) ----

  function el(tag, className, text) {
    const e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function svgEl(tag, attrs, text) {
    const e = document.createElementNS(SVG_NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = String(text);
    return e;
  }
  function cell(tr, value, className) {
    const td = el('td', className, value === null || value === undefined ? '—' : value);
    tr.append(td);
    return td;
  }
  function setText(id, value) {
    $(id).textContent = value === null || value === undefined || value === '' ? '—' : value;
  }

  // ---- formatting ----

  const integer = new Intl.NumberFormat();
  const money = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });
  const dayLabel = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });
  const dayTitle = new Intl.DateTimeFormat(undefined, {
    weekday: 'short',
    month: 'short',
    day: 'numeric',
  });
  const callTime = new Intl.DateTimeFormat(undefined, {
    month: 'short',
    day: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
  });
  const clockTime = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' });

  function clock(seconds) {
    if (seconds === null || seconds === undefined) return null;
    const s = Math.round(seconds);
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    const ss = String(s % 60).padStart(2, '0');
    return h > 0 ? h + ':' + String(m).padStart(2, '0') + ':' + ss : m + ':' + ss;
  }
  function wait(seconds) {
    if (seconds === null || seconds === undefined) return null;
    const s = Math.round(seconds);
    if (s < 60) return s + 's';
    if (s < 3600) return Math.floor(s / 60) + 'm ' + (s % 60) + 's';
    return Math.floor(s / 3600) + 'h ' + Math.floor((s % 3600) / 60) + 'm';
  }
  function rate(part, whole) {
    return whole > 0 ? Math.round((100 * part) / whole) + '% of calls' : '';
  }
  /** Only the last four digits of a caller's number are shown. */
  function maskCaller(number) {
    if (!number) return null;
    const digits = String(number).replace(/\D/g, '');
    return digits.length >= 4 ? '••• ' + digits.slice(-4) : '•••';
  }
  function campaignName(id) {
    if (!id) return '(no campaign)';
    return campaignNames.get(id) || 'Campaign ' + String(id).slice(0, 8);
  }
  function localDay(yyyyMmDd) {
    const [y, m, d] = yyyyMmDd.split('-').map(Number);
    return new Date(y, m - 1, d);
  }
  function isoDay(date) {
    return (
      date.getFullYear() +
      '-' +
      String(date.getMonth() + 1).padStart(2, '0') +
      '-' +
      String(date.getDate()).padStart(2, '0')
    );
  }

  // ---- status ----

  function busy(delta) {
    pending += delta;
    $('dashboard').setAttribute('aria-busy', pending > 0 ? 'true' : 'false');
    if (pending > 0) $('status').textContent = 'Loading…';
    else if (!$('error').hidden) $('status').textContent = '';
    else $('status').textContent = 'Updated ' + clockTime.format(new Date());
  }
  function showError(message) {
    $('error').textContent = message;
    $('error').hidden = !message;
    if (message) $('status').textContent = '';
  }
  function failed(err) {
    if (err instanceof KeyRefused) signOut(err.message);
    else showError(err.message || 'Something went wrong.');
  }

  // ---- period ----

  function presetPeriod(days) {
    const today = new Date();
    const from = new Date(today.getFullYear(), today.getMonth(), today.getDate() - (days - 1));
    $('from').value = isoDay(from);
    $('to').value = isoDay(today);
    for (const b of document.querySelectorAll('.preset')) {
      b.classList.toggle('active', Number(b.dataset.days) === days);
    }
  }
  /** Local midnight of From up to local midnight after To, or the reason the dates do not do. */
  function readPeriod() {
    const from = $('from').value;
    const to = $('to').value;
    if (!from || !to) return { problem: 'Choose a From and a To date.' };
    const since = localDay(from);
    const until = localDay(to);
    until.setDate(until.getDate() + 1);
    if (since >= until) return { problem: 'From must be on or before To.' };
    if ((until - since) / 86400000 > MAX_DAYS) {
      return { problem: 'Choose a period of at most ' + MAX_DAYS + ' days.' };
    }
    return { since: since.toISOString(), until: until.toISOString() };
  }
  function windowQuery(extra) {
    const q = new URLSearchParams(extra || {});
    q.set('since', period.since);
    q.set('until', period.until);
    return q.toString();
  }

  // ---- panels ----

  async function loadCampaigns() {
    const body = await api('/api/v1/campaigns');
    campaignNames = new Map((body.campaigns || []).map((c) => [c.id, c.name]));
  }

  function renderSummary(s) {
    const t = s.totals;
    setText('t-calls', integer.format(t.calls));
    setText('t-answered', integer.format(t.answered));
    $('t-answered-rate').textContent = rate(t.answered, t.calls);
    setText('t-qualified', integer.format(t.qualified));
    $('t-qualified-rate').textContent = rate(t.qualified, t.calls);
    setText('t-first', integer.format(t.firstTime));
    setText('t-talk', clock(t.medianTalkSeconds));
    $('incomplete').hidden = s.complete !== false;
    renderChart(s.days || []);
  }

  function niceStep(raw) {
    const power = Math.pow(10, Math.floor(Math.log10(Math.max(raw, 1))));
    for (const m of [1, 2, 5, 10]) if (m * power >= raw) return m * power;
    return 10 * power;
  }

  function renderChart(days) {
    const W = 760;
    const H = 240;
    const left = 40;
    const right = 8;
    const top = 12;
    const bottom = 28;
    const plotW = W - left - right;
    const plotH = H - top - bottom;
    const max = Math.max(0, ...days.map((d) => d.calls));
    const step = niceStep(Math.max(1, Math.ceil(max / 4)));
    const yMax = Math.max(step, Math.ceil(max / step) * step);
    const y = (v) => top + plotH - (v / yMax) * plotH;
    const total = days.reduce((n, d) => n + d.calls, 0);

    const chart = svgEl('svg', {
      viewBox: '0 0 ' + W + ' ' + H,
      role: 'img',
      class: 'chart-svg',
      'aria-label':
        'Calls per day: ' + integer.format(total) + ' calls over ' + days.length + ' days',
    });
    for (let v = 0; v <= yMax; v += step) {
      chart.append(
        svgEl('line', { x1: left, x2: W - right, y1: y(v), y2: y(v), class: 'grid' }),
        svgEl('text', { x: left - 6, y: y(v) + 4, class: 'axis', 'text-anchor': 'end' }, v),
      );
    }
    const slot = days.length ? plotW / days.length : plotW;
    const barW = Math.min(56, Math.max(2, slot * 0.72));
    const labelEvery = Math.max(1, Math.ceil(days.length / 8));
    days.forEach((d, i) => {
      const x = left + i * slot + (slot - barW) / 2;
      const g = svgEl('g', { class: 'bar', 'data-date': d.date, 'data-calls': d.calls });
      g.append(
        svgEl(
          'title',
          {},
          dayTitle.format(localDay(d.date)) +
            ': ' +
            d.calls +
            ' calls, ' +
            d.answered +
            ' answered, ' +
            d.qualified +
            ' qualified',
        ),
        svgEl('rect', { x, width: barW, y: y(d.calls), height: y(0) - y(d.calls), class: 'calls' }),
        svgEl('rect', {
          x,
          width: barW,
          y: y(d.answered),
          height: y(0) - y(d.answered),
          class: 'answered',
        }),
        svgEl('rect', {
          x: x + barW * 0.3,
          width: barW * 0.4,
          y: y(d.qualified),
          height: y(0) - y(d.qualified),
          class: 'qualified',
        }),
      );
      chart.append(g);
      if (i % labelEvery === 0) {
        chart.append(
          svgEl(
            'text',
            { x: x + barW / 2, y: H - 8, class: 'axis', 'text-anchor': 'middle' },
            dayLabel.format(localDay(d.date)),
          ),
        );
      }
    });
    $('chart').replaceChildren(chart);
    if (total === 0) $('chart').append(el('p', 'chart-empty muted', 'No calls in this period.'));
  }

  const GROUP_HEADINGS = {
    campaign: 'Campaign',
    source: 'Source',
    medium: 'Medium',
    keyword: 'Keyword',
    landingPage: 'Landing page',
    state: 'Caller’s state',
  };

  function renderAttribution(report) {
    $('group-heading').textContent = GROUP_HEADINGS[report.groupBy] || 'Group';
    const rows = report.rows || [];
    const body = $('attribution').tBodies[0];
    body.replaceChildren();
    for (const r of rows) {
      const tr = el('tr');
      const name =
        report.groupBy === 'campaign' ? campaignName(r.key) : r.key === null ? '(none)' : r.key;
      cell(tr, name, r.key === null ? 'muted' : 'key');
      cell(tr, integer.format(r.calls), 'num');
      cell(tr, integer.format(r.answered), 'num');
      cell(tr, integer.format(r.qualified), 'num');
      cell(tr, integer.format(r.firstTime), 'num');
      cell(tr, integer.format(r.wonDeals || 0), 'num');
      cell(tr, money.format(r.revenue || 0), 'num');
      body.append(tr);
    }
    $('attribution-empty').hidden = rows.length > 0;
  }

  function renderFollowUps(report) {
    const rows = report.campaigns || [];
    const sum = (k) => rows.reduce((n, r) => n + (r[k] || 0), 0);
    setText('fu-open', integer.format(sum('open')));
    setText('fu-overdue', integer.format(sum('overdue')));
    setText('fu-called', integer.format(sum('calledBack')));
    setText('fu-target', 'Target: call back within ' + report.targetMinutes + ' min');
    const body = $('follow-ups').tBodies[0];
    body.replaceChildren();
    for (const r of rows) {
      const tr = el('tr');
      cell(tr, campaignName(r.campaignId), 'key');
      cell(tr, integer.format(r.missed), 'num');
      cell(tr, integer.format(r.open), 'num');
      cell(tr, integer.format(r.overdue), r.overdue > 0 ? 'num warn' : 'num');
      cell(tr, integer.format(r.calledBack), 'num');
      cell(tr, wait(r.medianSecondsToCallback), 'num');
      cell(tr, wait(r.p90SecondsToCallback), 'num');
      body.append(tr);
    }
    $('follow-ups-empty').hidden = rows.length > 0;
  }

  const LABEL_CLASSES = ['hot', 'warm', 'cold', 'spam'];

  function renderCalls(calls, append) {
    const body = $('calls').tBodies[0];
    if (!append) body.replaceChildren();
    for (const c of calls) {
      const tr = el('tr');
      tr.dataset.callSid = c.callSid;
      cell(tr, callTime.format(new Date(c.startedAt)), 'time');
      cell(tr, maskCaller(c.from), 'caller');
      cell(tr, campaignName(c.campaignId));
      cell(tr, [c.source, c.medium].filter(Boolean).join(' / ') || null);
      cell(tr, clock(c.durationSeconds), 'num');
      const score = el('td', 'score');
      if (c.score) {
        const label = String(c.score.label);
        const pill = el('span', 'pill ' + (LABEL_CLASSES.includes(label) ? label : 'other'), label);
        score.append(pill, el('span', 'muted', ' ' + c.score.score));
        if (c.score.qualified) score.append(el('span', 'qualified-mark', ' ✓ qualified'));
      } else {
        score.append(el('span', 'muted', 'Not scored yet'));
      }
      const disposition = el('td', 'disposition', c.disposition ? null : '—');
      if (c.disposition) {
        disposition.append(el('span', 'disposition-label', c.disposition.label));
        if (c.disposition.note) {
          disposition.append(el('span', 'disposition-note muted', c.disposition.note));
        }
      }
      tr.append(score, disposition);
      body.append(tr);
    }
    $('calls-empty').hidden = body.rows.length > 0;
  }

  // ---- loading ----

  async function track(promise) {
    busy(1);
    try {
      return await promise;
    } finally {
      busy(-1);
    }
  }

  function loadAttribution() {
    const gen = ++generation.attribution;
    const groupBy = $('group-by').value;
    return track(api('/api/v1/reports/attribution?' + windowQuery({ groupBy }))).then((r) => {
      if (gen === generation.attribution) renderAttribution(r);
    });
  }

  function callsQuery(cursor) {
    const extra = { limit: '25' };
    if ($('label').value) extra.label = $('label').value;
    if ($('qualified').value) extra.qualified = $('qualified').value;
    if (cursor) extra.cursor = cursor;
    return '/api/v1/calls?' + windowQuery(extra);
  }
  function loadCalls(cursor) {
    const gen = cursor ? generation.calls : ++generation.calls;
    return track(api(callsQuery(cursor))).then((r) => {
      if (gen !== generation.calls) return;
      renderCalls(r.calls || [], Boolean(cursor));
      nextCursor = r.nextCursor;
      $('more').hidden = !nextCursor;
    });
  }

  /** Reloads every panel for the chosen period (and the campaigns' names unless just read). */
  async function refresh(campaignsRead) {
    const next = readPeriod();
    if (next.problem) return showError(next.problem);
    period = next;
    showError('');
    const gen = ++generation.all;
    const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
    try {
      if (!campaignsRead) await track(loadCampaigns());
      if (gen !== generation.all) return;
      const results = await Promise.allSettled([
        track(api('/api/v1/reports/summary?' + windowQuery({ timeZone }))).then((s) => {
          if (gen === generation.all) renderSummary(s);
        }),
        loadAttribution(),
        track(api('/api/v1/reports/follow-ups?' + windowQuery())).then((f) => {
          if (gen === generation.all) renderFollowUps(f);
        }),
        loadCalls(),
      ]);
      const refused = results.find(
        (r) => r.status === 'rejected' && r.reason instanceof KeyRefused,
      );
      const other = results.find((r) => r.status === 'rejected');
      if ((refused || other) && gen === generation.all) failed((refused || other).reason);
    } catch (err) {
      failed(err);
    }
  }

  // ---- signing in and out ----

  function showDashboard(on) {
    $('login').hidden = on;
    $('dashboard').hidden = !on;
    $('signout').hidden = !on;
  }

  async function signIn(key) {
    apiKey = key;
    $('login-error').hidden = true;
    $('login-submit').disabled = true;
    $('login-submit').textContent = 'Signing in…';
    try {
      await loadCampaigns();
      sessionStorage.setItem(KEY_STORAGE, key);
      $('key').value = '';
      showDashboard(true);
      await refresh(true);
    } catch (err) {
      if (err instanceof KeyRefused) signOut(err.message);
      else {
        $('login-error').textContent = err.message;
        $('login-error').hidden = false;
      }
    } finally {
      $('login-submit').disabled = false;
      $('login-submit').textContent = 'Sign in';
    }
  }

  /** Forgets what the last key read, so a signed-out page shows none of it. */
  function clearPanels() {
    for (const id of ['t-calls', 't-answered', 't-qualified', 't-first', 't-talk'])
      setText(id, null);
    for (const id of ['t-answered-rate', 't-qualified-rate', 'fu-target']) $(id).textContent = '';
    for (const id of ['fu-open', 'fu-overdue', 'fu-called']) setText(id, null);
    for (const id of ['attribution', 'follow-ups', 'calls']) $(id).tBodies[0].replaceChildren();
    $('chart').replaceChildren();
    $('more').hidden = true;
    $('incomplete').hidden = true;
    $('status').textContent = '';
    campaignNames = new Map();
    nextCursor = null;
  }

  function signOut(message) {
    apiKey = null;
    clearPanels();
    sessionStorage.removeItem(KEY_STORAGE);
    generation.all++;
    generation.attribution++;
    generation.calls++;
    showDashboard(false);
    showError('');
    $('login-error').textContent = message || '';
    $('login-error').hidden = !message;
  }

  $('login').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const key = $('key').value.trim();
    if (!/^\S{1,200}$/.test(key)) {
      $('login-error').textContent = 'Paste the API key (no spaces).';
      $('login-error').hidden = false;
      return;
    }
    signIn(key);
  });
  $('signout').addEventListener('click', () => signOut(''));
  $('period').addEventListener('submit', (ev) => {
    ev.preventDefault();
    for (const b of document.querySelectorAll('.preset')) b.classList.remove('active');
    refresh();
  });
  for (const b of document.querySelectorAll('.preset')) {
    b.addEventListener('click', () => {
      presetPeriod(Number(b.dataset.days));
      refresh();
    });
  }
  $('group-by').addEventListener('change', () => {
    if (period) loadAttribution().catch(failed);
  });
  for (const id of ['label', 'qualified']) {
    $(id).addEventListener('change', () => {
      if (period) loadCalls().catch(failed);
    });
  }
  $('more').addEventListener('click', () => {
    if (period && nextCursor) loadCalls(nextCursor).catch(failed);
  });

  presetPeriod(7);
  const saved = sessionStorage.getItem(KEY_STORAGE);
  if (saved) signIn(saved);
})();
