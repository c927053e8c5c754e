/* dealer-chat operator console: the console socket of docs/protocol.md.
 *
 * Same-origin websocket authenticated by the session cookie. Rings show as cards with a
 * countdown and a big Accept button; accepted chats open as panes, several at once on a wide
 * screen. On a phone one chat shows at a time, with a row of chips to switch between them, and
 * its context (shopper, history, notes, the dealer's facts, the contact form) opens as a sheet.
 * Every shopper- or operator-supplied string goes in with textContent.
 */
(() => {
  'use strict';
  const root = document.getElementById('console');
  if (!root) return;

  const ME = {
    id: root.dataset.operatorId || '',
    name: root.dataset.operatorName || '',
    role: root.dataset.operatorRole || '',
  };
  const MY_KIND = ME.role === 'receptionist' ? 'receptionist' : 'staff';
  const WS_URL = `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/ws/console`;
  const $ = (sel, el = document) => el.querySelector(sel);
  const el = {
    conn: $('[data-testid="connection"]'),
    presence: $('[data-testid="presence-toggle"]'),
    busy: $('[data-testid="presence-busy"]'),
    rings: $('[data-testid="rings"]'),
    ringsEmpty: $('[data-testid="rings-empty"]'),
    shiftBox: $('[data-testid="shift-end-box"]'),
    shiftEnd: $('[data-testid="shift-end"]'),
    convs: $('[data-testid="conversations"]'),
    convsEmpty: $('[data-testid="conversations-empty"]'),
    toast: $('[data-testid="toast"]'),
    ringTpl: $('#ring-template'),
    ringTaken: $('[data-testid="ring-taken"]'),
    switcher: $('[data-testid="chat-switcher"]'),
    convTpl: $('#conversation-template'),
  };

  let ws = null;
  let welcomed = false;
  let everWelcomed = false;
  let attempt = 0;
  let failuresBeforeWelcome = 0;
  let retryTimer = 0;
  let presence = 'away';
  let skew = 0; // server clock minus ours, so countdowns match the server's deadlines
  const rings = new Map(); // conversation id -> {el, expires, loud, accepting}
  const convs = new Map(); // conversation id -> pane state
  const acceptedHere = new Set(); // conversations this tab pressed Accept on
  let contactPending = null; // the pane whose contact form awaits contact_saved or bad_field
  // /console?open=<id>: where a phone's Accept lands (the ring link accepted it on the server);
  // /console?accept=<id>: a ring's plain link. The first opens that chat once the socket has
  // sent it; the second only puts that ring's Accept in front (a link never accepts by itself).
  const wanted = new URLSearchParams(location.search);
  let openWanted = wanted.get('open') || '';
  let ringWanted = wanted.get('accept') || '';
  let openTimer = 0;

  // --- socket -------------------------------------------------------------------------------------
  function uuid() {
    try { if (crypto.randomUUID) return crypto.randomUUID(); } catch (_) { /* insecure context */ }
    const b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  }
  function send(frame) {
    if (!ws || ws.readyState !== 1 || !welcomed) return false;
    ws.send(JSON.stringify(frame));
    return true;
  }
  function connect() {
    clearTimeout(retryTimer);
    let sock;
    try { sock = new WebSocket(WS_URL); } catch (_) { retry(); return; }
    ws = sock;
    welcomed = false;
    sock.onmessage = (e) => {
      let f;
      try { f = JSON.parse(e.data); } catch (_) { return; }
      if (f && typeof f === 'object') handle(f);
    };
    sock.onclose = (e) => {
      if (ws !== sock) return;
      const wasWelcomed = welcomed;
      if (!wasWelcomed) failuresBeforeWelcome += 1;
      // Signed out elsewhere (or the password changed): one retry tells whether this tab's
      // cookie still gets in; if it does not, say so at once instead of after three tries.
      if (wasWelcomed && e.code === 1008 && e.reason === 'signed out') failuresBeforeWelcome = 2;
      ws = null;
      welcomed = false;
      el.presence.disabled = true;
      el.busy.disabled = true;
      if (!wasWelcomed && e.code === 1008 && failuresBeforeWelcome >= 3) showSignedOut();
      else setConn(everWelcomed ? 'Connection lost. Reconnecting…' : 'Connecting…', 'bad');
      retry();
    };
  }
  function retry() {
    clearTimeout(retryTimer);
    const base = Math.min(10000, 500 * 2 ** attempt);
    attempt += 1;
    retryTimer = setTimeout(connect, base / 2 + Math.random() * (base / 2));
  }
  function setConn(text, kind) {
    el.conn.textContent = text;
    el.conn.dataset.state = kind;
  }
  function showSignedOut() {
    el.conn.textContent = 'Your session may have ended. ';
    const a = document.createElement('a');
    a.href = '/console/sign-in';
    a.textContent = 'Sign in again';
    el.conn.appendChild(a);
    el.conn.dataset.state = 'bad';
  }

  function handle(f) {
    switch (f.type) {
      case 'welcome': onWelcome(f); break;
      case 'presence': reach = f.reach || reach; setPresence(f.status); break;
      case 'ring': addRing(f); break;
      case 'ring_cancelled': onRingCancelled(f); break;
      case 'shopper': onShopper(f); break;
      case 'chat_ended': onChatEnded(f); break;
      case 'conversation': onConversation(f); break;
      case 'message': onMessage(f); break;
      case 'ack': onAck(f); break;
      case 'typing': onTyping(f); break;
      case 'note': onNote(f); break;
      case 'contact_saved': onContactSaved(f); break;
      case 'error': onError(f); break;
      case 'transfer_offered': onTransfer(f, true); break;
      case 'lead_assigned': leadNotice(f, `New lead for you: ${f.name || 'a shopper'} — call within 5 minutes.`); break;
      case 'lead_alert': leadNotice(f, `Lead ${f.name || ''} is untouched after ${f.minutes} minutes.`); break;
      case 'transfer_lapsed': onTransfer(f, false); break;
      default: break;
    }
  }

  function onWelcome(f) {
    welcomed = true;
    everWelcomed = true;
    attempt = 0;
    failuresBeforeWelcome = 0;
    setConn('Connected', 'ok');
    const serverNow = Date.parse(f.server_time);
    if (!Number.isNaN(serverNow)) skew = serverNow - Date.now();
    const p = f.presence;
    reach = f.reach || null;
    setPresence(p && typeof p === 'object' ? p.status : p);
    const ringIds = new Set((f.rings || []).map((r) => r.conversation));
    for (const id of [...rings.keys()]) if (!ringIds.has(id)) removeRing(id);
    for (const r of f.rings || []) addRing(r, true);
    const open = new Set();
    for (const c of f.conversations || []) { open.add(c.id); onConversation(c); }
    for (const [id, cv] of convs) {
      if (!open.has(id) && !cv.readOnly) {
        markReadOnly(cv, 'This chat ended or was handed over while you were offline.', 'closed');
      }
    }
    // Replies typed while offline, and chats asked to end: sent again, as the server may never
    // have read them (it dedupes replies by client_id; a second close is refused as "closed").
    for (const [id, cv] of convs) resendUnfinished(id, cv);
    updateEmpty();
    settleWanted();
  }

  function settleWanted() {
    if (openWanted) {
      const cv = convs.get(openWanted);
      if (cv && !cv.readOnly) showOpened(cv);
      else if (!openTimer) {
        // Its conversation frame may still be on its way; past that, say so.
        openTimer = setTimeout(() => {
          if (openWanted && !convs.has(openWanted)) toast('That chat is not open any more.');
          openWanted = '';
        }, 3000);
      }
    }
    if (ringWanted) {
      const r = rings.get(ringWanted);
      ringWanted = '';
      if (r) {
        r.el.scrollIntoView({ block: 'center' });
        $('[data-testid="accept"]', r.el).focus({ preventScroll: true });
      }
    }
  }
  function showOpened(cv) {
    openWanted = '';
    clearTimeout(openTimer);
    cv.el.classList.add('opened');
    cv.el.scrollIntoView({ block: 'start' });
    cv.reply.focus({ preventScroll: true });
  }

  // --- presence -------------------------------------------------------------------------------------
  const PRESENCE_TEXT = { available: 'Available', busy: 'Busy', away: 'Away' };
  // Whether a chat arriving now would ring this person, and why not (the server's `reach`):
  // an Available salesperson must never wait for a ring that cannot come.
  let reach = null;
  function availableText() {
    if (reach && reach.reason === 'closed_pool_only') {
      return 'The store is closed, and after hours this dealership rings only the reception pool: '
        + 'you will not be rung until it opens.';
    }
    if (reach && reach.reason === 'not_rung') return 'No chats waiting. Your role is not rung for chats.';
    let text = 'No chats waiting. You will hear a ring when one comes in.';
    if (reach && reach.until) {
      const ends = new Date(reach.until);
      if (!Number.isNaN(ends.getTime())) {
        text += ` Your shift ends at ${ends.toLocaleTimeString([], { hour: 'numeric', minute: '2-digit' })}.`;
      }
    }
    if (reach && reach.rung && reach.phones === 0 && !reach.texts) {
      text += ' If you close this tab you will not be rung: turn on Ring my phone.';
    }
    return text;
  }
  function setPresence(status) {
    presence = PRESENCE_TEXT[status] ? status : 'away';
    el.presence.textContent = PRESENCE_TEXT[presence];
    el.presence.dataset.status = presence;
    el.presence.disabled = !welcomed;
    el.busy.disabled = !welcomed;
    el.busy.setAttribute('aria-pressed', String(presence === 'busy'));
    showShiftEnd();
    el.ringsEmpty.textContent = {
      available: availableText(),
      busy: 'No chats waiting. You are Busy: you will not be rung until you are Available.',
      away: 'No chats waiting. You are Away: set yourself Available to be rung.',
    }[presence];
  }
  // The end of the shift: the next time the clock shows the chosen time (today or tomorrow),
  // sent with "available"; cleared, it is sent without one, which clears it on the server.
  function showShiftEnd() {
    el.shiftBox.hidden = presence !== 'available';
    if (document.activeElement === el.shiftEnd) return;
    const ends = reach && reach.until ? new Date(reach.until) : null;
    el.shiftEnd.value = ends && !Number.isNaN(ends.getTime())
      ? `${String(ends.getHours()).padStart(2, '0')}:${String(ends.getMinutes()).padStart(2, '0')}` : '';
  }
  el.shiftEnd.addEventListener('change', () => {
    const frame = { type: 'presence', status: 'available' };
    const m = /^(\d{2}):(\d{2})$/.exec(el.shiftEnd.value);
    if (m) {
      const ends = new Date();
      ends.setHours(Number(m[1]), Number(m[2]), 0, 0);
      if (ends <= new Date()) ends.setDate(ends.getDate() + 1);
      frame.until = ends.toISOString();
    }
    send(frame);
  });
  function choosePresence(next) {
    unlockAudio();
    askNotifications();
    if (send({ type: 'presence', status: next })) setPresence(next); // the server's reply confirms it
  }
  el.presence.addEventListener('click', () => choosePresence(presence === 'available' ? 'away' : 'available'));
  el.busy.addEventListener('click', () => choosePresence(presence === 'busy' ? 'available' : 'busy'));

  // A ring must reach someone whose tab is in the background: ask once, on a click.
  function askNotifications() {
    try {
      if ('Notification' in window && Notification.permission === 'default') {
        Notification.requestPermission().catch(() => {});
      }
    } catch (_) { /* old browsers */ }
  }
  function notifyRing(id, f) {
    if (!document.hidden) return;
    try {
      if (!('Notification' in window) || Notification.permission !== 'granted') return;
      const who = (f.visitor && f.visitor.name) || 'A shopper';
      const dealer = (f.dealership && f.dealership.name) || '';
      const n = new Notification(`New chat${dealer ? ` · ${dealer}` : ''}`, {
        body: f.first_words ? `${who}: “${f.first_words}”` : `${who} is waiting.`,
        tag: `ring-${id}`,
        requireInteraction: true,
      });
      n.onclick = () => { window.focus(); n.close(); };
      const r = rings.get(id);
      if (r) r.notification = n;
    } catch (_) { /* notifications are a nicety on top of sound and title */ }
  }

  // --- rings ------------------------------------------------------------------------------------------
  function describeVehicle(v) {
    if (!v || typeof v !== 'object') return '';
    const cond = v.condition ? String(v.condition).charAt(0).toUpperCase() + String(v.condition).slice(1) : '';
    const name = [cond, v.year, v.make, v.model, v.trim].filter(Boolean).join(' ');
    const extra = [v.stock && `stock ${v.stock}`, v.price && `$${Number(v.price).toLocaleString()}`].filter(Boolean);
    return [name, ...extra].filter(Boolean).join(' · ');
  }
  function describePage(page, vehicle) {
    const car = describeVehicle(vehicle);
    const title = page && page.title;
    return [car, title && car ? `on “${title}”` : title].filter(Boolean).join(' ');
  }

  function addRing(f, fromWelcome) {
    const id = f.conversation;
    if (id == null || convs.has(id) && !convs.get(id).readOnly) return;
    let r = rings.get(id);
    const isNew = !r;
    if (!r) {
      const node = el.ringTpl.content.firstElementChild.cloneNode(true);
      node.dataset.conversation = String(id);
      r = { el: node, accepting: false };
      $('[data-testid="accept"]', node).addEventListener('click', () => accept(id));
      $('[data-testid="decline"]', node).addEventListener('click', () => decline(id));
      rings.set(id, r);
      el.rings.appendChild(node);
    }
    const quiet = !!f.quiet;
    const wasLoud = r.loud;
    r.loud = !quiet;
    r.expires = (Date.parse(f.expires_at) || Date.now() + skew + 20000) - skew; // in our clock
    const node = r.el;
    node.dataset.quiet = String(quiet);
    node.dataset.tier = f.tier || 'store';
    node.classList.toggle('quiet', quiet);
    $('.ring-label', node).textContent = f.transfer_from
      ? `Transfer from ${f.transfer_from.name || 'a colleague'}`
      : quiet ? 'Waiting (claim)' : f.tier === 'pool' ? 'Incoming chat · pool' : 'Incoming chat';
    $('.ring-dealer', node).textContent = (f.dealership && f.dealership.name) || '';
    const words = f.first_words ? `“${f.first_words}”` : 'The shopper has not typed much yet.';
    const visitorName = f.visitor && f.visitor.name;
    $('.ring-words', node).textContent = visitorName ? `${visitorName}: ${words}` : words;
    $('.ring-page', node).textContent = describePage(f.page, f.vehicle);
    const acceptBtn = $('[data-testid="accept"]', node);
    if (!r.accepting) acceptBtn.textContent = quiet ? 'Claim' : 'Accept';
    acceptBtn.setAttribute('aria-label', `${quiet ? 'Claim' : 'Accept'} chat${visitorName ? ` from ${visitorName}` : ''}`);
    tickRings();
    updateEmpty();
    if (r.loud && (isNew || !wasLoud)) {
      if (!fromWelcome) beep();
      notifyRing(id, f);
    }
    attention();
  }

  function removeRing(id) {
    const r = rings.get(id);
    if (!r) return;
    rings.delete(id);
    r.el.remove();
    if (r.notification) { try { r.notification.close(); } catch (_) { /* gone */ } }
    updateEmpty();
    attention();
  }

  // A ring that someone else answered says who, for a moment, instead of silently vanishing.
  let takenTimer = 0;
  function onRingCancelled(f) {
    const had = rings.has(f.conversation);
    removeRing(f.conversation);
    const name = f.taken_by && f.taken_by.name;
    if (!had || f.reason !== 'taken' || !name) return;
    el.ringTaken.textContent = `Taken by ${name}.`;
    el.ringTaken.hidden = false;
    clearTimeout(takenTimer);
    takenTimer = setTimeout(() => { el.ringTaken.hidden = true; }, 5000);
  }

  function accept(id) {
    const r = rings.get(id);
    if (!r || r.accepting) return;
    unlockAudio();
    if (!send({ type: 'accept', conversation: id })) { toast('Not connected. Try again in a moment.'); return; }
    r.accepting = true;
    r.wanted = true;
    acceptedHere.add(id);
    const btn = $('[data-testid="accept"]', r.el);
    btn.disabled = true;
    btn.textContent = 'Accepting…';
    r.el.classList.add('accepting');
    setTimeout(() => resetAccept(id), 8000);
  }
  function resetAccept(id) {
    const r = rings.get(id);
    if (!r || !r.accepting) return;
    r.accepting = false;
    const btn = $('[data-testid="accept"]', r.el);
    btn.disabled = false;
    btn.textContent = r.loud ? 'Accept' : 'Claim';
    r.el.classList.remove('accepting');
  }
  function decline(id) {
    send({ type: 'decline', conversation: id });
    removeRing(id);
  }

  function tickRings() {
    const now = Date.now();
    for (const [id, r] of rings) {
      const left = Math.max(0, Math.ceil((r.expires - now) / 1000));
      const cd = $('.ring-countdown', r.el);
      cd.textContent = `${left}s`;
      r.el.classList.toggle('urgent', left <= 5);
      // The server cancels expired rings; this only cleans up if that frame was lost.
      if (now - r.expires > 15000 && !r.accepting) removeRing(id);
    }
  }
  setInterval(tickRings, 250);

  // --- sound and title --------------------------------------------------------------------------------
  let audio = null;
  function unlockAudio() {
    try {
      const AC = window.AudioContext || window.webkitAudioContext;
      if (!AC) return;
      audio = audio || new AC();
      if (audio.state === 'suspended') audio.resume().catch(() => {});
    } catch (_) { audio = null; }
  }
  document.addEventListener('pointerdown', unlockAudio, { once: true });
  document.addEventListener('keydown', unlockAudio, { once: true });
  function beep() {
    // Browsers may hold sound until the page had a click; the ring still starts, and plays
    // as soon as the context is allowed to run (the presence click unlocks it).
    if (!audio) unlockAudio();
    if (!audio) return;
    if (audio.state === 'suspended') audio.resume().catch(() => {});
    try {
      const t = audio.currentTime;
      for (const d of [0, 0.25]) {
        const o = audio.createOscillator();
        const g = audio.createGain();
        o.type = 'sine';
        o.frequency.value = d ? 1175 : 880;
        g.gain.setValueAtTime(0.0001, t + d);
        g.gain.exponentialRampToValueAtTime(0.3, t + d + 0.02);
        g.gain.exponentialRampToValueAtTime(0.0001, t + d + 0.2);
        o.connect(g).connect(audio.destination);
        o.start(t + d);
        o.stop(t + d + 0.22);
      }
    } catch (_) { /* sound is a nicety */ }
  }

  const baseTitle = document.title;
  let flashTimer = 0;
  let flashOn = false;
  let lastBeep = 0;
  let unreadHidden = 0;
  function attention() {
    const loud = [...rings.values()].filter((r) => r.loud).length;
    const want = loud > 0 || (document.hidden && unreadHidden > 0);
    if (want && !flashTimer) {
      flashTimer = setInterval(() => {
        const n = [...rings.values()].filter((r) => r.loud).length;
        flashOn = !flashOn;
        document.title = flashOn ? (n ? `🔔 ${n} new chat${n > 1 ? 's' : ''}!` : `💬 ${unreadHidden} new message${unreadHidden > 1 ? 's' : ''}`) : baseTitle;
        if (n && Date.now() - lastBeep > 2500) { lastBeep = Date.now(); beep(); } // until answered
      }, 1000);
    } else if (!want && flashTimer) {
      clearInterval(flashTimer);
      flashTimer = 0;
      flashOn = false;
      document.title = baseTitle;
    }
  }
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) { unreadHidden = 0; attention(); }
  });

  // --- conversations ----------------------------------------------------------------------------------
  const OUTCOMES = {
    up: 'Chat ended. Answered by the store (an Up).',
    pool: 'Chat ended. Handled by the receptionist pool.',
    missed: 'Chat ended. Nobody answered live; a lead was captured if the shopper left details.',
    abandoned: 'Chat ended. The shopper left before anyone answered.',
  };
  const STATES = {
    ringing_store: 'Ringing the store', ringing_pool: 'Ringing the pool', connected: 'Live',
    lead_capture: 'Taking contact details', captured: 'Details left, lead sent', closed: 'Closed',
  };

  function onConversation(c) {
    if (c.id == null) return;
    const mine = !!(c.owner && String(c.owner.id) === ME.id);
    if (c.owner && !mine) removeRing(c.id); // someone else has it
    let cv = convs.get(c.id);
    if (!cv) {
      if (!(mine && c.state === 'connected')) return;
      cv = createPane(c.id);
      removeRing(c.id);
      // The chat just accepted here is the one in front (on a phone, the only one shown). Its
      // ring card is usually gone already: ring_cancelled "accepted" comes first.
      const wantedHere = acceptedHere.delete(c.id);
      if (wantedHere || !activeId || !convs.has(activeId)) setActive(cv, wantedHere);
      if (wantedHere) setTimeout(() => cv.reply.focus({ preventScroll: true }), 0);
    } else if (mine && c.state === 'connected') {
      removeRing(c.id);
      if (cv.readOnly) reopen(cv);
    }
    fillPane(cv, c);
    for (const m of c.messages || []) addMessage(cv, m);
    if (openWanted === c.id && mine && c.state === 'connected') showOpened(cv);
    if (c.state === 'closed') {
      // Not a quiet close: a chat that ended because the shopper's grace period ran out says so.
      const text = cv.shopperAway && !cv.endedByMe
        ? 'The shopper did not come back; chat ended.'
        : OUTCOMES[c.outcome] || 'Chat ended.';
      markReadOnly(cv, text, 'closed');
    } else if (!mine) {
      markReadOnly(cv, c.owner ? `Now with ${c.owner.name || 'a colleague'}.` : 'Handed back: waiting for the store to accept.', c.state);
    }
    updateEmpty();
  }

  function createPane(id) {
    const node = el.convTpl.content.firstElementChild.cloneNode(true);
    node.dataset.conversation = String(id);
    const cv = {
      id, el: node, seen: new Set(), pending: new Map(), readOnly: false,
      transcript: $('[data-testid="transcript"]', node),
      reply: $('[data-testid="reply"]', node),
      sendBtn: $('[data-testid="send"]', node),
      closeBtn: $('[data-testid="close"]', node),
      transferBtn: $('[data-testid="transfer"]', node),
      dismissBtn: $('[data-testid="dismiss"]', node),
      typing: $('[data-testid="visitor-typing"]', node),
      outcome: $('[data-testid="outcome"]', node),
      form: $('form', node),
      confirm: $('[data-testid="end-confirm"]', node),
      away: $('[data-testid="shopper-away"]', node),
      storeClosed: $('[data-testid="store-closed"]', node),
      unread: 0, shopperAway: false, endedByMe: false, contactFrame: null, hasContact: false, proposed: null, storeShut: '',
      typingSentAt: 0, typingIdle: 0, typingOn: false, theirTyping: 0, visitorName: '',
    };
    $('form', node).addEventListener('submit', (e) => { e.preventDefault(); sendReply(cv); });
    cv.reply.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); sendReply(cv); }
    });
    cv.reply.addEventListener('input', () => onReplyInput(cv));
    cv.transferBtn.addEventListener('click', () => {
      if (send({ type: 'transfer', conversation: id, to: null })) cv.transferBtn.disabled = true;
      else toast('Not connected. Try again in a moment.');
    });
    cv.closeBtn.addEventListener('click', () => askToEnd(cv));
    $('[data-testid="end-yes"]', node).addEventListener('click', () => endChat(cv));
    $('[data-testid="end-no"]', node).addEventListener('click', () => hideEndConfirm(cv, true));
    cv.confirm.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') { e.preventDefault(); hideEndConfirm(cv, true); }
    });
    cv.dismissBtn.addEventListener('click', () => {
      convs.delete(id);
      node.remove();
      if (activeId === id) activeId = '';
      updateEmpty();
    });
    wireWorkspace(cv);
    convs.set(id, cv);
    el.convs.prepend(node);
    loadContext(cv);
    return cv;
  }

  // --- workspace: context, canned replies, notes, contact details -----------------------------------
  const DEPARTMENTS = { sales: 'Sales', service: 'Service', parts: 'Parts' };
  const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
  const DAY_NAMES = { mon: 'Mon', tue: 'Tue', wed: 'Wed', thu: 'Thu', fri: 'Fri', sat: 'Sat', sun: 'Sun' };
  const OUTCOME_WORDS = {
    up: 'answered by the store', pool: 'answered by the reception pool',
    missed: 'not answered (left details)', abandoned: 'not answered',
  };
  function li(text, testid) {
    const item = document.createElement('li');
    item.textContent = text;
    if (testid) item.dataset.testid = testid;
    return item;
  }
  function fillPlaceholders(template, cv) {
    const v = cv.vehicle || {};
    const car = ['year', 'make', 'model', 'trim'].map((k) => v[k]).filter(Boolean).join(' ') || 'the vehicle';
    const values = { dealership: cv.dealerName || '', agent: ME.name, vehicle: car };
    return template.replace(/\{(dealership|agent|vehicle)\}/g, (_m, k) => values[k]);
  }
  function wireWorkspace(cv) {
    const n = cv.el;
    cv.notes = $('[data-testid="notes"]', n);
    cv.canned = $('[data-testid="canned"]', n);
    cv.contactForm = $('[data-testid="contact-form"]', n);
    cv.canned.addEventListener('change', () => {
      const opt = cv.canned.selectedOptions[0];
      if (!opt || !opt.value) return;
      cv.reply.value = fillPlaceholders(opt.dataset.body || '', cv);
      cv.canned.value = '';
      cv.reply.focus();
    });
    $('.note-form', n).addEventListener('submit', (e) => {
      e.preventDefault();
      const input = $('[data-testid="note-input"]', n);
      const body = input.value.trim();
      if (!body) return;
      if (send({ type: 'note', conversation: cv.id, body })) input.value = '';
      else toast('Not connected. Try again in a moment.');
    });
    const submitContact = (thenClose) => {
      const f = cv.contactForm;
      const err = $('.contact-error', f);
      const data = {
        name: f.elements.name.value.trim(), phone: f.elements.phone.value.trim(),
        email: f.elements.email.value.trim(), preferred_time: f.elements.preferred_time.value,
      };
      // The server is the one judge of a phone or an address (chat_server/leads/contact.py,
      // the dealership's region): a bad one comes back as bad_field and is shown here.
      const problem = !data.phone && !data.email ? 'Give a phone number or an e-mail address.' : '';
      err.textContent = problem;
      err.hidden = !problem;
      if (problem) return;
      cv.closeAfterContact = thenClose;
      contactPending = cv;
      cv.contactFrame = { type: 'contact', conversation: cv.id, consent: false, ...data };
      if (!send(cv.contactFrame)) toast('Not connected. Try again in a moment.');
    };
    cv.contactForm.addEventListener('submit', (e) => { e.preventDefault(); submitContact(false); });
    $('[data-testid="send-lead"]', n).addEventListener('click', () => submitContact(true));
    for (const input of cv.contactForm.querySelectorAll('input')) {
      input.addEventListener('input', () => { delete input.dataset.proposed; });
    }
    n.dataset.role = ME.role;
    wireSheet(cv);
    // Receptionists answer for stores they do not work in: the store's facts and the dealer's
    // script are open at once, beside the chat on a wide screen.
    if (ME.role === 'receptionist') {
      cv.details.open = true;
      cv.el.classList.add('side-open');
    }
  }

  // --- the context as a sheet on a phone -------------------------------------------------------------
  // One <dialog> per pane: showModal() makes the rest of the page inert, puts focus inside and
  // closes on Escape; the context's content moves into it while it is open and back after.
  function wireSheet(cv) {
    const n = cv.el;
    cv.details = $('[data-testid="context"]', n);
    cv.sideGrid = $('.side-grid', cv.details);
    cv.sheet = $('[data-testid="details-sheet"]', n);
    cv.detailsBtn = $('[data-testid="details-open"]', n);
    cv.details.addEventListener('toggle', () => {
      cv.el.classList.toggle('side-open', cv.details.open);
      if (cv.details.open) loadContext(cv);
    });
    cv.detailsBtn.addEventListener('click', () => openSheet(cv));
    $('[data-testid="details-close"]', n).addEventListener('click', () => cv.sheet.close());
    cv.sheet.addEventListener('close', () => {
      cv.details.appendChild(cv.sideGrid);
      cv.detailsBtn.setAttribute('aria-expanded', 'false');
      if (cv.el.isConnected && !cv.detailsBtn.hidden) cv.detailsBtn.focus({ preventScroll: true });
    });
  }
  function openSheet(cv) {
    if (cv.sheet.open) return;
    $('.sheet-body', cv.sheet).appendChild(cv.sideGrid);
    cv.detailsBtn.setAttribute('aria-expanded', 'true');
    cv.sheet.showModal();
    $('[data-testid="details-close"]', cv.sheet).focus();
    loadContext(cv);
  }

  // --- ending a chat: asked in the page, never by window.confirm ----------------------------------------
  function askToEnd(cv) {
    if (cv.readOnly) return;
    const warning = $('[data-testid="end-warning"]', cv.confirm);
    warning.textContent = endWarning(cv);
    cv.confirm.hidden = false;
    cv.closeBtn.hidden = true;
    $('[data-testid="end-no"]', cv.confirm).focus();
  }
  function endWarning(cv) {
    if (cv.hasContact) return 'The shopper will see a closing message.';
    const p = cv.proposed;
    const typed = p && (p.phone || p.email);
    if (typed) {
      return `No contact details were saved: the ${p.phone ? 'phone number' : 'e-mail address'} the shopper typed in the chat (${p.phone ? p.phone_display || p.phone : p.email}) will go with the lead.`;
    }
    return ME.role === 'receptionist'
      ? 'You have not saved the shopper\'s contact details, and they typed none: no lead will go to the CRM.'
      : 'The shopper will see a closing message.';
  }
  function hideEndConfirm(cv, refocus) {
    const had = !cv.confirm.hidden;
    cv.confirm.hidden = true;
    if (!cv.readOnly) cv.closeBtn.hidden = false;
    if (had && refocus) cv.closeBtn.focus();
  }
  function endChat(cv) {
    if (!send({ type: 'close', conversation: cv.id })) { toast('Not connected. Try again in a moment.'); return; }
    cv.endedByMe = true;
    hideEndConfirm(cv, false);
    cv.closeBtn.disabled = true;
  }
  // What became of the chat the operator just ended, in honest words (the `chat_ended` frame).
  function onChatEnded(f) {
    const dealer = (f.dealership && f.dealership.name) || 'the dealership';
    const lead = f.lead;
    let text = 'The chat is closed.';
    if (lead && lead.delivery === 'sending') text = `Lead sent to ${dealer}'s CRM and the chat is closed.`;
    else if (lead && lead.delivery === 'logged_only') text = `The chat is closed. The lead is saved, but e-mail is not set up on this server: it was logged, not sent to ${dealer}'s CRM.`;
    else if (lead && lead.delivery === 'no_crm') text = `The chat is closed. The lead is saved in Leads; ${dealer} has no CRM address, so nothing was sent.`;
    else if (!lead && f.outcome === 'pool') text = 'The chat is closed. No lead was sent: the shopper left no phone number or e-mail address.';
    if (lead && f.used_typed_contact) text += ' It carries the contact details the shopper typed in the chat.';
    toast(text);
    if (lead && typeof lead.url === 'string' && lead.url.startsWith('/console/')) {
      const link = document.createElement('a');
      link.href = lead.url;
      link.textContent = ' Open the lead';
      link.dataset.testid = 'lead-notice-link';
      el.toast.appendChild(link);
    }
  }

  // --- the shopper left (or came back) -------------------------------------------------------------
  function onShopper(f) {
    const cv = convs.get(f.conversation);
    if (!cv || cv.readOnly) return;
    clearTimeout(cv.awayTimer);
    if (f.present) {
      cv.shopperAway = false;
      cv.away.textContent = 'The shopper is back.';
      cv.away.dataset.state = 'back';
      cv.away.hidden = false;
      cv.awayTimer = setTimeout(() => { cv.away.hidden = true; }, 4000);
    } else {
      cv.shopperAway = true;
      const until = f.until ? new Date(Date.parse(f.until) - skew) : null;
      const at = until && !Number.isNaN(until.getTime())
        ? until.toLocaleTimeString([], { hour: 'numeric', minute: '2-digit' }) : '';
      cv.away.textContent = at
        ? `The shopper left the page — the chat closes at ${at} unless they come back.`
        : 'The shopper left the page — the chat closes soon unless they come back.';
      cv.away.dataset.state = 'away';
      cv.away.hidden = false;
    }
    renderSwitcher();
  }
  async function loadContext(cv) {
    let ctx;
    try {
      const r = await fetch(`/console/api/conversations/${encodeURIComponent(cv.id)}`, { credentials: 'same-origin' });
      if (!r.ok) return;
      ctx = await r.json();
    } catch (_) { return; }
    const n = cv.el;
    const d = ctx.dealership || {};
    cv.dealerName = d.name || '';
    cv.vehicle = ctx.vehicle || null;
    const local = d.local_time ? new Date(d.local_time) : null;
    $('[data-testid="dealer-local-time"]', n).textContent = local && d.time_zone
      ? `Dealership time: ${local.toLocaleTimeString([], { timeZone: d.time_zone, hour: 'numeric', minute: '2-digit', weekday: 'short' })}`
      : '';
    const history = ctx.history || [];
    const returning = $('[data-testid="returning"]', n);
    if (history.length && ctx.visitor_id != null) {
      // The shopper's earlier chats, on the Conversations pages.
      returning.replaceChildren(link(
        `/console/conversations?shopper=${encodeURIComponent(ctx.visitor_id)}`,
        `Returning shopper: ${history.length} earlier chat${history.length > 1 ? 's' : ''}`,
        'returning-link',
      ));
    } else {
      returning.textContent = history.length
        ? `Returning shopper: ${history.length} earlier chat${history.length > 1 ? 's' : ''}.`
        : 'First chat with this shopper.';
    }
    $('[data-testid="history"]', n).replaceChildren(...history.map((h) => {
      const when = h.at ? new Date(h.at).toLocaleDateString([], { day: 'numeric', month: 'short', year: 'numeric' }) : '';
      const who = h.answered_by ? `answered by ${h.answered_by}` : (OUTCOME_WORDS[h.outcome] || 'not answered');
      const item = document.createElement('li');
      item.dataset.testid = 'history-item';
      item.append(link(`/console/conversations/${encodeURIComponent(h.id)}`, `${when} · ${who}`, 'history-link'));
      return item;
    }));
    $('.ctx-dealer-name', n).textContent = d.name || '';
    $('.ctx-address', n).textContent = d.address ? `Address: ${d.address}` : '';
    $('.ctx-phone', n).textContent = d.phone ? `Phone: ${d.phone_display || d.phone}` : '';
    const deps = Object.entries(d.departments || {}).map(([name, info]) => {
      const hours = DAYS.filter((day) => (info.hours || {})[day]).map((day) => `${DAY_NAMES[day]} ${(info.hours[day] || []).map((r) => r.join('–')).join(', ')}`).join('; ');
      const state = info.open_now ? 'open now' : `closed now${info.opens_next ? ` (${info.opens_next.text})` : ''}`;
      return li(`${DEPARTMENTS[name] || name}: ${state}${hours ? ` · ${hours}` : ''}`);
    });
    $('.ctx-departments', n).replaceChildren(...deps);
    $('[data-testid="dealer-notes"]', n).textContent = d.notes || '';
    $('[data-testid="dealer-script"]', n).hidden = !d.notes;
    // "Hand to the store" only while the conversation's department is open.
    const dept = ctx.department_hours || {};
    cv.storeShut = dept.open_now === false
      ? (dept.opens_next ? `Closed now — ${dept.opens_next.text}` : `${DEPARTMENTS[ctx.department] || 'The store'} is closed now`)
      : '';
    if (!cv.readOnly) {
      cv.transferBtn.hidden = !!cv.storeShut;
      cv.storeClosed.hidden = !cv.storeShut;
      cv.storeClosed.textContent = cv.storeShut ? `Cannot hand to the store: ${cv.storeShut}.` : '';
    }
    cv.canned.replaceChildren(cv.canned.firstElementChild, ...(ctx.canned || []).map((c) => {
      const opt = document.createElement('option');
      opt.value = String(c.id);
      opt.textContent = c.title;
      opt.dataset.body = c.body;
      return opt;
    }));
    $('.canned-label', n).hidden = !(ctx.canned || []).length;
    for (const note of ctx.notes || []) addNote(cv, note);
    const v = ctx.visitor || {};
    const f = cv.contactForm;
    cv.hasContact = cv.hasContact || !!(v.phone || v.email);
    if (v.name && !f.elements.name.value) f.elements.name.value = v.name;
    if (v.phone && !f.elements.phone.value) f.elements.phone.value = v.phone;
    if (v.email && !f.elements.email.value) f.elements.email.value = v.email;
    // What the shopper typed in the chat, proposed for the operator to check (never sent as is).
    const p = ctx.proposed_contact;
    cv.proposed = p && (p.phone || p.email) ? p : null;
    let proposedAny = false;
    for (const key of ['name', 'phone', 'email']) {
      const input = f.elements[key];
      if (cv.proposed && cv.proposed[key] && !input.value) {
        input.value = key === 'phone' ? (cv.proposed.phone_display || cv.proposed.phone) : cv.proposed[key];
        input.dataset.proposed = 'true';
      }
      if (input.dataset.proposed) proposedAny = true;
    }
    $('[data-testid="proposed-note"]', n).hidden = !proposedAny || cv.hasContact;
  }
  function link(href, text, testid) {
    const a = document.createElement('a');
    a.href = href;
    a.textContent = text;
    if (testid) a.dataset.testid = testid;
    return a;
  }
  // Refresh the context a moment after the shopper writes: their phone or address is then
  // proposed in the form without a reload.
  function contextSoon(cv) {
    if (cv.hasContact || cv.readOnly) return;
    clearTimeout(cv.contextTimer);
    cv.contextTimer = setTimeout(() => loadContext(cv), 1200);
  }
  function addNote(cv, note) {
    cv.noteIds = cv.noteIds || new Set();
    if (note.id == null || cv.noteIds.has(note.id)) return;
    cv.noteIds.add(note.id);
    const item = li(`${(note.author && note.author.name) || ''}: ${note.body}`, 'note');
    cv.notes.appendChild(item);
  }
  function onNote(f) {
    const cv = convs.get(f.conversation);
    if (cv) addNote(cv, f);
  }
  function onContactSaved(f) {
    const cv = convs.get(f.conversation);
    if (!cv) return;
    if (contactPending === cv) contactPending = null;
    cv.contactFrame = null;
    cv.hasContact = true;
    $('[data-testid="proposed-note"]', cv.el).hidden = true;
    for (const input of cv.contactForm.querySelectorAll('input')) delete input.dataset.proposed;
    if (cv.closeAfterContact && !cv.readOnly) {
      // "Save and send lead" was the confirmation: the chat_ended frame says what happened.
      cv.closeAfterContact = false;
      endChat(cv);
      return;
    }
    toast('Contact details saved.');
  }

  function fillPane(cv, c) {
    const n = cv.el;
    const v = c.visitor || {};
    cv.visitorName = v.name || cv.visitorName || '';
    cv.hasContact = cv.hasContact || !!(v.phone || v.email);
    $('.conv-visitor', n).textContent = cv.visitorName || 'Shopper';
    $('.conv-dealer', n).textContent = (c.dealership && c.dealership.name) || '';
    $('.conv-contact', n).textContent = [v.phone, v.email].filter(Boolean).join(' · ');
    cv.typing.textContent = `${cv.visitorName || 'Shopper'} is typing…`;
    const pageEl = $('.conv-page', n);
    pageEl.textContent = '';
    const car = describeVehicle(c.vehicle);
    if (car) pageEl.append(car);
    const page = c.page || {};
    let href = '';
    try { const u = new URL(page.url); if (u.protocol === 'http:' || u.protocol === 'https:') href = u.href; } catch (_) { /* no link */ }
    if (href || page.title) {
      if (car) pageEl.append(' · ');
      const a = document.createElement(href ? 'a' : 'span');
      if (href) { a.href = href; a.target = '_blank'; a.rel = 'noopener noreferrer'; }
      a.textContent = page.title || href;
      pageEl.append(a);
    }
    n.dataset.state = c.state || '';
    $('.conv-state', n).textContent = STATES[c.state] || c.state || '';
  }

  function markReadOnly(cv, text, stateName) {
    cv.readOnly = true;
    hideEndConfirm(cv, false);
    cv.away.hidden = true;
    cv.storeClosed.hidden = true;
    cv.el.dataset.state = stateName || 'closed';
    cv.el.classList.add('read-only');
    $('.conv-state', cv.el).textContent = STATES[stateName] || 'Closed';
    cv.outcome.textContent = text;
    cv.outcome.hidden = false;
    cv.reply.disabled = true;
    cv.sendBtn.disabled = true;
    cv.form.hidden = true;
    cv.closeBtn.hidden = true;
    cv.transferBtn.hidden = true;
    cv.dismissBtn.hidden = false;
    showVisitorTyping(cv, false);
    stopTyping(cv);
  }
  function reopen(cv) {
    cv.readOnly = false;
    cv.el.classList.remove('read-only');
    cv.outcome.hidden = true;
    cv.reply.disabled = false;
    cv.sendBtn.disabled = false;
    cv.form.hidden = false;
    cv.closeBtn.hidden = false;
    cv.closeBtn.disabled = false;
    cv.transferBtn.hidden = !!cv.storeShut;
    cv.transferBtn.disabled = false;
    cv.storeClosed.hidden = !cv.storeShut;
    cv.dismissBtn.hidden = true;
    cv.endedByMe = false;
  }

  // A warm transfer: the store is rung while this operator stays in the chat.
  function onTransfer(f, offered) {
    const cv = convs.get(f.conversation);
    if (!cv) return;
    cv.transferBtn.disabled = offered;
    cv.transferBtn.textContent = offered ? 'Ringing the store…' : 'Hand to the store';
    toast(offered ? 'Ringing the store. Stay with the shopper until someone accepts.'
                  : 'Nobody in the store took the chat. It is still yours.');
  }

  function bubble(kind, name, body, at) {
    const m = document.createElement('div');
    m.className = 'msg';
    m.dataset.testid = 'message';
    m.dataset.kind = kind;
    m.dataset.seq = '';
    const head = document.createElement('div');
    head.className = 'msg-head';
    const who = document.createElement('span');
    who.className = 'msg-who';
    who.textContent = name || { visitor: 'Shopper', system: 'System' }[kind] || '';
    const time = document.createElement('time');
    const t = at ? new Date(at) : new Date();
    if (!Number.isNaN(t.getTime())) {
      time.dateTime = t.toISOString();
      time.textContent = t.toLocaleTimeString([], { hour: 'numeric', minute: '2-digit' });
    }
    head.append(who, ' ', time);
    const b = document.createElement('div');
    b.className = 'msg-body';
    b.textContent = body;
    m.append(head, b);
    return m;
  }

  function addMessage(cv, m) {
    if (!m || typeof m.seq !== 'number' || cv.seen.has(m.seq)) return;
    cv.seen.add(m.seq);
    const author = m.author || {};
    const kind = ['visitor', 'staff', 'receptionist', 'system'].includes(author.kind) ? author.kind : 'system';
    if (kind !== 'visitor') { // our own reply echoed before its ack: adopt the pending bubble
      for (const [cid, p] of cv.pending) {
        if (p.body === m.body) { cv.pending.delete(cid); markSent(p.el, m.seq); return; }
      }
    }
    const node = bubble(kind, author.name, String(m.body ?? ''), m.at);
    node.dataset.seq = String(m.seq);
    if (kind !== 'visitor' && author.name === ME.name) node.classList.add('mine');
    const stick = nearBottom(cv.transcript);
    const firstPending = cv.pending.values().next().value;
    if (firstPending && firstPending.el.isConnected) cv.transcript.insertBefore(node, firstPending.el);
    else cv.transcript.appendChild(node);
    if (kind === 'visitor') {
      if (!cv.firstWords) cv.firstWords = String(m.body ?? '').slice(0, 24);
      showVisitorTyping(cv, false);
      contextSoon(cv);
      if (!isShown(cv)) { cv.unread += 1; renderSwitcher(); }
      if (document.hidden) { unreadHidden += 1; attention(); }
    }
    if (stick) scrollDown(cv.transcript);
  }
  function markSent(node, seq) {
    node.dataset.state = 'sent';
    if (seq != null) node.dataset.seq = String(seq);
  }
  function nearBottom(box) { return box.scrollHeight - box.scrollTop - box.clientHeight < 80; }
  function scrollDown(box) { requestAnimationFrame(() => { box.scrollTop = box.scrollHeight; }); }

  function onMessage(f) {
    const cv = convs.get(f.conversation);
    if (cv) addMessage(cv, f);
  }
  function onAck(f) {
    const cv = convs.get(f.conversation);
    if (!cv) return;
    if (typeof f.seq === 'number') cv.seen.add(f.seq);
    const p = cv.pending.get(f.client_id);
    if (!p) return;
    cv.pending.delete(f.client_id);
    markSent(p.el, f.seq);
  }

  function sendReply(cv) {
    if (cv.readOnly) return;
    const body = cv.reply.value.trim();
    if (!body) return;
    if (body.length > 4000) { toast('That reply is too long (4,000 characters at most).'); return; }
    cv.reply.value = '';
    stopTyping(cv);
    const client_id = uuid();
    const node = bubble(MY_KIND, ME.name, body, null);
    node.classList.add('mine');
    node.dataset.state = 'pending';
    cv.transcript.appendChild(node);
    cv.pending.set(client_id, { body, el: node });
    send({ type: 'message', conversation: cv.id, client_id, body }); // else re-sent after welcome
    scrollDown(cv.transcript);
  }

  // --- typing -------------------------------------------------------------------------------------------
  function onReplyInput(cv) {
    if (cv.readOnly) return;
    const now = Date.now();
    if (now - cv.typingSentAt >= 2000 && send({ type: 'typing', conversation: cv.id, active: true })) {
      cv.typingSentAt = now;
      cv.typingOn = true;
    }
    clearTimeout(cv.typingIdle);
    cv.typingIdle = setTimeout(() => stopTyping(cv), 3000);
  }
  function stopTyping(cv) {
    clearTimeout(cv.typingIdle);
    if (cv.typingOn) send({ type: 'typing', conversation: cv.id, active: false });
    cv.typingOn = false;
    cv.typingSentAt = 0;
  }
  function onTyping(f) {
    const cv = convs.get(f.conversation);
    if (cv && !cv.readOnly && f.from !== 'operator') showVisitorTyping(cv, !!f.active);
  }
  function showVisitorTyping(cv, on) {
    clearTimeout(cv.theirTyping);
    cv.typing.hidden = !on;
    if (on) cv.theirTyping = setTimeout(() => { cv.typing.hidden = true; }, 8000);
  }

  // --- errors and toasts --------------------------------------------------------------------------------
  const ERRORS = {
    taken: 'Someone else accepted that chat first.',
    closed: 'That chat is already closed.',
    not_allowed: 'You cannot act on that chat.',
    no_conversation: 'That chat no longer exists.',
    too_long: 'That message is too long.',
    unavailable: 'The server could not save that. Retrying…',
  };
  const CONTACT_FIELDS = {
    name: 'That name is too long.',
    phone: 'That phone number does not look right.',
    email: 'That e-mail address does not look right.',
  };
  function onError(f) {
    if (f.code === 'bad_field' && contactPending && CONTACT_FIELDS[f.field]) {
      const err = $('.contact-error', contactPending.contactForm);
      err.textContent = CONTACT_FIELDS[f.field];
      err.hidden = false;
      contactPending.closeAfterContact = false;
      contactPending.contactFrame = null;
      contactPending = null;
      return;
    }
    if (f.code === 'not_allowed' && f.conversation && convs.has(f.conversation)) {
      // A refusal about one chat says why ("Closed now — Sales opens Monday 9:00 AM").
      const cv = convs.get(f.conversation);
      cv.transferBtn.disabled = false;
      cv.transferBtn.textContent = 'Hand to the store';
      toast(f.message || ERRORS.not_allowed);
      return;
    }
    toast(ERRORS[f.code] || f.message || 'Something went wrong.');
    if (f.code === 'taken') {
      for (const [id, r] of rings) if (r.accepting) removeRing(id);
    } else {
      for (const id of rings.keys()) resetAccept(id);
    }
    if (f.code === 'unavailable') {
      setTimeout(() => { for (const [id, cv] of convs) resendUnfinished(id, cv); }, 1500);
    }
    // An ending being retried keeps its button disabled; any other refusal lets them try again.
    for (const cv of convs.values()) {
      if (!cv.readOnly) cv.closeBtn.disabled = f.code === 'unavailable' && cv.endedByMe;
    }
  }
  // What the server has not confirmed yet for an open chat: replies without an ack, contact
  // details without contact_saved (saving them twice changes nothing), and the operator's
  // "End chat" (until the chat closes, its end is wanted).
  function resendUnfinished(id, cv) {
    if (cv.readOnly) return;
    for (const [client_id, p] of cv.pending) send({ type: 'message', conversation: id, client_id, body: p.body });
    if (cv.contactFrame) send(cv.contactFrame);
    if (cv.endedByMe) send({ type: 'close', conversation: id });
  }
  let toastTimer = 0;
  function toast(text) {
    el.toast.textContent = text;
    el.toast.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { el.toast.hidden = true; }, 5000);
  }
  el.toast.addEventListener('click', () => { el.toast.hidden = true; });

  // Leads assigned to this operator, or left untouched (managers): a toast that links to it.
  function leadNotice(f, text) {
    toast(text);
    if (typeof f.url === 'string' && f.url.startsWith('/console/')) {
      const link = document.createElement('a');
      link.href = f.url;
      link.textContent = ' Open the lead';
      link.dataset.testid = 'lead-notice-link';
      el.toast.appendChild(link);
    }
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { el.toast.hidden = true; }, 15000);
  }

  function updateEmpty() {
    el.ringsEmpty.hidden = rings.size > 0;
    el.convsEmpty.hidden = convs.size > 0;
    // On a phone the waiting-chats section steps aside while chats are open and none rings.
    root.dataset.rings = String(rings.size);
    root.dataset.chats = String(convs.size);
    if ((!activeId || !convs.has(activeId)) && convs.size) setActive(convs.values().next().value, false);
    renderSwitcher();
  }

  // --- one chat at a time on a phone: the switcher ---------------------------------------------------
  const phone = window.matchMedia('(max-width: 640px)');
  let activeId = '';
  function isShown(cv) { return !phone.matches || cv.id === activeId; }
  function setActive(cv, reveal) {
    activeId = cv.id;
    cv.unread = 0;
    for (const other of convs.values()) other.el.classList.toggle('active', other === cv);
    cv.el.classList.add('active');
    renderSwitcher();
    // On a phone the chat starts at the top of the screen, not under the console's header.
    if (reveal && phone.matches) cv.el.scrollIntoView({ block: 'start' });
  }
  function renderSwitcher() {
    const list = [...convs.values()]; // oldest first, as they were accepted
    el.switcher.hidden = list.length < 2;
    const chips = list.map((cv) => {
      const chip = document.createElement('button');
      chip.type = 'button';
      chip.className = 'chip';
      chip.dataset.testid = 'chat-chip';
      chip.dataset.conversation = String(cv.id);
      chip.setAttribute('aria-pressed', String(cv.id === activeId));
      const name = document.createElement('span');
      name.className = 'chip-name';
      // Unnamed shoppers are told apart by their first words.
      name.textContent = cv.visitorName || (cv.firstWords ? `“${cv.firstWords}”` : 'Shopper');
      chip.append(name);
      const flag = cv.readOnly ? 'ended' : cv.shopperAway ? 'left' : '';
      if (flag) {
        const tag = document.createElement('span');
        tag.className = 'chip-flag';
        tag.textContent = flag;
        chip.append(tag);
      }
      if (cv.unread > 0) {
        const badge = document.createElement('span');
        badge.className = 'chip-unread';
        badge.dataset.testid = 'chip-unread';
        badge.textContent = String(cv.unread);
        badge.setAttribute('aria-label', `${cv.unread} new message${cv.unread > 1 ? 's' : ''}`);
        chip.append(badge);
      }
      chip.addEventListener('click', () => { setActive(cv, false); cv.reply.focus({ preventScroll: true }); });
      return chip;
    });
    el.switcher.replaceChildren(...chips);
  }
  phone.addEventListener('change', () => { for (const cv of convs.values()) if (cv.sheet.open && !phone.matches) cv.sheet.close(); });

  updateEmpty();
  connect();
  window.addEventListener('online', () => { if (!ws) { attempt = 0; connect(); } });
})();
