/* global io */
// Leadline agent console: sign in with the console token, set available/away, show the caller.
// Everything shown goes through textContent, so nothing a caller or a page sends can run here.
(function () {
  'use strict';
  var $ = function (id) {
    return document.getElementById(id);
  };
  var socket = null;
  var status = sessionStorage.getItem('leadline.status') || 'away';

  function show(el, visible) {
    el.hidden = !visible;
  }
  function text(id, value) {
    $(id).textContent = value == null || value === '' ? '—' : String(value);
  }
  function setConnection(label) {
    $('connection').textContent = label;
  }

  function setStatus(next) {
    status = next;
    sessionStorage.setItem('leadline.status', next);
    $('available').classList.toggle('active', next === 'available');
    $('away').classList.toggle('active', next === 'away');
    if (socket && socket.connected) socket.emit('status', next, function () {});
  }

  function renderPop(p) {
    var caller = p.caller || {};
    text('caller', caller.name ? caller.name + ' · ' + caller.number : caller.number);
    text('where', [caller.city, caller.state].filter(Boolean).join(', '));
    text('campaign', p.campaign && p.campaign.name);
    var visit = p.visit || {};
    text('landing', visit.landingUrl);
    text(
      'source',
      [visit.utmSource, visit.utmMedium, visit.utmCampaign].filter(Boolean).join(' / '),
    );
    text('keyword', visit.keyword);
    text('history', p.firstTime ? 'First-time caller' : (p.previousCalls || 0) + ' previous calls');
    $('card').dataset.callSid = p.callSid;
    show($('ended'), false);
    show($('idle'), false);
    show($('card'), true);
  }

  function signIn(token) {
    if (socket) socket.disconnect();
    // socket.io reconnects by itself; each (re)connect tells the server the chosen status again.
    socket = io('/agents', { auth: { token: token } });
    socket.on('connect', function () {
      setConnection('connected');
      sessionStorage.setItem('leadline.token', token);
      show($('login'), false);
      show($('console'), true);
      setStatus(status);
    });
    socket.on('disconnect', function () {
      setConnection('reconnecting…');
    });
    socket.on('connect_error', function (err) {
      if (/unauthorized/.test(err.message)) {
        socket.disconnect();
        sessionStorage.removeItem('leadline.token');
        setConnection('signed out');
        text('login-error', 'That token is not valid (it may have been rotated).');
        show($('login-error'), true);
        show($('login'), true);
        show($('console'), false);
      } else {
        setConnection('reconnecting…');
      }
    });
    socket.on('screen-pop', renderPop);
    socket.on('call-ended', function (e) {
      if ($('card').dataset.callSid === e.callSid) show($('ended'), true);
    });
  }

  $('login').addEventListener('submit', function (ev) {
    ev.preventDefault();
    show($('login-error'), false);
    signIn($('token').value.trim());
  });
  $('available').addEventListener('click', function () {
    setStatus('available');
  });
  $('away').addEventListener('click', function () {
    setStatus('away');
  });
  $('signout').addEventListener('click', function () {
    sessionStorage.removeItem('leadline.token');
    if (socket) socket.disconnect();
    socket = null;
    setConnection('signed out');
    show($('console'), false);
    show($('login'), true);
  });

  var saved = sessionStorage.getItem('leadline.token');
  if (saved) signIn(saved);
})();
