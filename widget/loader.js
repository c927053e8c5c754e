/* dealer-chat loader: the one <script src=".../widget.js" data-site="SITE_KEY" async> a dealer
 * embeds. It defines window.DealerChat, draws the launcher in a shadow root on the top layer,
 * and loads the chat UI (chat-ui.js) on first open, or at once when a chat is already going.
 * Kept tiny (budget: 6 KB gzipped) and written against a hostile page: no framework, no JSON,
 * no Promise, no fetch, nothing that a page's polyfills or overrides commonly replace.
 */
(function () {
  'use strict';
  var W = window, D = document;
  if (W.DealerChat && W.DealerChat.version) return; // idempotent: a second copy does nothing

  var TAG = '[DealerChat]';
  function complain(msg) { try { W.console.error(TAG + ' ' + msg); } catch (e) { /* no console */ } }

  var script = D.currentScript || D.querySelector('script[data-site][src*="widget.js"]');
  var site = script && script.getAttribute('data-site');
  if (!site) { complain('the widget script needs data-site="YOUR_SITE_KEY"'); return; }
  var a = D.createElement('a');
  a.href = script.src;
  var origin = a.protocol + '//' + a.host;
  var attr = function (n) { return script.getAttribute('data-' + n); };

  // --- storage: localStorage, or memory when the browser blocks it ----------------------------
  var mem = {};
  var store = {
    get: function (k) {
      try { var v = W.localStorage.getItem(k); if (v !== null) return v; } catch (e) { /* blocked */ }
      return Object.prototype.hasOwnProperty.call(mem, k) ? mem[k] : null;
    },
    set: function (k, v) {
      if (v == null) delete mem[k]; else mem[k] = String(v);
      try { if (v == null) W.localStorage.removeItem(k); else W.localStorage.setItem(k, String(v)); } catch (e) { /* memory only */ }
    },
    tab: function (k, v) { // sessionStorage: per tab
      try { if (arguments.length > 1) W.sessionStorage.setItem(k, v); else return W.sessionStorage.getItem(k); } catch (e) { /* ignore */ }
      return null;
    },
  };
  var K = 'dealerchat:' + site + ':';

  // --- theme: cached from the last visit, refreshed from /widget/config, script attributes win -
  var T = { en: ['Open chat', 'Close chat', 'unread'], es: ['Abrir chat', 'Cerrar chat', 'sin leer'] };
  var theme = { color: '', position: 'right', language: 'en', logo_url: '', name: '' };
  function readTheme(src) {
    if (!src || typeof src !== 'object') return;
    for (var k in theme) if (Object.prototype.hasOwnProperty.call(theme, k) && typeof src[k] === 'string') theme[k] = src[k];
  }
  function cachedTheme() {
    var raw = store.get(K + 'theme');
    if (!raw) return false;
    var parts = raw.split('\n'); // color, position, language: no JSON needed
    readTheme({ color: parts[0], position: parts[1], language: parts[2] });
    return true;
  }
  function overrides() {
    readTheme({ color: attr('color') || undefined, position: attr('position') || undefined, language: attr('lang') || undefined });
    if (theme.position !== 'left') theme.position = 'right';
    if (!T[theme.language]) theme.language = 'en';
  }

  // --- public API ---------------------------------------------------------------------------------
  var EVENTS = ['opened', 'closed', 'message_sent', 'contact_submitted', 'agent_joined'];
  var CONTEXT = ['vin', 'stock', 'year', 'make', 'model', 'trim', 'price', 'condition'];
  var IDENTITY = ['name', 'email', 'phone'];
  var listeners = [];
  var ui = null; // the chat UI's methods once it has loaded
  var wantOpen = false;
  var context = null;
  var identity = null;

  function emit(event, detail) {
    for (var i = 0; i < listeners.length; i++) {
      var l = listeners[i];
      if (l.e !== event) continue;
      try { l.f(detail || {}); } catch (err) { complain('a listener for "' + event + '" threw: ' + err); }
    }
  }
  function pick(obj, keys, what) {
    if (!obj || typeof obj !== 'object' || Object.prototype.toString.call(obj) !== '[object Object]') {
      complain(what + ' expects an object like {' + keys.join(', ') + '}');
      return null;
    }
    var out = {}, n = 0;
    for (var k in obj) {
      if (!Object.prototype.hasOwnProperty.call(obj, k)) continue;
      var v = obj[k];
      if (keys.indexOf(k) < 0) { complain(what + ': unknown field "' + k + '" ignored; use ' + keys.join(', ')); continue; }
      if (v == null || v === '') continue;
      if (typeof v !== 'string' && typeof v !== 'number') { complain(what + ': "' + k + '" must be text or a number'); continue; }
      out[k] = String(v).slice(0, 200);
      n++;
    }
    return n ? out : null;
  }
  function call(name, arg) {
    if (ui) { try { ui[name](arg); } catch (err) { complain(name + ' failed: ' + err); } }
  }

  var api = {
    version: 1,
    open: function () { setOpen(true); },
    close: function () { setOpen(false); },
    toggle: function () { setOpen(!wantOpen); },
    setContext: function (v) {
      var c = pick(v, CONTEXT, 'setContext');
      if (!c) return;
      context = c;
      call('setContext', c);
    },
    identify: function (v) {
      var c = pick(v, IDENTITY, 'identify');
      if (!c) return;
      if (c.email && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(c.email)) { complain('identify: "' + c.email + '" is not an e-mail address'); delete c.email; }
      identity = c;
      call('identify', c);
    },
    on: function (event, fn) {
      if (EVENTS.indexOf(event) < 0) { complain('on: unknown event "' + event + '"; use ' + EVENTS.join(', ')); return function () {}; }
      if (typeof fn !== 'function') { complain('on("' + event + '", fn) needs a function'); return function () {}; }
      var l = { e: event, f: fn };
      listeners.push(l);
      return function () { var i = listeners.indexOf(l); if (i >= 0) listeners.splice(i, 1); };
    },
  };
  try { Object.freeze(api); } catch (e) { /* old engines */ }
  W.DealerChat = api;

  // --- launcher -----------------------------------------------------------------------------------
  var host, root, launcher, badge, loading = false, loadFailed = false;
  var ICON = '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2zm3 6.5a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01z"/></svg>';
  var CSS = ':host{all:initial}.root{--dc-accent:#0b5cad}' +
    '.launcher{position:fixed;right:max(20px,env(safe-area-inset-right));bottom:max(20px,env(safe-area-inset-bottom));width:60px;height:60px;border:0;border-radius:50%;' +
    'background:var(--dc-accent);color:#fff;box-shadow:0 6px 20px rgba(0,0,0,.28);display:grid;place-items:center;padding:0;margin:0;cursor:pointer;font:700 12px/1 system-ui,sans-serif;transition:opacity .2s}' +
    '.left .launcher{right:auto;left:max(20px,env(safe-area-inset-left))}' +
    '.launcher[data-ready=false]{opacity:0;pointer-events:none}' +
    '.launcher:focus-visible{outline:3px solid #ffbf47;outline-offset:2px}' +
    '.launcher svg{width:28px;height:28px;fill:currentColor}' +
    '.launcher[aria-busy=true] svg{opacity:.6}' +
    '.badge{position:absolute;top:-3px;right:-3px;min-width:22px;height:22px;padding:0 6px;border-radius:11px;background:#c5221f;color:#fff;font-size:12px;line-height:22px;text-align:center}' +
    '[hidden]{display:none!important}';

  // Inline !important beats any selector of the page's stylesheets, so resets cannot reach the host.
  var HOST_STYLE = 'all:initial!important;position:fixed!important;right:0!important;bottom:0!important;' +
    'top:auto!important;left:auto!important;width:0!important;height:0!important;margin:0!important;' +
    'padding:0!important;border:0!important;overflow:visible!important;z-index:2147483647!important;' +
    'display:block!important;visibility:visible!important;opacity:1!important;transform:none!important;' +
    'filter:none!important;contain:none!important;pointer-events:auto!important;background:none!important';

  function mount() {
    // On <html>, not <body>: a transformed body or a single-page app re-rendering it cannot
    // move or remove us. On the top layer (a manual popover) where the browser has one, so
    // that no z-index of the page, however huge, covers the chat.
    (D.documentElement || D.body).appendChild(host);
    try {
      if (host.showPopover) { host.setAttribute('popover', 'manual'); if (!host.matches(':popover-open')) host.showPopover(); }
    } catch (e) { /* z-index fallback */ }
  }

  function labelLauncher(unread) {
    var t = T[theme.language];
    var label = wantOpen ? t[1] : t[0];
    if (unread) label += ', ' + unread + ' ' + t[2];
    launcher.setAttribute('aria-label', label);
  }

  function applyTheme() {
    if (!root) return;
    var box = root.querySelector('.root');
    if (theme.color && /^#[0-9a-f]{6}$/i.test(theme.color)) box.style.setProperty('--dc-accent', theme.color);
    box.className = 'root' + (theme.position === 'left' ? ' left' : '') + (wantOpen ? ' open' : '');
    labelLauncher(0);
    launcher.setAttribute('data-ready', 'true');
    if (ui) call('theme', theme);
  }

  // Constructed style sheets and CSSOM writes are not subject to a page's CSP style-src, so the
  // widget needs no 'unsafe-inline'; a <style> element is the fallback for older browsers.
  function addCSS(text) {
    try {
      var sheet = new W.CSSStyleSheet();
      sheet.replaceSync(text);
      root.adoptedStyleSheets = [].concat(Array.prototype.slice.call(root.adoptedStyleSheets), [sheet]);
      return;
    } catch (e) { /* no constructable style sheets */ }
    var style = D.createElement('style');
    style.textContent = text;
    root.appendChild(style);
  }

  function build() {
    host = D.createElement('dealer-chat-widget');
    host.style.cssText = HOST_STYLE;
    root = host.attachShadow({ mode: 'open' });
    addCSS(CSS);
    var box = D.createElement('div');
    box.className = 'root';
    box.innerHTML = '<button type="button" class="launcher" data-dc="launcher" data-ready="false" aria-expanded="false">' + ICON +
      '<span class="badge" data-dc="badge" aria-hidden="true" hidden></span></button>';
    root.appendChild(box);
    launcher = box.firstChild;
    badge = launcher.lastChild;
    launcher.addEventListener('click', function (e) {
      // A click from the keyboard (detail 0) moves focus into the panel even on touch screens.
      keyboardOpen = e.detail === 0;
      setOpen(!wantOpen);
    });
    mount();
    try {
      new W.MutationObserver(function () { if (!host.isConnected) mount(); }).observe(D.documentElement, { childList: true });
    } catch (e) { /* no observer: stays where it is */ }
  }
  var keyboardOpen = false;

  function setOpen(open) {
    wantOpen = !!open;
    store.tab(K + 'open', wantOpen ? '1' : '0');
    if (!launcher) return;
    if (ui) { call('setOpen', { open: wantOpen, keyboard: keyboardOpen }); keyboardOpen = false; return; }
    if (wantOpen) loadUI();
  }

  function loadUI() {
    if (loading || ui) return;
    loading = true;
    launcher.setAttribute('aria-busy', 'true');
    var s = D.createElement('script');
    s.src = origin + '/widget/chat-ui.js?v=__UI_VERSION__';
    s.async = true;
    if (script.nonce) s.nonce = script.nonce; // CSP nonces and 'strict-dynamic' carry over
    // The UI finds this object on its own <script> element (document.currentScript): no global.
    s.dcBoot = boot;
    s.onerror = function () {
      loading = false;
      loadFailed = true;
      launcher.removeAttribute('aria-busy');
      complain('could not load the chat; the next click tries again');
      if (s.parentNode) s.parentNode.removeChild(s);
    };
    (D.head || D.documentElement).appendChild(s);
  }

  var boot = {
    site: site, origin: origin, store: store, key: K, theme: theme, root: root,
    attr: attr, emit: emit, complain: complain, css: addCSS,
    state: function () { return { open: wantOpen, keyboard: keyboardOpen, context: context, identity: identity }; },
    ready: function (methods) { // called once by the chat UI
      ui = methods;
      loading = false;
      launcher.removeAttribute('aria-busy');
      call('setOpen', { open: wantOpen, keyboard: keyboardOpen });
      keyboardOpen = false;
    },
    opened: function (open) { wantOpen = open; store.tab(K + 'open', open ? '1' : '0'); },
    saveTheme: function (t) {
      readTheme(t);
      overrides();
      store.set(K + 'theme', [theme.color, theme.position, theme.language].join('\n'));
      applyTheme();
    },
    labelLauncher: function (n) { labelLauncher(n); },
  };

  function fetchTheme() {
    try {
      var x = new W.XMLHttpRequest();
      x.open('GET', origin + '/widget/config?site=' + encodeURIComponent(site));
      x.responseType = 'json'; // parsed by the browser: a page's replaced JSON cannot interfere
      x.timeout = 8000;
      x.onload = function () { if (x.status === 200) boot.saveTheme(x.response); else applyTheme(); };
      x.onerror = x.ontimeout = applyTheme;
      x.send();
    } catch (e) { applyTheme(); }
  }

  function start() {
    build();
    boot.root = root;
    boot.launcher = launcher;
    boot.badge = badge;
    boot.host = host;
    boot.remount = mount;
    var known = cachedTheme();
    overrides();
    if (known) applyTheme();
    else setTimeout(applyTheme, 1500); // show the launcher even if the config never answers
    fetchTheme();
    // A chat already going (another page of this site, another tab), or open in this tab:
    // load the UI now so the shopper sees replies and the unread badge without a click.
    wantOpen = store.tab(K + 'open') === '1';
    if (wantOpen || store.get(K + 'conversation') || store.tab(K + 'pending')) loadUI();
  }
  if (D.body) start();
  else D.addEventListener('DOMContentLoaded', start);
})();
