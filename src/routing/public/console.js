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
    if ($('card').dataset.callSid !== p.callSid) {
      $('disposition').value = '';
      $('note').value = '';
      $('disposition-status').textContent = '';
    }
    $('card').dataset.callSid = p.callSid;
    show($('ended'), false);
    show($('idle'), false);
    show($('card'), true);
  }

  function setLabels(e) {
    var select = $('disposition');
    var current = select.value;
    while (select.options.length > 1) select.remove(1);
    (e.labels || []).forEach(function (label) {
      var option = document.createElement('option');
      option.value = label;
      option.textContent = label;
      select.appendChild(option);
    });
    select.value = current;
  }

  function saveDisposition(ev) {
    ev.preventDefault();
    var callSid = $('card').dataset.callSid;
    if (!socket || !callSid) return;
    text('disposition-status', 'Saving…');
    socket.emit(
      'disposition',
      { callSid: callSid, disposition: $('disposition').value, note: $('note').value },
      function (r) {
        text(
          'disposition-status',
          r && r.ok ? 'Saved: ' + r.disposition.label : (r && r.error) || 'Not saved',
        );
      },
    );
  }

  function button(label, onClick) {
    var b = document.createElement('button');
    b.type = 'button';
    b.textContent = label;
    b.addEventListener('click', onClick);
    return b;
  }

  function followUpRequest(event, payload, item) {
    socket.emit(event, payload, function (r) {
      if (!r || !r.ok) item.querySelector('.fu-error').textContent = (r && r.error) || 'Not done';
    });
  }

  function renderFollowUps(e) {
    var list = $('follow-ups');
    list.replaceChildren();
    var items = e.followUps || [];
    show($('follow-ups-empty'), items.length === 0);
    items.forEach(function (f) {
      var li = document.createElement('li');
      li.dataset.callSid = f.callSid;
      var who = document.createElement('strong');
      who.textContent = (f.caller && f.caller.number) || 'Unknown caller';
      var where = document.createElement('span');
      where.className = 'muted';
      var place = [f.caller && f.caller.city, f.caller && f.caller.state]
        .filter(Boolean)
        .join(', ');
      where.textContent =
        ' · ' +
        [
          place,
          (f.campaign && f.campaign.name) || 'no campaign',
          'missed ' + new Date(f.missedAt).toLocaleTimeString(),
          f.lastCallback &&
            'last callback ' +
              f.lastCallback.result +
              ' at ' +
              new Date(f.lastCallback.at).toLocaleTimeString(),
        ]
          .filter(Boolean)
          .join(' · ');
      li.append(who, where);
      var actions = document.createElement('div');
      var payload = { callSid: f.callSid };
      if (f.state === 'open') {
        actions.append(
          button('Claim', function () {
            followUpRequest('follow-up:claim', payload, li);
          }),
        );
      } else {
        var outcome = document.createElement('input');
        outcome.placeholder = 'Outcome';
        outcome.maxLength = 100;
        actions.append(
          button(f.firstCallbackAt ? 'Call again' : 'Call back', function () {
            followUpRequest('follow-up:call', payload, li);
          }),
          outcome,
          button('Close', function () {
            followUpRequest('follow-up:close', { callSid: f.callSid, outcome: outcome.value }, li);
          }),
        );
      }
      var error = document.createElement('p');
      error.className = 'fu-error error';
      actions.append(error);
      li.append(actions);
      list.append(li);
    });
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
    socket.on('labels', setLabels);
    socket.on('follow-ups', renderFollowUps);
    socket.on('call-ended', function (e) {
      if ($('card').dataset.callSid === e.callSid) show($('ended'), true);
    });
  }

  $('login').addEventListener('submit', function (ev) {
    ev.preventDefault();
    show($('login-error'), false);
    signIn($('token').value.trim());
  });
  $('disposition-form').addEventListener('submit', saveDisposition);
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
