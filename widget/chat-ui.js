/* dealer-chat chat UI, loaded by the loader (widget/loader.js) on first open.
 *
 * It draws the panel into the loader's shadow root and speaks the visitor socket of
 * docs/protocol.md. No framework, no build. All shopper, operator and server text goes in with
 * textContent, never innerHTML. The host page may have replaced JSON, Array.prototype.map or
 * Promise: JSON comes from a pristine realm (a hidden about:blank frame), and this file uses
 * no Promise, no map/filter/forEach.
 */
(() => {
  'use strict';
  const boot = document.currentScript && document.currentScript.dcBoot;
  if (!boot || boot.started) return;
  boot.started = true;
  const { site, store, key: K, root } = boot;

  // --- a pristine realm for JSON ------------------------------------------------------------------
  let JSONp = window.JSON;
  try {
    const frame = document.createElement('iframe');
    frame.hidden = true;
    frame.tabIndex = -1;
    frame.title = 'dealer-chat';
    frame.setAttribute('aria-hidden', 'true');
    root.appendChild(frame);
    if (frame.contentWindow && frame.contentWindow.JSON) JSONp = frame.contentWindow.JSON;
  } catch (_) { /* keep the page's */ }
  const toJSON = (v) => JSONp.stringify(v);
  const fromJSON = (s) => JSONp.parse(s);

  // --- words ---------------------------------------------------------------------------------------
  const WORDS = {
    en: {
      title: 'Chat with us', close: 'Close chat', messages: 'Messages', input: 'Message',
      placeholder: 'Type a message…', send: 'Send', sendLabel: 'Send message', connecting: 'Connecting…',
      reconnecting: 'Reconnecting… anything you type is sent once we are back.',
      hello: 'Hi! How can we help you today?',
      ringingStore: (n) => `Ringing the sales team at ${n}…`, ringingPool: 'Connecting you with our team…',
      joined: (n) => `${n} joined the chat`, someone: 'Someone',
      leadCapture: 'Sorry, everyone is busy right now. Leave your details and we will get back to you.',
      closed: 'This chat has ended.', ended: 'Chat ended', store: 'the dealership',
      helpNow: 'Someone on our team can still help you now.', waiting: 'waiting',
      offer: 'In case we get cut off, leave a phone number or e-mail.', offerButton: 'Leave my details',
      formTitle: 'How can we reach you?', name: 'Name', phone: 'Phone', email: 'Email',
      time: 'Best time to reach you', times: ['No preference', 'Morning', 'Afternoon', 'Evening'],
      consent: 'You may contact me about my inquiry by phone, text or email.',
      submit: 'Send my details',
      needContact: 'Please give a phone number or an email address.', badEmail: 'Please check the email address.',
      badPhone: 'Please check the phone number.',
      thanks: (n) => (n ? `Thanks, ${n}! We will be in touch.` : 'Thanks! We will be in touch.'),
      thanksWaiting: (n) => `Thanks${n ? `, ${n}` : ''}! If we get cut off, we will reach you.`,
      // After the ladder's own capture: in plain words, what happens next.
      thanksSent: (n, store) => `Thanks${n ? `, ${n}` : ''}! Your details are with ${store}.`,
      nextOpen: (how, when) => `Someone will ${how} you${when ? ` ${when}` : ' soon'}.`,
      nextLater: (opens, how) => `${opens} Someone will ${how} you then.`,
      how: { call: 'call', email: 'e-mail' },
      when: { morning: 'in the morning', afternoon: 'in the afternoon', evening: 'in the evening' },
      keepWriting: 'Anything you add here goes with your request.',
      captured: 'We have your details. You can keep writing here.',
      newChat: 'Start a new chat', newPlaceholder: 'Type to start a new chat…',
      typing: (n) => `${n} is typing…`, tooLong: 'That message is too long.',
      retrying: 'Having trouble sending, retrying…', error: 'Something went wrong.',
      newMessage: 'New message', sending: 'Sending…',
    },
    es: {
      title: 'Chatea con nosotros', close: 'Cerrar chat', messages: 'Mensajes', input: 'Mensaje',
      placeholder: 'Escribe un mensaje…', send: 'Enviar', sendLabel: 'Enviar mensaje', connecting: 'Conectando…',
      reconnecting: 'Reconectando… lo que escribas se enviará al volver la conexión.',
      hello: '¡Hola! ¿En qué podemos ayudarte?',
      ringingStore: (n) => `Llamando al equipo de ventas de ${n}…`, ringingPool: 'Conectándote con nuestro equipo…',
      joined: (n) => `${n} se unió al chat`, someone: 'Alguien',
      leadCapture: 'Lo sentimos, todos están ocupados. Déjanos tus datos y te contactaremos.',
      closed: 'Este chat ha terminado.', ended: 'Chat terminado', store: 'el concesionario',
      helpNow: 'Alguien de nuestro equipo puede ayudarte ahora.', waiting: 'esperando',
      offer: 'Por si se corta, déjanos un teléfono o correo.', offerButton: 'Dejar mis datos',
      formTitle: '¿Cómo podemos contactarte?', name: 'Nombre', phone: 'Teléfono', email: 'Correo electrónico',
      time: 'Mejor hora para contactarte', times: ['Sin preferencia', 'Mañana', 'Tarde', 'Noche'],
      consent: 'Pueden contactarme sobre mi consulta por teléfono, mensaje de texto o correo.',
      submit: 'Enviar mis datos',
      needContact: 'Indica un teléfono o un correo electrónico.', badEmail: 'Revisa el correo electrónico.',
      badPhone: 'Revisa el número de teléfono.',
      thanks: (n) => (n ? `¡Gracias, ${n}! Te contactaremos.` : '¡Gracias! Te contactaremos.'),
      thanksWaiting: (n) => `¡Gracias${n ? `, ${n}` : ''}! Si se corta, te contactaremos.`,
      thanksSent: (n, store) => `¡Gracias${n ? `, ${n}` : ''}! ${store} ya tiene tus datos.`,
      nextOpen: (how, when) => `Alguien te ${how}${when ? ` ${when}` : ' pronto'}.`,
      nextLater: (opens, how) => `${opens} Alguien te ${how} entonces.`,
      how: { call: 'llamará', email: 'escribirá' },
      when: { morning: 'por la mañana', afternoon: 'por la tarde', evening: 'por la noche' },
      keepWriting: 'Lo que añadas aquí se suma a tu solicitud.',
      captured: 'Ya tenemos tus datos. Puedes seguir escribiendo aquí.',
      newChat: 'Empezar un chat nuevo', newPlaceholder: 'Escribe para empezar un chat nuevo…',
      typing: (n) => `${n} está escribiendo…`, tooLong: 'Ese mensaje es demasiado largo.',
      retrying: 'Problemas al enviar, reintentando…', error: 'Algo salió mal.',
      newMessage: 'Nuevo mensaje', sending: 'Enviando…',
    },
  };
  let lang = WORDS[boot.theme.language] ? boot.theme.language : 'en';
  const w = () => WORDS[lang];

  const WS_URL = `${boot.origin.replace(/^http/, 'ws')}/ws/visitor?site=${encodeURIComponent(site)}`;
  const K_VISITOR = `${K}visitor`;
  const K_CONV = `${K}conversation`;
  const K_PENDING = `${K}pending`;
  const K_SAVED = `${K}saved`; // the conversation the shopper left their details in

  // --- state ---------------------------------------------------------------------------------------
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
  let joinedFor = null; // the conversation agent_joined was last emitted for
  let dealership = { name: '', open: true, greeting: '', opens_next: null };
  let skew = 0; // server clock minus ours, in ms
  let waitSince = 0; // server time (ms) the shopper started waiting
  let unread = 0;
  let contactQueued = null;
  let contactSaved = false;
  let offerTaken = false;
  let wantOpen = false;
  let context = null;
  let identity = null;
  const seen = new Set(); // "conversation:seq" of every message on screen
  const ended = new Set(); // conversations we saw closed: never adopt them again
  const pending = new Map(); // client_id -> {body, el}, in send order, until acked

  // --- vehicle on the page -------------------------------------------------------------------------
  const str = (v) => (v == null || v === '' ? undefined : String(v).trim().slice(0, 200) || undefined);
  const nameOf = (x) => (typeof x === 'string' ? x : x && typeof x === 'object' ? x.name : undefined);
  function compact(o) {
    const out = {};
    let n = 0;
    for (const [k, v] of Object.entries(o)) if (str(v) !== undefined) { out[k] = str(v); n += 1; }
    return n ? out : null;
  }
  function findCar(node, depth = 0) {
    if (!node || typeof node !== 'object' || depth > 6) return null;
    if (Array.isArray(node)) {
      for (const n of node) { const c = findCar(n, depth + 1); if (c) return c; }
      return null;
    }
    const types = [].concat(node['@type'] || []);
    for (const t of types) if (/^(https?:\/\/schema\.org\/)?(Car|Vehicle|MotorVehicle)$/.test(String(t))) return node;
    for (const v of Object.values(node)) { const c = findCar(v, depth + 1); if (c) return c; }
    return null;
  }
  function readVehicle() {
    if (context) return context; // DealerChat.setContext wins over what the page says
    try {
      const el = document.querySelector('[data-vin]') || document.querySelector('[data-make][data-model]');
      if (el) {
        const d = el.dataset;
        return compact({ vin: d.vin, year: d.year, make: d.make, model: d.model, trim: d.trim,
          price: d.price, stock: d.stock, condition: d.condition });
      }
      for (const s of document.querySelectorAll('script[type="application/ld+json"]')) {
        let car;
        try { car = findCar(fromJSON(s.textContent)); } catch (_) { continue; }
        if (!car) continue;
        const offer = [].concat(car.offers || [])[0] || {};
        const cond = String(car.itemCondition || offer.itemCondition || '');
        const year = str(car.vehicleModelDate || car.modelDate || car.productionDate);
        return compact({
          vin: car.vehicleIdentificationNumber,
          year: year && year.slice(0, 4),
          make: nameOf(car.brand) || nameOf(car.manufacturer),
          model: nameOf(car.model),
          trim: car.vehicleConfiguration,
          price: offer.price != null ? offer.price : car.price,
          stock: car.sku,
          condition: /used/i.test(cond) ? 'used' : /new/i.test(cond) ? 'new' : undefined,
        });
      }
    } catch (_) { /* a broken page must not break the chat */ }
    return null;
  }

  // --- socket ----------------------------------------------------------------------------------------
  function uuid() {
    const b = new Uint8Array(16);
    try { crypto.getRandomValues(b); } catch (_) { for (let i = 0; i < 16; i++) b[i] = Math.random() * 256; }
    let s = '';
    for (const x of b) s += (x < 16 ? '0' : '') + x.toString(16);
    return s;
  }
  function send(frame) {
    if (!ws || ws.readyState !== 1) return false;
    try { ws.send(toJSON(frame)); } catch (_) { return false; }
    return true;
  }
  function connect() {
    clearTimeout(retryTimer);
    let sock;
    try { sock = new window.WebSocket(WS_URL); } catch (_) { retry(); return; }
    ws = sock;
    welcomed = false;
    sock.onopen = () => send({
      type: 'hello', visitor, conversation, last_seq: conversation ? lastSeq : 0,
      page: { url: location.href, title: document.title, referrer: document.referrer },
      vehicle: readVehicle(),
    });
    sock.onmessage = (e) => {
      let f;
      try { f = fromJSON(e.data); } catch (_) { return; }
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
    const base = Math.min(10000, 500 * 2 ** attempt); // 0.5 s doubling to 10 s, with jitter
    attempt += 1;
    retryTimer = setTimeout(connect, base / 2 + Math.random() * (base / 2));
  }
  function reconnectNow() {
    if (ws && ws.readyState <= 1) return;
    attempt = 0;
    connect();
  }
  function dropSocket() { // the network went away: stop trusting the socket, queue instead
    if (!ws) return;
    const sock = ws;
    ws = null;
    welcomed = false;
    try { sock.close(); } catch (_) { /* already gone */ }
    showConn();
    retry();
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
    if (conv) { // a new chat: forget the previous one's contact thanks and offer
      contactSaved = store.get(K_SAVED) === conv; // a reload of a chat with details: no ask
      offerTaken = false;
      waitSince = 0;
      ui.thanks.hidden = true;
    }
  }
  function adopt(conv) {
    if (conv && conv !== conversation && !ended.has(conv)) setConversation(conv);
  }

  function onWelcome(f) {
    welcomed = true;
    everWelcomed = true;
    attempt = 0;
    const at = Date.parse(f.server_time);
    if (!Number.isNaN(at)) skew = at - Date.now();
    if (f.visitor) { visitor = f.visitor; store.set(K_VISITOR, visitor); }
    if (f.dealership) {
      dealership = { ...dealership, ...f.dealership };
      if (f.dealership.theme) boot.saveTheme(f.dealership.theme);
    }
    setConversation(f.conversation);
    for (const m of f.messages || []) addMessage(m, f.conversation, true);
    setState(f.state == null ? null : f.state, f.agent == null ? null : f.agent);
    showConn();
    ui.title.textContent = dealership.name || w().title;
    // Re-send whatever was typed while disconnected; the server dedupes by client_id.
    for (const [client_id, p] of pending) send({ type: 'message', client_id, body: p.body });
    if (contactQueued && !contactSaved) send(contactQueued);
    if (identity) send({ type: 'context', visitor: identity });
  }

  function onAck(f) {
    adopt(f.conversation);
    const p = pending.get(f.client_id);
    const conv = f.conversation || conversation;
    if (typeof f.seq === 'number') seen.add(`${conv}:${f.seq}`);
    // lastSeq is not moved by acks: a staff message with a lower seq may still be on its way.
    if (p) delivered(f.client_id, p, f.seq, conv);
  }

  // Stored by the server: told by the ack or, when it overtakes the ack, by the message's echo.
  function delivered(client_id, p, seq, conv) {
    pending.delete(client_id);
    savePending();
    markSent(p.el, seq);
    boot.emit('message_sent', { conversation: conv, seq });
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
    setState(f.state, f.agent == null ? null : f.agent);
  }

  function setState(s, a) {
    const before = state;
    state = s || null;
    if (state === 'captured') contactSaved = true; // details in: never ask again in this chat
    agent = a && a.name ? a : state === 'connected' ? agent : null;
    const ringing = state === 'ringing_store' || state === 'ringing_pool';
    if (ringing && before === 'captured') waitSince = Date.now() + skew; // rung again: a new wait
    if (ringing && !waitSince) waitSince = firstMessageAt() || Date.now() + skew;
    if (state === 'connected' && conversation && joinedFor !== conversation) {
      joinedFor = conversation;
      if (before !== null) boot.emit('agent_joined', { conversation, name: agent ? agent.name : '' });
    }
    if (state === 'closed' && conversation) {
      ended.add(conversation);
      setConversation(null); // the next message starts a new conversation
      const last = ui.messages.lastElementChild;
      if (last && !last.matches('.divider')) {
        const d = document.createElement('div');
        d.className = 'divider';
        d.textContent = w().ended;
        ui.messages.appendChild(d);
      }
    }
    renderStatus();
  }

  function firstMessageAt() {
    const first = ui.messages.querySelector('[data-dc=message][data-at]');
    const t = first ? Number(first.dataset.at) : 0;
    return t || 0;
  }

  function onContactSaved() {
    contactSaved = true;
    if (conversation) store.set(K_SAVED, conversation);
    const sent = contactQueued || {};
    contactQueued = null;
    ui.form.hidden = true;
    const waiting = state === 'ringing_store' || state === 'ringing_pool';
    ui.thanks.textContent = waiting ? w().thanksWaiting(sent.name) : nextSteps(sent);
    ui.messages.appendChild(ui.thanks); // in the log, in order: what the shopper adds comes after
    ui.thanks.hidden = false;
    renderStatus();
    scrollDown(true);
    boot.emit('contact_submitted', { conversation });
  }

  // "Thanks, Dana! Your details are with Demo Motors. Someone will call you in the evening.
  // Anything you add here goes with your request." Closed now: when it opens, then.
  function nextSteps(sent) {
    const t = w();
    const how = sent.phone ? t.how.call : t.how.email;
    const opens = dealership.opens_next && dealership.opens_next.text;
    const next = !dealership.open && opens
      ? t.nextLater(`${opens}.`, how) : t.nextOpen(how, t.when[sent.preferred_time]);
    return `${t.thanksSent(sent.name, dealership.name || t.store)} ${next} ${t.keepWriting}`;
  }

  let rateTimer = 0;
  function onError(f) {
    const code = f.code || 'error';
    if (code === 'rate_limited') { // not stored: send the queue again once the wait is over
      const wait = Math.min(3600, Math.max(1, Number(f.retry_after) || 5));
      clearTimeout(rateTimer); // one resend for however many refusals
      rateTimer = setTimeout(() => {
        if (!welcomed) return;
        for (const [client_id, p] of pending) send({ type: 'message', client_id, body: p.body });
      }, wait * 1000 + Math.random() * 1000);
      flash(w().retrying);
      return;
    }
    if (code === 'unavailable') { // nothing was stored: try the queue again shortly
      setTimeout(() => {
        if (!welcomed) return;
        for (const [client_id, p] of pending) send({ type: 'message', client_id, body: p.body });
        if (contactQueued && !contactSaved) send(contactQueued);
      }, 1500);
      flash(w().retrying);
      return;
    }
    if (code === 'closed') {
      contactQueued = null;
      if (conversation) { ended.add(conversation); setConversation(null); }
      if (pending.size && ws) ws.close(); // reconnect without the closed chat; the queue follows
      return;
    }
    if (code === 'too_long') { flash(w().tooLong); return; }
    if (code === 'bad_field' && contactQueued) { ui.formError.textContent = f.message || w().error; ui.formError.hidden = false; return; }
    flash(f.message || w().error);
  }

  // --- UI --------------------------------------------------------------------------------------------
  const STYLES = `
*,*::before,*::after{box-sizing:border-box}
[hidden]{display:none!important}
.root{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#1b1f24}
button{font:inherit;cursor:pointer}
.panel{position:fixed;right:20px;bottom:92px;width:370px;height:min(600px,calc(100vh - 112px));display:flex;flex-direction:column;background:#fff;border-radius:14px;box-shadow:0 12px 40px rgba(0,0,0,.3);overflow:hidden;text-align:left;letter-spacing:normal;text-transform:none}
.left .panel{right:auto;left:20px}
.panel button:focus-visible,.panel input:focus-visible,.panel select:focus-visible,.panel textarea:focus-visible{outline:3px solid #ffbf47;outline-offset:1px}
.head{display:flex;align-items:center;gap:8px;padding:12px 10px 12px 16px;background:var(--dc-accent);color:#fff}
.logo{width:32px;height:32px;border-radius:50%;object-fit:cover;background:#fff;flex:none}
.title{flex:1;font-weight:650;font-size:16px;margin:0;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.x{border:0;background:transparent;color:inherit;width:44px;height:44px;border-radius:8px;font-size:24px;line-height:1}
.x:hover{background:rgba(255,255,255,.15)}
.status{padding:9px 16px;font-size:13px;background:#f1f5fb;color:#2b3440;border-bottom:1px solid #e2e7ee}
.status[data-state=lead_capture]{background:#fff6e5}
.status[data-state=captured]{background:#e8f5e9}
.status[data-state=closed]{background:#f3f3f3;color:#444}
.wait{font-variant-numeric:tabular-nums;color:#3d4754}
.note{margin:4px 0 0;font-size:12px;color:#3d4754}
.offer{display:flex;flex-wrap:wrap;align-items:center;gap:6px 10px;margin-top:6px;font-size:12px}
.link{border:1px solid var(--dc-accent);background:#fff;color:var(--dc-accent);border-radius:8px;padding:6px 10px;min-height:32px;font-weight:600}
[data-dc=ended] .link{min-height:44px;padding:8px 14px}
.conn,.err{padding:6px 16px;font-size:12px;background:#fff3cd;color:#5c4400}
.err{background:#fdecea;color:#8a1c12}
.scroll{flex:1;overflow-y:auto;padding:14px 12px;display:flex;flex-direction:column;gap:10px;overscroll-behavior:contain}
.messages{display:flex;flex-direction:column;gap:6px}
.msg{max-width:82%;padding:8px 12px;border-radius:16px;background:#eef1f5;align-self:flex-start;white-space:pre-wrap;overflow-wrap:anywhere;border-bottom-left-radius:5px}
.msg[data-kind=visitor]{align-self:flex-end;background:var(--dc-accent);color:#fff;border-bottom-left-radius:16px;border-bottom-right-radius:5px}
.msg[data-kind=system]{align-self:center;background:#f1f5fb;color:#2b3440;font-size:13px;text-align:center;max-width:95%;border:1px solid #d5dce6;border-radius:10px}
.msg[data-state=pending]{outline:2px dashed var(--dc-accent);outline-offset:2px}
.divider{align-self:stretch;text-align:center;font-size:11px;color:#555f6d;border-top:1px solid #e2e7ee;margin:6px 0 2px;padding-top:4px}
.who{display:block;font-size:11px;font-weight:650;color:#3d4754;margin-bottom:2px}
.typing{font-size:12px;color:#555f6d;font-style:italic;padding-left:4px}
.contact{display:grid;gap:6px;padding:10px 12px;border:1px solid #e2e7ee;border-radius:12px;background:#f8fafc;scroll-margin-top:8px}
.contact h3{margin:0;font-size:14px;font-weight:600}
.contact label{display:grid;gap:3px;font-size:12px;color:#3d4754}
.contact label.check{display:flex;align-items:flex-start;gap:8px}
.contact input,.contact select,textarea{font:inherit;font-size:16px;color:#1b1f24;background:#fff;border:1px solid #767f8a;border-radius:8px;padding:7px 10px;width:100%;margin:0}
.contact input[type=checkbox]{width:18px;height:18px;margin:0;flex:none}
.hp{position:absolute;left:-9999px;width:1px;height:1px;overflow:hidden}
.ferr{color:#b3261e;font-size:12px}
.primary{border:0;border-radius:8px;background:var(--dc-accent);color:#fff;font-weight:600;padding:10px 14px;min-height:44px}
.thanks{padding:10px 12px;border-radius:12px;background:#e8f5e9;color:#1e4620}
.composer{display:flex;gap:8px;align-items:flex-end;padding:10px 10px max(10px,env(safe-area-inset-bottom));border-top:1px solid #e2e7ee;background:#fff;margin:0}
textarea{resize:none;min-height:44px;max-height:120px;line-height:1.35}
.send{flex:none}
.foot{font-size:11px;color:#555f6d;text-align:center;padding:0 0 6px;margin:0}
@media (max-width:479.98px){
.panel,.left .panel{top:0;left:0;right:0;bottom:0;width:100%;height:100%;border-radius:0}
.head{padding-top:max(12px,env(safe-area-inset-top))}
.root.open .launcher{display:none}
}`;

  // Static markup only: no shopper, operator or server text is ever put through innerHTML.
  // data-t / data-t-label / data-t-ph name the words, so a language change re-labels in place.
  const HTML = `<div class="panel" data-dc="panel" role="dialog" aria-modal="false" aria-labelledby="dc-title" hidden>
 <div class="head"><img class="logo" data-dc="logo" alt="" hidden><h2 class="title" id="dc-title" data-dc="title"></h2>
  <button type="button" class="x" data-dc="close" data-t-label="close">×</button></div>
 <div class="status" data-dc="status"><span data-dc="status-text" role="status"></span><span class="wait" data-dc="wait" aria-hidden="true"></span>
  <p class="note" data-dc="hours-note" hidden></p>
  <div class="offer" data-dc="offer" hidden><span data-t="offer"></span><button type="button" class="link" data-dc="offer-contact" data-t="offerButton"></button></div>
  <div class="offer" data-dc="ended" hidden><button type="button" class="link" data-dc="new-chat" data-t="newChat"></button></div></div>
 <div class="conn" data-dc="conn" role="status" hidden></div>
 <div class="err" data-dc="error" role="alert" hidden></div>
 <div class="scroll">
  <div class="messages" data-dc="messages" role="log" aria-live="polite" data-t-label="messages"></div>
  <div class="typing" data-dc="typing" hidden></div>
  <form class="contact" data-dc="contact-form" novalidate hidden>
   <h3 data-dc="contact-title" data-t="formTitle"></h3>
   <label><span data-t="name"></span><input name="name" autocomplete="name" maxlength="120"></label>
   <label><span data-t="phone"></span><input name="phone" type="tel" autocomplete="tel" maxlength="40"></label>
   <label><span data-t="email"></span><input name="email" type="email" autocomplete="email" maxlength="200"></label>
   <label><span data-t="time"></span><select name="preferred_time">
    <option value="nopreference"></option><option value="morning"></option><option value="afternoon"></option><option value="evening"></option></select></label>
   <label class="check"><input type="checkbox" name="consent"><span data-t="consent"></span></label>
   <div class="hp" aria-hidden="true"><input name="website" tabindex="-1" autocomplete="off" aria-label="Leave empty"></div>
   <div class="ferr" data-dc="contact-error" role="alert" hidden></div>
   <button type="submit" class="primary" data-dc="contact-submit" data-t="submit"></button>
  </form>
  <div class="thanks" data-dc="contact-thanks" role="status" hidden></div>
 </div>
 <form class="composer" data-dc="composer">
  <textarea data-dc="input" rows="1" maxlength="4000" data-t-ph="placeholder" data-t-label="input"></textarea>
  <button type="submit" class="primary send" data-dc="send" data-t="send" data-t-label="sendLabel"></button>
 </form>
 <p class="foot">Chat by dealer-chat</p>
</div>`;

  const q = (n) => root.querySelector(`[data-dc="${n}"]`);
  const ui = (() => {
    boot.css(STYLES);
    const tpl = document.createElement('template');
    tpl.innerHTML = HTML;
    const box = root.querySelector('.root');
    box.appendChild(tpl.content); // after the launcher: Tab from the launcher enters the panel
    return {
      box, panel: q('panel'), title: q('title'), logo: q('logo'), status: q('status'), statusText: q('status-text'),
      wait: q('wait'), note: q('hours-note'), offer: q('offer'), ended: q('ended'), conn: q('conn'), error: q('error'),
      messages: q('messages'), typing: q('typing'), form: q('contact-form'), formTitle: q('contact-title'),
      formError: q('contact-error'), thanks: q('contact-thanks'), composer: q('composer'), input: q('input'),
      launcher: boot.launcher, badge: boot.badge, scroll: root.querySelector('.scroll'),
    };
  })();

  function translate() {
    const t = w();
    for (const el of root.querySelectorAll('[data-t]')) el.textContent = t[el.dataset.t];
    for (const el of root.querySelectorAll('[data-t-label]')) el.setAttribute('aria-label', t[el.dataset.tLabel]);
    for (const el of root.querySelectorAll('[data-t-ph]')) el.setAttribute('placeholder', t[el.dataset.tPh]);
    const options = ui.form.elements.preferred_time.options;
    for (let i = 0; i < options.length; i++) options[i].textContent = t.times[i];
    ui.panel.setAttribute('lang', lang);
    if (!dealership.name) ui.title.textContent = t.title;
    showConn();
    renderStatus();
  }

  function applyTheme(theme) {
    const next = WORDS[theme.language] ? theme.language : 'en';
    const changed = next !== lang;
    lang = next;
    const logo = theme.logo_url;
    if (logo && /^https:\/\//.test(logo)) {
      if (ui.logo.getAttribute('src') !== logo) ui.logo.src = logo;
      ui.logo.hidden = false;
    } else ui.logo.hidden = true;
    if (changed) translate();
  }
  ui.logo.addEventListener('error', () => { ui.logo.hidden = true; });

  q('close').addEventListener('click', () => { setOpen(false); ui.launcher.focus(); });
  ui.panel.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') { e.stopPropagation(); setOpen(false); ui.launcher.focus(); }
  });
  ui.composer.addEventListener('submit', (e) => { e.preventDefault(); submitMessage(); });
  ui.input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); submitMessage(); }
  });
  ui.input.addEventListener('input', () => { autoGrow(); onTypingInput(); });
  ui.form.addEventListener('submit', (e) => { e.preventDefault(); submitContact(); });
  q('offer-contact').addEventListener('click', () => {
    offerTaken = true;
    renderStatus();
    focusForm(true);
  });
  q('new-chat').addEventListener('click', () => { // the next message starts it
    ui.messages.textContent = '';
    ui.thanks.hidden = true;
    setState(null, null);
    ui.input.focus();
  });

  function setOpen(open, keyboard) {
    const was = wantOpen;
    wantOpen = !!open;
    boot.opened(wantOpen);
    ui.panel.hidden = !wantOpen;
    ui.box.classList.toggle('open', wantOpen);
    ui.launcher.setAttribute('aria-expanded', String(wantOpen));
    if (wantOpen) {
      unread = 0;
      ui.badge.hidden = true;
      stopTitleFlash();
      // Focus moves into the panel, except on touch screens where it would pop the keyboard up.
      const focus = keyboard || matchMedia('(pointer: fine)').matches;
      if (!ui.form.hidden) focusForm(focus);
      else {
        scrollDown(true);
        if (focus) ui.input.focus();
      }
    }
    boot.labelLauncher(unread);
    if (was !== wantOpen) boot.emit(wantOpen ? 'opened' : 'closed', { conversation });
  }

  let waitTimer = 0;
  function renderStatus() {
    const t = w();
    const name = dealership.name || t.store;
    const waiting = state === 'ringing_store' || state === 'ringing_pool';
    const text = {
      ringing_store: t.ringingStore(name),
      ringing_pool: t.ringingPool,
      connected: t.joined((agent && agent.name) || t.someone),
      lead_capture: t.leadCapture,
      captured: t.captured,
      closed: t.closed,
    }[state] || dealership.greeting || (everWelcomed ? t.hello : t.connecting);
    if (ui.statusText.textContent !== text) ui.statusText.textContent = text;
    ui.status.dataset.state = state || 'none';
    // Outside hours: when the store opens next, and, until the ladder has given up (lead
    // capture says everyone is busy), that someone can help now. Never two lines that disagree.
    const closedStore = everWelcomed && !dealership.open && state !== 'connected' && state !== 'closed';
    const opens = dealership.opens_next && dealership.opens_next.text ? `${dealership.opens_next.text}.` : '';
    const gaveUp = state === 'lead_capture' || state === 'captured';
    const note = closedStore ? [opens, gaveUp ? '' : t.helpNow].filter(Boolean).join(' ') : '';
    ui.note.textContent = note;
    ui.note.hidden = !note;
    ui.offer.hidden = !(waiting && !contactSaved && !offerTaken);
    ui.ended.hidden = state !== 'closed';
    ui.input.setAttribute('placeholder', state === 'closed' ? t.newPlaceholder : t.placeholder);
    const formWasHidden = ui.form.hidden;
    ui.form.hidden = !(!contactSaved && (state === 'lead_capture' || (waiting && offerTaken)));
    // The form appears: its title and first field in view, the first field focused (not on
    // touch screens, where focus pops the keyboard up over it).
    if (formWasHidden && !ui.form.hidden) focusForm(wantOpen && matchMedia('(pointer: fine)').matches);
    if (state !== 'connected') showTyping(false);
    clearInterval(waitTimer);
    ui.wait.textContent = '';
    if (waiting && waitSince) {
      const tick = () => {
        const s = Math.max(0, Math.floor((Date.now() + skew - waitSince) / 1000));
        ui.wait.textContent = ` · ${t.waiting} ${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
      };
      tick();
      waitTimer = setInterval(tick, 1000);
    }
  }

  function showConn() {
    const down = !welcomed && (everWelcomed || pending.size > 0);
    ui.conn.textContent = down ? w().reconnecting : '';
    ui.conn.hidden = !down;
  }

  let flashTimer = 0;
  function flash(text) {
    ui.error.textContent = text;
    ui.error.hidden = false;
    clearTimeout(flashTimer);
    flashTimer = setTimeout(() => { ui.error.hidden = true; }, 6000);
  }

  function nearBottom() {
    const s = ui.scroll;
    return s.scrollHeight - s.scrollTop - s.clientHeight < 80;
  }
  // Scroll the contact form's title to the top of the view (to the bottom instead when the
  // whole form fits), then focus its first field without letting focus scroll again:
  // scrolling to the bottom put the title and the first field out of view on desktop.
  function focusForm(focus) {
    requestAnimationFrame(() => {
      const s = ui.scroll;
      s.scrollTop = Math.max(0, ui.form.offsetTop - s.offsetTop - 8);
      const typing = root.activeElement === ui.input && ui.input.value;
      if (focus && !typing && !ui.form.hidden) ui.form.elements.name.focus({ preventScroll: true });
    });
  }
  function scrollDown(force) {
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
    if (!Number.isNaN(t.getTime())) {
      el.title = t.toLocaleTimeString(lang, { hour: 'numeric', minute: '2-digit' });
      if (at) el.dataset.at = String(t.getTime());
    }
    return el;
  }
  function markSent(el, seq) {
    el.dataset.state = 'sent';
    el.removeAttribute('aria-busy');
    if (seq != null) el.dataset.seq = String(seq);
  }

  function addMessage(m, convFallback, replay) {
    if (!m || typeof m.seq !== 'number') return;
    const conv = m.conversation || convFallback || conversation;
    adopt(conv);
    const id = `${conv}:${m.seq}`;
    if (conv === conversation && m.seq > lastSeq) lastSeq = m.seq;
    if (seen.has(id)) return;
    seen.add(id);
    const author = m.author || {};
    const kinds = { visitor: 1, staff: 1, receptionist: 1, system: 1 };
    const kind = kinds[author.kind] === 1 ? author.kind : 'system';
    if (kind === 'visitor') { // our own message echoed before its ack: adopt the pending bubble
      for (const [cid, p] of pending) {
        if (p.body === m.body) { delivered(cid, p, m.seq, conv); return; }
      }
    }
    const el = bubble(kind, author.name, String(m.body == null ? '' : m.body), m.at);
    el.dataset.seq = String(m.seq);
    let firstPending = null;
    for (const p of pending.values()) { firstPending = p; break; }
    if (firstPending && firstPending.el.isConnected) ui.messages.insertBefore(el, firstPending.el);
    else ui.messages.appendChild(el);
    if (kind === 'staff' || kind === 'receptionist') {
      showTyping(false);
      if (author.name && state === 'connected' && !agent) agent = { name: author.name };
      if (!replay && (!wantOpen || document.hidden)) notify();
    }
    scrollDown(kind === 'visitor');
  }

  // --- a reply while the panel is closed: badge, optional sound, title flash -------------------
  function notify() {
    if (!wantOpen) {
      unread += 1;
      ui.badge.textContent = String(unread);
      ui.badge.hidden = false;
      boot.labelLauncher(unread);
    }
    if (boot.attr('sound') === 'on') beep();
    if (boot.attr('title-flash') !== 'off') startTitleFlash();
  }
  let audio = null;
  function beep() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      const o = audio.createOscillator();
      const g = audio.createGain();
      o.frequency.value = 880;
      g.gain.setValueAtTime(0.08, audio.currentTime);
      g.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + 0.25);
      o.connect(g);
      g.connect(audio.destination);
      o.start();
      o.stop(audio.currentTime + 0.25);
    } catch (_) { /* no audio: the badge and title still tell */ }
  }
  let titleTimer = 0;
  let pageTitle = '';
  function startTitleFlash() {
    if (titleTimer || (!document.hidden && wantOpen)) return;
    pageTitle = document.title;
    let on = false;
    titleTimer = setInterval(() => {
      on = !on;
      document.title = on ? `(${Math.max(unread, 1)}) ${w().newMessage}` : pageTitle;
    }, 1200);
  }
  function stopTitleFlash() {
    if (!titleTimer) return;
    clearInterval(titleTimer);
    titleTimer = 0;
    document.title = pageTitle;
  }

  // --- sending -----------------------------------------------------------------------------------
  function savePending() { // per tab, so that a message typed offline survives a page change
    const list = [];
    for (const [client_id, p] of pending) list.push({ client_id, body: p.body });
    store.tab(K_PENDING, list.length ? toJSON(list) : '');
  }
  function queue(client_id, body) {
    const el = bubble('visitor', null, body, null);
    el.dataset.state = 'pending';
    el.setAttribute('aria-busy', 'true');
    el.title = w().sending;
    ui.messages.appendChild(el);
    pending.set(client_id, { body, el });
  }

  function submitMessage() {
    const body = ui.input.value.trim();
    if (!body) return;
    if (body.length > 4000) { flash(w().tooLong); return; }
    ui.input.value = '';
    autoGrow();
    stopTyping();
    const client_id = uuid();
    queue(client_id, body);
    savePending();
    if (welcomed) send({ type: 'message', client_id, body });
    else { showConn(); reconnectNow(); }
    scrollDown(true);
  }

  function submitContact() {
    const f = ui.form.elements;
    const v = (n) => f[n].value.trim();
    const phone = v('phone');
    const email = v('email');
    let problem = '';
    if (!phone && !email) problem = w().needContact;
    else if (email && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) problem = w().badEmail;
    else if (phone && !/^\D*(\d\D*){7,15}$/.test(phone)) problem = w().badPhone;
    ui.formError.textContent = problem;
    ui.formError.hidden = !problem;
    if (problem) return;
    contactQueued = {
      type: 'contact', name: v('name'), phone, email,
      preferred_time: f.preferred_time.value || 'nopreference', consent: !!f.consent.checked,
      honeypot: f.website.value,
    };
    if (welcomed) send(contactQueued);
    else reconnectNow();
  }

  // --- typing ------------------------------------------------------------------------------------
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
    clearTimeout(theirTypingTimer);
    ui.typing.textContent = active ? w().typing((agent && agent.name) || w().someone) : '';
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

  // --- start -----------------------------------------------------------------------------------
  const initial = boot.state();
  context = initial.context;
  identity = initial.identity;
  try { // messages typed on the previous page while offline: shown again, sent once
    const saved = store.tab(K_PENDING);
    for (const p of saved ? fromJSON(saved) : []) if (p && p.client_id && p.body) queue(p.client_id, String(p.body));
  } catch (_) { /* nothing queued */ }
  translate();
  applyTheme(boot.theme);
  window.addEventListener('online', reconnectNow);
  window.addEventListener('offline', dropSocket);
  document.addEventListener('visibilitychange', () => {
    if (document.hidden) return;
    if (wantOpen) stopTitleFlash();
    reconnectNow();
  });
  connect();
  boot.ready({
    setOpen: (o) => setOpen(o.open, o.keyboard),
    setContext: (c) => { context = c; send({ type: 'context', vehicle: c }); },
    identify: (c) => { identity = c; send({ type: 'context', visitor: c }); },
    theme: applyTheme,
  });
})();
