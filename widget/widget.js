/* dealer-chat shopper widget.
 *
 * One <script src=".../widget.js" data-site="SITE_KEY" async> tag, one global
 * (window.DealerChat), everything rendered inside an open shadow root so the host page's
 * CSS cannot reach it. Speaks the visitor socket of docs/protocol.md. No framework, no build.
 * All shopper and operator text goes in with textContent, never innerHTML.
 */
(() => {
  'use strict';
  if (window.DealerChat) return; // idempotent: a second copy of the script does nothing

  const script = document.currentScript || document.querySelector('script[data-site][src*="widget.js"]');
  const site = script && script.getAttribute('data-site');
  if (!site) return;
  const server = new URL(script.src, location.href);
  const WS_URL = `${server.protocol === 'https:' ? 'wss:' : 'ws:'}//${server.host}/ws/visitor?site=${encodeURIComponent(site)}`;
  const K_VISITOR = `dealerchat:${site}:visitor`;
  const K_CONV = `dealerchat:${site}:conversation`;
  const K_OPEN = `dealerchat:${site}:open`;

  let ui = null; // set by build()
  let wantOpen = false;
  window.DealerChat = Object.freeze({
    open: () => setOpen(true),
    close: () => setOpen(false),
    toggle: () => setOpen(!wantOpen),
  });

  // --- storage (localStorage, falling back to memory when it throws) ---------------------------
  const memory = new Map();
  const store = {
    get(k) {
      try { const v = localStorage.getItem(k); if (v !== null) return v; } catch (_) { /* private mode */ }
      return memory.has(k) ? memory.get(k) : null;
    },
    set(k, v) {
      if (v == null) memory.delete(k); else memory.set(k, String(v));
      try { if (v == null) localStorage.removeItem(k); else localStorage.setItem(k, String(v)); } catch (_) { /* memory only */ }
    },
  };
  const session = {
    get(k) { try { return sessionStorage.getItem(k); } catch (_) { return null; } },
    set(k, v) { try { sessionStorage.setItem(k, v); } catch (_) { /* ignore */ } },
  };

  // --- state ------------------------------------------------------------------------------------
  let ws = null;
  let welcomed = false;
  let everWelcomed = false;
  let attempt = 0;
  let retryTimer = 0;
  let visitor = store.get(K_VISITOR);
  let conversation = store.get(K_CONV);
  let lastSeq = 0; // highest seq received for `conversation` on this page: 0 after a page load
  let state = null;
  let agent = null;
  let dealership = { name: '', open: true, greeting: '' };
  let unread = 0;
  let contactQueued = null;
  let contactSaved = false;
  const seen = new Set(); // "conversation:seq" of every message on screen
  const ended = new Set(); // conversations we saw closed: never adopt them again
  const pending = new Map(); // client_id -> {body, el}, in send order, until acked

  // --- vehicle on the page ------------------------------------------------------------------------
  const str = (v) => (v == null || v === '' ? undefined : String(v).trim().slice(0, 200) || undefined);
  const nameOf = (x) => (typeof x === 'string' ? x : x && typeof x === 'object' ? x.name : undefined);
  function compact(o) {
    const out = {};
    for (const [k, v] of Object.entries(o)) if (str(v) !== undefined) out[k] = str(v);
    return Object.keys(out).length ? out : null;
  }
  function findCar(node, depth = 0) {
    if (!node || typeof node !== 'object' || depth > 6) return null;
    if (Array.isArray(node)) {
      for (const n of node) { const c = findCar(n, depth + 1); if (c) return c; }
      return null;
    }
    const types = [].concat(node['@type'] || []);
    if (types.some((t) => /^(https?:\/\/schema\.org\/)?(Car|Vehicle)$/.test(String(t)))) return node;
    for (const v of Object.values(node)) { const c = findCar(v, depth + 1); if (c) return c; }
    return null;
  }
  function readVehicle() {
    try {
      const el = document.querySelector('[data-vin]') || document.querySelector('[data-make][data-model]');
      if (el) {
        const d = el.dataset;
        return compact({ vin: d.vin, year: d.year, make: d.make, model: d.model, trim: d.trim,
          price: d.price, stock: d.stock, condition: d.condition });
      }
      for (const s of document.querySelectorAll('script[type="application/ld+json"]')) {
        let car;
        try { car = findCar(JSON.parse(s.textContent)); } catch (_) { continue; }
        if (!car) continue;
        const offer = [].concat(car.offers || [])[0] || {};
        const cond = String(car.itemCondition || offer.itemCondition || '');
        return compact({
          vin: car.vehicleIdentificationNumber,
          year: str(car.vehicleModelDate || car.modelDate || car.productionDate)?.slice(0, 4),
          make: nameOf(car.brand) || nameOf(car.manufacturer),
          model: nameOf(car.model),
          trim: car.vehicleConfiguration,
          price: offer.price ?? car.price,
          stock: car.sku,
          condition: /used/i.test(cond) ? 'used' : /new/i.test(cond) ? 'new' : undefined,
        });
      }
    } catch (_) { /* a broken page must not break the chat */ }
    return null;
  }

  // --- socket -------------------------------------------------------------------------------------
  function uuid() {
    try { if (crypto.randomUUID) return crypto.randomUUID(); } catch (_) { /* insecure context */ }
    const b = new Uint8Array(16);
    try { crypto.getRandomValues(b); } catch (_) { for (let i = 0; i < 16; i++) b[i] = Math.random() * 256; }
    return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  }
  function send(frame) {
    if (!ws || ws.readyState !== 1) return false;
    ws.send(JSON.stringify(frame));
    return true;
  }
  function connect() {
    clearTimeout(retryTimer);
    let sock;
    try { sock = new WebSocket(WS_URL); } catch (_) { retry(); return; }
    ws = sock;
    welcomed = false;
    sock.onopen = () => send({
      type: 'hello', visitor, conversation, last_seq: conversation ? lastSeq : 0,
      page: { url: location.href, title: document.title, referrer: document.referrer },
      vehicle: readVehicle(),
    });
    sock.onmessage = (e) => {
      let f;
      try { f = JSON.parse(e.data); } catch (_) { return; }
      if (f && typeof f === 'object') handle(f);
    };
    sock.onclose = () => {
      if (ws !== sock) return;
      ws = null;
      welcomed = false;
      showConn();
      retry();
    };
  }
  function retry() {
    clearTimeout(retryTimer);
    const base = Math.min(10000, 500 * 2 ** attempt); // 0.5 s doubling to 10 s
    attempt += 1;
    retryTimer = setTimeout(connect, base / 2 + Math.random() * (base / 2));
  }
  function reconnectNow() {
    if (ws && ws.readyState <= 1) return;
    attempt = 0;
    connect();
  }

  function handle(f) {
    switch (f.type) {
      case 'welcome': onWelcome(f); break;
      case 'ack': onAck(f); break;
      case 'message': addMessage(f, f.conversation); break;
      case 'status': onStatus(f); break;
      case 'contact_saved': onContactSaved(); break;
      case 'typing': if (f.from !== 'visitor') showTyping(!!f.active); break;
      case 'conversation_started': adopt(f.conversation); break; // another tab of this shopper
      case 'error': onError(f); break;
      default: break;
    }
  }

  function setConversation(conv) {
    conv = conv || null;
    if (conv === conversation) return;
    conversation = conv;
    lastSeq = 0;
    store.set(K_CONV, conv);
    if (conv) { // a new chat: forget the previous one's contact thanks
      contactSaved = false;
      if (ui) ui.thanks.hidden = true;
    }
  }
  function adopt(conv) {
    if (conv && conv !== conversation && !ended.has(conv)) setConversation(conv);
  }

  function onWelcome(f) {
    welcomed = true;
    everWelcomed = true;
    attempt = 0;
    if (f.visitor) { visitor = f.visitor; store.set(K_VISITOR, visitor); }
    if (f.dealership) dealership = { ...dealership, ...f.dealership };
    setConversation(f.conversation);
    for (const m of f.messages || []) addMessage(m, f.conversation, true);
    setState(f.state ?? null, f.agent ?? null);
    showConn();
    if (ui) {
      ui.title.textContent = dealership.name || 'Chat with us';
      ui.panel.setAttribute('aria-label', `Chat with ${dealership.name || 'us'}`);
    }
    // Re-send whatever was typed while disconnected; the server dedupes by client_id.
    for (const [client_id, p] of pending) send({ type: 'message', client_id, body: p.body });
    if (contactQueued && !contactSaved) send(contactQueued);
  }

  function onAck(f) {
    adopt(f.conversation);
    const p = pending.get(f.client_id);
    const conv = f.conversation || conversation;
    if (typeof f.seq === 'number') seen.add(`${conv}:${f.seq}`);
    // lastSeq is not moved by acks: a staff message with a lower seq may still be on its way.
    if (!p) return;
    pending.delete(f.client_id);
    markSent(p.el, f.seq);
  }

  function onStatus(f) {
    const conv = f.conversation || conversation;
    if (f.state === 'closed') {
      ended.add(conv);
      if (conv !== conversation) return;
    } else {
      adopt(conv);
      if (conv !== conversation) return;
    }
    setState(f.state, f.agent ?? null);
  }

  function setState(s, a) {
    state = s || null;
    agent = a && a.name ? a : state === 'connected' ? agent : null;
    if (state === 'closed' && conversation) {
      ended.add(conversation);
      setConversation(null); // the next message starts a new conversation
      if (ui && ui.messages.lastElementChild && !ui.messages.lastElementChild.matches('.divider')) {
        const d = document.createElement('div');
        d.className = 'divider';
        d.textContent = 'Chat ended';
        ui.messages.appendChild(d);
      }
    }
    renderStatus();
  }

  function onContactSaved() {
    contactSaved = true;
    const name = contactQueued && contactQueued.name;
    contactQueued = null;
    if (!ui) return;
    ui.form.hidden = true;
    ui.thanks.textContent = name ? `Thanks, ${name}! We will be in touch.` : 'Thanks! We will be in touch.';
    ui.thanks.hidden = false;
    scrollDown(true);
  }

  function onError(f) {
    const code = f.code || 'error';
    if (code === 'unavailable') { // nothing was stored: try the queue again shortly
      setTimeout(() => {
        if (!welcomed) return;
        for (const [client_id, p] of pending) send({ type: 'message', client_id, body: p.body });
        if (contactQueued && !contactSaved) send(contactQueued);
      }, 1500);
      flash('Having trouble sending, retrying…');
      return;
    }
    if (code === 'closed') {
      contactQueued = null;
      if (conversation) { ended.add(conversation); setConversation(null); }
      if (pending.size && ws) { ws.close(); } // reconnect without the closed chat; the queue follows
      return;
    }
    if (code === 'too_long') { flash('That message is too long.'); return; }
    flash(f.message || 'Something went wrong.');
  }

  // --- UI -----------------------------------------------------------------------------------------
  const STYLES = `
:host{all:initial}
*,*::before,*::after{box-sizing:border-box}
[hidden]{display:none!important}
.root{--accent:#0b5cad;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#1b1f24}
button{font:inherit;cursor:pointer}
.launcher{position:fixed;right:20px;bottom:20px;width:60px;height:60px;border:0;border-radius:50%;background:var(--accent);color:#fff;box-shadow:0 6px 20px rgba(0,0,0,.28);display:grid;place-items:center;padding:0}
.launcher:focus-visible,.panel button:focus-visible{outline:3px solid #ffbf47;outline-offset:2px}
.launcher svg{width:28px;height:28px;fill:currentColor}
.badge{position:absolute;top:-3px;right:-3px;min-width:22px;height:22px;padding:0 6px;border-radius:11px;background:#d93025;color:#fff;font-size:12px;font-weight:700;line-height:22px;text-align:center}
.panel{position:fixed;right:20px;bottom:92px;width:370px;height:min(600px,calc(100vh - 112px));display:flex;flex-direction:column;background:#fff;border-radius:14px;box-shadow:0 12px 40px rgba(0,0,0,.3);overflow:hidden}
.head{display:flex;align-items:center;gap:8px;padding:12px 10px 12px 16px;background:var(--accent);color:#fff}
.title{flex:1;font-weight:650;font-size:16px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.x{border:0;background:transparent;color:inherit;width:40px;height:40px;border-radius:8px;font-size:24px;line-height:1}
.x:hover{background:rgba(255,255,255,.15)}
.status{padding:9px 16px;font-size:13px;background:#f1f5fb;color:#2b3440;border-bottom:1px solid #e2e7ee}
.status[data-state=lead_capture]{background:#fff6e5}
.status[data-state=closed]{background:#f3f3f3;color:#555}
.conn,.err{padding:6px 16px;font-size:12px;background:#fff3cd;color:#5c4400}
.err{background:#fdecea;color:#8a1c12}
.scroll{flex:1;overflow-y:auto;padding:14px 12px;display:flex;flex-direction:column;gap:10px;overscroll-behavior:contain}
.messages{display:flex;flex-direction:column;gap:6px}
.msg{max-width:82%;padding:8px 12px;border-radius:16px;background:#eef1f5;align-self:flex-start;white-space:pre-wrap;overflow-wrap:anywhere;border-bottom-left-radius:5px}
.msg[data-kind=visitor]{align-self:flex-end;background:var(--accent);color:#fff;border-bottom-left-radius:16px;border-bottom-right-radius:5px}
.msg[data-kind=system]{align-self:center;background:none;color:#667;font-size:12px;font-style:italic;text-align:center;max-width:95%}
.msg[data-state=pending]{opacity:.6}
.divider{align-self:stretch;text-align:center;font-size:11px;color:#8a94a3;border-top:1px solid #e2e7ee;margin:6px 0 2px;padding-top:4px}
.who{display:block;font-size:11px;font-weight:650;color:#4a5563;margin-bottom:2px}
.typing{font-size:12px;color:#667;font-style:italic;padding-left:4px}
.contact{display:grid;gap:8px;padding:12px;border:1px solid #e2e7ee;border-radius:12px;background:#f8fafc}
.contact p{margin:0;font-weight:600}
.contact label{display:grid;gap:3px;font-size:12px;color:#4a5563}
.contact label.check{display:flex;align-items:flex-start;gap:8px;font-size:12px}
.contact input,.contact select,textarea{font:inherit;font-size:16px;color:#1b1f24;background:#fff;border:1px solid #c5cdd8;border-radius:8px;padding:8px 10px;width:100%}
.contact input[type=checkbox]{width:18px;height:18px;margin:0;flex:none}
.ferr{color:#b3261e;font-size:12px}
.primary{border:0;border-radius:8px;background:var(--accent);color:#fff;font-weight:600;padding:10px 14px;min-height:44px}
.thanks{padding:12px;border-radius:12px;background:#e8f5e9;color:#1e4620}
.composer{display:flex;gap:8px;align-items:flex-end;padding:10px;border-top:1px solid #e2e7ee;background:#fff}
textarea{resize:none;min-height:42px;max-height:120px;line-height:1.35}
.send{flex:none}
.foot{font-size:10px;color:#8a94a3;text-align:center;padding:0 0 6px}
@media (max-width:479.98px){
.panel{top:0;left:0;right:0;bottom:0;width:100%;height:100%;border-radius:0}
.root.open .launcher{display:none}
}`;
  const ICON = '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2zm3 6.5a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01z"/></svg>';
  // Static markup only: no shopper, operator or server text is ever put through innerHTML.
  const HTML = `<div class="root">
<div class="panel" data-dc="panel" role="dialog" aria-label="Chat" hidden>
 <div class="head"><div class="title" data-dc="title">Chat with us</div>
  <button type="button" class="x" data-dc="close" aria-label="Close chat">×</button></div>
 <div class="status" data-dc="status" role="status"></div>
 <div class="conn" data-dc="conn" hidden>Reconnecting…</div>
 <div class="err" data-dc="error" role="alert" hidden></div>
 <div class="scroll">
  <div class="messages" data-dc="messages" role="log" aria-live="polite" aria-label="Messages"></div>
  <div class="typing" data-dc="typing" hidden></div>
  <form class="contact" data-dc="contact-form" novalidate hidden>
   <p>How can we reach you?</p>
   <label>Name<input name="name" autocomplete="name" maxlength="120"></label>
   <label>Phone<input name="phone" type="tel" autocomplete="tel" maxlength="40"></label>
   <label>Email<input name="email" type="email" autocomplete="email" maxlength="200"></label>
   <label>Best time to reach you<select name="preferred_time">
    <option value="nopreference">No preference</option><option value="morning">Morning</option>
    <option value="afternoon">Afternoon</option><option value="evening">Evening</option></select></label>
   <label class="check"><input type="checkbox" name="consent"><span>You may contact me about my inquiry by phone, text or email.</span></label>
   <div class="ferr" data-dc="contact-error" role="alert" hidden></div>
   <button type="submit" class="primary" data-dc="contact-submit" aria-label="Send my contact details">Send my details</button>
  </form>
  <div class="thanks" data-dc="contact-thanks" role="status" hidden></div>
 </div>
 <form class="composer" data-dc="composer">
  <textarea data-dc="input" rows="1" maxlength="4000" placeholder="Type a message…" aria-label="Message"></textarea>
  <button type="submit" class="primary send" data-dc="send" aria-label="Send message">Send</button>
 </form>
 <div class="foot">Chat by dealer-chat</div>
</div>
<button type="button" class="launcher" data-dc="launcher" aria-label="Open chat" aria-expanded="false">${ICON}<span class="badge" data-dc="badge" hidden></span></button>
</div>`;

  function build() {
    const host = document.createElement('dealer-chat-widget');
    host.style.cssText = 'all:initial!important;position:fixed!important;right:0!important;bottom:0!important;' +
      'width:0!important;height:0!important;z-index:2147483647!important;display:block!important;' +
      'transform:none!important;filter:none!important;contain:none!important';
    const root = host.attachShadow({ mode: 'open' });
    const style = document.createElement('style');
    style.textContent = STYLES;
    root.appendChild(style);
    const tpl = document.createElement('template');
    tpl.innerHTML = HTML;
    root.appendChild(tpl.content);
    const q = (n) => root.querySelector(`[data-dc="${n}"]`);
    ui = {
      host, root: root.querySelector('.root'), panel: q('panel'), title: q('title'), status: q('status'),
      conn: q('conn'), error: q('error'), messages: q('messages'), typing: q('typing'), form: q('contact-form'),
      formError: q('contact-error'), thanks: q('contact-thanks'), composer: q('composer'), input: q('input'),
      launcher: q('launcher'), badge: q('badge'), scroll: root.querySelector('.scroll'),
    };
    const accent = script.getAttribute('data-color');
    if (accent && CSS.supports && CSS.supports('color', accent)) ui.root.style.setProperty('--accent', accent);

    ui.launcher.addEventListener('click', () => setOpen(!wantOpen));
    q('close').addEventListener('click', () => { setOpen(false); ui.launcher.focus(); });
    ui.panel.addEventListener('keydown', (e) => { if (e.key === 'Escape') { setOpen(false); ui.launcher.focus(); } });
    ui.composer.addEventListener('submit', (e) => { e.preventDefault(); submitMessage(); });
    ui.input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); submitMessage(); }
    });
    ui.input.addEventListener('input', () => { autoGrow(); onTypingInput(); });
    ui.form.addEventListener('submit', (e) => { e.preventDefault(); submitContact(); });
    document.body.appendChild(host);
    renderStatus();
    if (session.get(K_OPEN) === '1') setOpen(true);
  }

  function setOpen(open) {
    wantOpen = !!open;
    if (!ui) return;
    session.set(K_OPEN, wantOpen ? '1' : '0');
    ui.panel.hidden = !wantOpen;
    ui.root.classList.toggle('open', wantOpen);
    ui.launcher.setAttribute('aria-expanded', String(wantOpen));
    ui.launcher.setAttribute('aria-label', wantOpen ? 'Close chat' : 'Open chat');
    if (wantOpen) {
      unread = 0;
      ui.badge.hidden = true;
      scrollDown(true);
      if (matchMedia('(pointer: fine)').matches) (ui.form.hidden ? ui.input : ui.form.elements.name).focus();
    }
  }

  function renderStatus() {
    if (!ui) return;
    const name = dealership.name || 'the dealership';
    const text = {
      ringing_store: `Ringing the sales team at ${name}…`,
      ringing_pool: 'Connecting you with our team…',
      connected: `${(agent && agent.name) || 'Someone'} joined the chat`,
      lead_capture: 'Sorry, everyone is busy right now. Leave your details and we will get back to you.',
      closed: 'This chat has ended.',
    }[state] || dealership.greeting || (everWelcomed ? 'Hi! How can we help you today?' : 'Connecting…');
    ui.status.textContent = text;
    ui.status.dataset.state = state || 'none';
    ui.form.hidden = !(state === 'lead_capture' && !contactSaved);
    if (state !== 'connected') showTyping(false);
    if (!ui.form.hidden) scrollDown(true);
  }

  function showConn() {
    if (ui) ui.conn.hidden = welcomed || !everWelcomed;
  }

  let flashTimer = 0;
  function flash(text) {
    if (!ui) return;
    ui.error.textContent = text;
    ui.error.hidden = false;
    clearTimeout(flashTimer);
    flashTimer = setTimeout(() => { ui.error.hidden = true; }, 6000);
  }

  function nearBottom() {
    const s = ui.scroll;
    return s.scrollHeight - s.scrollTop - s.clientHeight < 80;
  }
  function scrollDown(force) {
    if (!ui) return;
    if (force || nearBottom()) requestAnimationFrame(() => { ui.scroll.scrollTop = ui.scroll.scrollHeight; });
  }

  function bubble(kind, name, body, at) {
    const el = document.createElement('div');
    el.className = 'msg';
    el.dataset.dc = 'message';
    el.dataset.kind = kind;
    el.dataset.seq = '';
    if ((kind === 'staff' || kind === 'receptionist') && name) {
      const who = document.createElement('span');
      who.className = 'who';
      who.textContent = name;
      el.appendChild(who);
    }
    const b = document.createElement('span');
    b.className = 'body';
    b.textContent = body;
    el.appendChild(b);
    const t = at ? new Date(at) : new Date();
    if (!Number.isNaN(t.getTime())) el.title = t.toLocaleTimeString([], { hour: 'numeric', minute: '2-digit' });
    return el;
  }
  function markSent(el, seq) {
    el.dataset.state = 'sent';
    if (seq != null) el.dataset.seq = String(seq);
  }

  function addMessage(m, convFallback, replay) {
    if (!m || typeof m.seq !== 'number') return;
    const conv = m.conversation || convFallback || conversation;
    adopt(conv);
    const key = `${conv}:${m.seq}`;
    if (conv === conversation && m.seq > lastSeq) lastSeq = m.seq;
    if (seen.has(key)) return;
    seen.add(key);
    const author = m.author || {};
    const kind = ['visitor', 'staff', 'receptionist', 'system'].includes(author.kind) ? author.kind : 'system';
    if (kind === 'visitor') { // our own message echoed before its ack: adopt the pending bubble
      for (const [cid, p] of pending) {
        if (p.body === m.body) { pending.delete(cid); markSent(p.el, m.seq); return; }
      }
    }
    if (!ui) return;
    const el = bubble(kind, author.name, String(m.body ?? ''), m.at);
    el.dataset.seq = String(m.seq);
    const firstPending = [...pending.values()][0];
    if (firstPending && firstPending.el.isConnected) ui.messages.insertBefore(el, firstPending.el);
    else ui.messages.appendChild(el);
    if (kind === 'staff' || kind === 'receptionist') {
      showTyping(false);
      if (author.name && state === 'connected' && !agent) agent = { name: author.name };
      if (!wantOpen && !replay) { unread += 1; ui.badge.textContent = String(unread); ui.badge.hidden = false; }
    }
    scrollDown(kind === 'visitor');
  }

  function submitMessage() {
    const body = ui.input.value.trim();
    if (!body) return;
    if (body.length > 4000) { flash('That message is too long.'); return; }
    ui.input.value = '';
    autoGrow();
    stopTyping();
    const client_id = uuid();
    const el = bubble('visitor', null, body, null);
    el.dataset.state = 'pending';
    ui.messages.appendChild(el);
    pending.set(client_id, { body, el });
    if (welcomed) send({ type: 'message', client_id, body });
    else reconnectNow();
    scrollDown(true);
  }

  function submitContact() {
    const f = ui.form.elements;
    const v = (n) => f[n].value.trim();
    const phone = v('phone');
    const email = v('email');
    let problem = '';
    if (!phone && !email) problem = 'Please give a phone number or an email address.';
    else if (email && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) problem = 'Please check the email address.';
    else if (phone && !/^\D*(\d\D*){7,15}$/.test(phone)) problem = 'Please check the phone number.';
    ui.formError.textContent = problem;
    ui.formError.hidden = !problem;
    if (problem) return;
    contactQueued = {
      type: 'contact', name: v('name'), phone, email,
      preferred_time: f.preferred_time.value || 'nopreference', consent: !!f.consent.checked,
    };
    if (welcomed) send(contactQueued);
    else reconnectNow();
  }

  // --- typing ----------------------------------------------------------------------------------------
  let typingSentAt = 0;
  let typingIdle = 0;
  let typingOn = false;
  function onTypingInput() {
    if (!conversation || !welcomed || state === 'closed') return;
    const now = Date.now();
    if (now - typingSentAt >= 2000 && send({ type: 'typing', active: true })) {
      typingSentAt = now;
      typingOn = true;
    }
    clearTimeout(typingIdle);
    typingIdle = setTimeout(stopTyping, 3000);
  }
  function stopTyping() {
    clearTimeout(typingIdle);
    if (typingOn) send({ type: 'typing', active: false });
    typingOn = false;
    typingSentAt = 0;
  }
  let theirTypingTimer = 0;
  function showTyping(active) {
    if (!ui) return;
    clearTimeout(theirTypingTimer);
    ui.typing.textContent = active ? `${(agent && agent.name) || 'Someone'} is typing…` : '';
    ui.typing.hidden = !active;
    if (active) {
      theirTypingTimer = setTimeout(() => showTyping(false), 8000); // a lost active:false must not stick
      scrollDown(false);
    }
  }
  function autoGrow() {
    ui.input.style.height = 'auto';
    ui.input.style.height = `${Math.min(ui.input.scrollHeight + 2, 120)}px`;
  }

  // --- start -------------------------------------------------------------------------------------------
  function start() {
    build();
    connect();
    window.addEventListener('online', reconnectNow);
    document.addEventListener('visibilitychange', () => { if (!document.hidden) reconnectNow(); });
  }
  if (document.body) start();
  else document.addEventListener('DOMContentLoaded', start, { once: true });
})();
