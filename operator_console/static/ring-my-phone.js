/* dealer-chat console: "Ring my phone", rings by Web Push when the console is closed.
 *
 * Turning it on asks for notification permission, subscribes this browser with the server's
 * key (userVisibleOnly: every push shows a notification, see console-sw.js) and sends the
 * subscription to /console/api/push/devices; turning it off unsubscribes and tells the server.
 * The list shows every device that rings this operator, each with Remove. The server never
 * returns endpoints, so this browser remembers which device it is (its id and endpoint) in
 * localStorage; a subscription the browser renewed on its own is sent again on the next load.
 */
(() => {
  'use strict';
  const box = document.querySelector('[data-testid="ring-my-phone"]');
  if (!box) return;
  const $ = (sel, el = document) => el.querySelector(sel);
  const el = {
    toggle: $('[data-testid="push-toggle"]', box),
    toggleText: $('.switch-text', box),
    status: $('[data-testid="push-status"]', box),
    error: $('[data-testid="push-error"]', box),
    list: $('[data-testid="push-devices"]', box),
    empty: $('[data-testid="push-devices-empty"]', box),
    count: $('[data-testid="push-device-count"]', box),
    tpl: $('#push-device-template'),
  };
  const CSRF = ($('input[name="csrf_token"]') || {}).value || '';
  const SAVED = 'dealer-chat.push-device';
  const API = '/console/api/push';
  const WORKER_TIMEOUT_MS = 15000;
  const SUBSCRIBE_TIMEOUT_MS = 20000;

  let publicKey = '';
  let devices = [];
  let here = null; // this browser's device id, when the server lists it
  let busy = false;

  /** An error whose message is for the salesperson, in plain words. */
  class Problem extends Error {}

  const TEXT = {
    blocked: 'Notifications are blocked for this site, so it cannot ring you. Allow notifications for this site in the browser\u2019s settings, then turn Ring my phone on again.',
    notAsked: 'Ring my phone needs permission to show notifications. Turn it on again and choose Allow.',
    noPushService: 'This browser could not sign up with its push service, so it cannot ring you yet. Check the connection (and that this is not a private window), then try again.',
    noWorker: 'The console\u2019s background worker did not start. Reload the page and try again.',
    offline: 'Could not reach the server. Check the connection and try again.',
    failed: 'Ring my phone did not work this time. Reload the page and try again.',
  };

  function unsupported() {
    if (!window.isSecureContext) return 'Ring my phone needs the console on a secure (https://) address.';
    if ('serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window) return '';
    const ua = navigator.userAgent;
    const apple = /iPhone|iPad|iPod/.test(ua) || (/Macintosh/.test(ua) && navigator.maxTouchPoints > 1);
    if (apple && !matchMedia('(display-mode: standalone)').matches) {
      return 'On iPhone and iPad, add the console to your Home Screen first (Share, then Add to Home Screen), open it from there, and turn Ring my phone on.';
    }
    return 'Push is not supported in this browser, so it cannot ring you when the console is closed. Chrome, Edge, Firefox and Samsung Internet can.';
  }

  /** "Chrome on Android": what the device list calls this browser. */
  function deviceLabel() {
    const ua = navigator.userAgent;
    const browser = /SamsungBrowser/.test(ua) ? 'Samsung Internet'
      : /Edg(A|iOS)?\//.test(ua) ? 'Edge'
        : /OPR\/|Opera/.test(ua) ? 'Opera'
          : /Firefox\/|FxiOS/.test(ua) ? 'Firefox'
            : /CriOS|Chrome\/|Chromium/.test(ua) ? 'Chrome'
              : /Safari\//.test(ua) ? 'Safari' : 'Browser';
    const os = /Android/.test(ua) ? 'Android'
      : /iPhone|iPod/.test(ua) ? 'iPhone'
        : /iPad/.test(ua) || (/Macintosh/.test(ua) && navigator.maxTouchPoints > 1) ? 'iPad'
          : /CrOS/.test(ua) ? 'ChromeOS'
            : /Windows/.test(ua) ? 'Windows'
              : /Macintosh|Mac OS X/.test(ua) ? 'Mac'
                : /Linux/.test(ua) ? 'Linux' : '';
    return os ? `${browser} on ${os}` : browser;
  }

  // --- this browser's subscription ----------------------------------------------------------
  function saved() {
    try {
      const v = JSON.parse(localStorage.getItem(SAVED) || 'null');
      return v && typeof v.id === 'number' && typeof v.endpoint === 'string' ? v : null;
    } catch (_) { return null; }
  }
  function save(v) {
    try { if (v) localStorage.setItem(SAVED, JSON.stringify(v)); else localStorage.removeItem(SAVED); } catch (_) { /* private mode */ }
  }
  function within(promise, ms, problem) {
    let timer = 0;
    const late = new Promise((_, reject) => { timer = setTimeout(() => reject(new Problem(problem)), ms); });
    return Promise.race([promise, late]).finally(() => clearTimeout(timer));
  }
  async function worker() {
    try {
      await navigator.serviceWorker.register('/console/sw.js', { scope: '/console' });
    } catch (_) { throw new Problem(TEXT.noWorker); }
    return within(navigator.serviceWorker.ready, WORKER_TIMEOUT_MS, TEXT.noWorker);
  }
  async function subscription() {
    if (unsupported()) return null;
    try {
      const reg = await navigator.serviceWorker.getRegistration('/console');
      return reg ? await reg.pushManager.getSubscription() : null;
    } catch (_) { return null; }
  }
  function keyBytes(b64url) {
    const b64 = b64url.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (b64url.length % 4)) % 4);
    return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  }
  function sameKey(sub, key) {
    const mine = sub.options && sub.options.applicationServerKey;
    if (!mine) return true; // not readable here: trust it, the server refuses a wrong one later
    const a = new Uint8Array(mine);
    const b = keyBytes(key);
    return a.length === b.length && a.every((x, i) => x === b[i]);
  }

  // --- the server -----------------------------------------------------------------------------
  async function api(path, body, { okIfGone = false } = {}) {
    const init = body === undefined
      ? { credentials: 'same-origin', headers: { Accept: 'application/json' } }
      : {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': CSRF },
        body: JSON.stringify(body),
      };
    let r;
    try { r = await fetch(path, init); } catch (_) { throw new Problem(TEXT.offline); }
    if (r.ok) return r.status === 204 ? null : r.json();
    if (okIfGone && r.status === 404) return null;
    let said = '';
    try { said = (await r.json()).error || ''; } catch (_) { /* not JSON */ }
    if (r.status === 401) throw new Problem('You are signed out. Sign in again, then turn Ring my phone on.');
    if (r.status === 403) throw new Problem('This page is out of date. Reload it and try again.');
    if (r.status === 503) throw new Problem('This server cannot ring phones: Web Push is not set up on it.');
    throw new Problem(`The server refused this device${said ? `: ${said}` : ''}.`);
  }
  async function post(sub) {
    const device = await api(`${API}/devices`, { subscription: sub.toJSON(), label: deviceLabel() });
    save({ id: device.id, endpoint: sub.endpoint });
    return device;
  }

  // --- state -----------------------------------------------------------------------------------
  async function refresh() {
    const data = await api(`${API}/devices`);
    publicKey = data.public_key || '';
    devices = Array.isArray(data.devices) ? data.devices : [];
    const sub = await subscription();
    const mine = saved();
    here = null;
    if (sub && mine && devices.some((d) => d.id === mine.id)) {
      if (mine.endpoint === sub.endpoint) {
        here = mine.id;
      } else if (Notification.permission === 'granted') {
        // The browser renewed the subscription on its own: send the new one, drop the old.
        const device = await post(sub);
        await api(`${API}/unsubscribe`, { endpoint: mine.endpoint }).catch(() => {});
        return refresh().then(() => device);
      }
    } else if (mine) {
      save(null); // removed here or elsewhere, or the browser dropped the subscription
    }
    render();
    return null;
  }

  function render() {
    const on = here !== null;
    const cannot = unsupported();
    box.dataset.state = cannot ? 'unsupported' : on ? 'on' : 'off';
    el.toggle.setAttribute('aria-checked', String(on));
    el.toggle.disabled = busy || !!cannot;
    el.toggleText.textContent = on ? 'On' : 'Off';
    if (!busy) {
      el.status.textContent = cannot || (on
        ? 'On: this device rings for new chats, even with the console closed.'
        : 'Off on this device. Turn it on to be rung here when the console is closed.');
    }
    el.count.textContent = String(devices.length);
    el.empty.hidden = devices.length > 0;
    el.list.replaceChildren(...devices.map(deviceItem));
  }

  function when(iso) {
    const t = iso ? new Date(iso) : null;
    if (!t || Number.isNaN(t.getTime())) return '';
    const today = new Date().toDateString() === t.toDateString();
    return today
      ? t.toLocaleTimeString([], { hour: 'numeric', minute: '2-digit' })
      : t.toLocaleDateString([], { day: 'numeric', month: 'short' });
  }

  function deviceItem(d) {
    const item = el.tpl.content.firstElementChild.cloneNode(true);
    item.dataset.device = String(d.id);
    const label = d.label || 'A device';
    $('[data-testid="push-device-label"]', item).textContent = label;
    $('[data-testid="push-device-here"]', item).hidden = d.id !== here;
    const meta = [`Added ${when(d.created_at)}`];
    if (d.last_error) meta.push(`Last ring failed: ${d.last_error}`);
    else if (d.last_ok_at) meta.push(`Last rang ${when(d.last_ok_at)}`);
    $('[data-testid="push-device-meta"]', item).textContent = meta.join(' · ');
    const remove = $('[data-testid="push-device-remove"]', item);
    remove.setAttribute('aria-label', `Remove ${label}${d.id === here ? ' (this device)' : ''}`);
    remove.disabled = busy;
    remove.addEventListener('click', () => run('Removing…', () => removeDevice(d.id)));
    return item;
  }

  async function run(doing, job) {
    if (busy) return;
    busy = true;
    el.error.hidden = true;
    el.status.textContent = doing;
    box.setAttribute('aria-busy', 'true');
    render();
    try {
      await job();
    } catch (error) {
      el.error.textContent = error instanceof Problem ? error.message : TEXT.failed;
      el.error.hidden = false;
    } finally {
      busy = false;
      box.removeAttribute('aria-busy');
      render();
    }
  }

  // --- actions ---------------------------------------------------------------------------------
  async function turnOn() {
    const cannot = unsupported();
    if (cannot) throw new Problem(cannot);
    // Asked first, while the tap still counts as the user's gesture.
    let permission = Notification.permission;
    if (permission === 'default') permission = await Notification.requestPermission();
    if (permission === 'denied') throw new Problem(TEXT.blocked);
    if (permission !== 'granted') throw new Problem(TEXT.notAsked);
    if (!publicKey) await refresh();
    const reg = await worker();
    let sub = await reg.pushManager.getSubscription();
    if (sub && !sameKey(sub, publicKey)) { await sub.unsubscribe().catch(() => {}); sub = null; }
    if (!sub) {
      try {
        sub = await within(
          reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(publicKey) }),
          SUBSCRIBE_TIMEOUT_MS, TEXT.noPushService,
        );
      } catch (error) {
        if (error instanceof Problem) throw error;
        throw new Problem(error && error.name === 'NotAllowedError' ? TEXT.blocked : TEXT.noPushService);
      }
    }
    await post(sub);
    await refresh();
  }

  async function turnOff() {
    const sub = await subscription();
    const mine = saved();
    const endpoint = (sub && sub.endpoint) || (mine && mine.endpoint);
    if (endpoint) await api(`${API}/unsubscribe`, { endpoint });
    if (sub) await sub.unsubscribe().catch(() => {});
    save(null);
    await refresh();
  }

  async function removeDevice(id) {
    await api(`${API}/devices/${encodeURIComponent(id)}/delete`, {}, { okIfGone: true });
    if (id === here) {
      const sub = await subscription();
      if (sub) await sub.unsubscribe().catch(() => {});
      save(null);
    }
    await refresh();
  }

  el.toggle.addEventListener('click', () => {
    if (here !== null) run('Turning off…', turnOff);
    else run('Turning on…', turnOn);
  });

  render();
  run('Checking this device…', refresh);
})();
