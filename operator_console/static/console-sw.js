/* dealer-chat console service worker: served at /console/sw.js, scope /console
 * (operator_console/app_shell.py says why the scope has no trailing slash).
 *
 * Three jobs, nothing else:
 * - offline: install precaches the offline page, the console's CSS and the notification icons;
 *   a console page that cannot be fetched (no network) is answered with the offline page.
 *   The APIs, ring links and the console socket are never cached or answered from a cache.
 * - push: a `ring` payload (chat_server/protocol/push_payloads.py plus this operator's own
 *   accept_url and decline_url) shows one notification per conversation, tagged
 *   `ring-<conversation>`, with Accept and Decline; `ring_cancelled` ends it.
 * - notificationclick: Accept (or a tap on the notification) opens the ring's accept link in
 *   a console window, which accepts on the server and lands on /console?open=<conversation>;
 *   Decline posts the decline link. `self.handleRingAction` is that logic, callable by tests,
 *   which cannot tap a system notification.
 *
 * Why a cancel leaves a short, silent notification behind: the console subscribes with
 * userVisibleOnly, and Chrome checks, when a push event's waitUntil settles, that this worker
 * has a notification showing (or that a page of this origin is the visible tab). If not, it
 * spends the site's "silent push" budget (six a day at most, for the most-used sites), and
 * once that is gone it shows its own "This site has been updated in the background". A salesperson
 * gets a cancel for nearly every ring (taken, timed out), so closing the ring outright would
 * soon bring that generic message on every cancel. So the ring notification is replaced in
 * place (same tag, silent, no buttons) by a line saying how the ring ended, which is closed a
 * few seconds later, after the push event has settled. When there was no ring notification
 * to replace (Decline or Accept was tapped here, the ring never arrived, it was swiped away),
 * nothing is shown if a console page is the visible tab or another notification of ours is
 * showing, since either satisfies the rule; only otherwise the same short silent line.
 */
'use strict';

const CACHE = 'console-shell-v1';
const OFFLINE_URL = '/console/offline';
const ICON = '/console/static/icons/icon-192.png';
const BADGE = '/console/static/icons/badge-96.png';
const ASSETS = ['/console/static/console.css', ICON, BADGE];
const NOTE_MS = 4000; // how long the line saying how a ring ended stays
const ENDED = {
  taken: ['Taken by a colleague', 'Someone else answered this chat.'],
  timeout: ['Ring ended', 'Nobody answered in time; the chat moved on.'],
  left: ['The shopper left', 'They left before anyone answered.'],
  declined: ['Declined', 'You declined this chat.'],
  accepted: ['Accepted', 'You answered this chat on another device.'],
};

// --- install, activate, offline ----------------------------------------------------------------
self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    const fresh = (url) => new Request(url, { cache: 'reload' });
    await cache.addAll([OFFLINE_URL, '/console/static/console.css'].map(fresh));
    // The icons only dress notifications up: a missing one must not stop the worker installing.
    await Promise.all([ICON, BADGE].map((url) => cache.add(fresh(url)).catch(() => {})));
    await self.skipWaiting(); // it only adds an offline page and notifications: safe to take over
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) {
      if (key !== CACHE && key.startsWith('console-shell-')) await caches.delete(key);
    }
    // Navigations are fetched while the worker starts, not after: no delay for being installed.
    if (self.registration.navigationPreload) await self.registration.navigationPreload.enable();
    await self.clients.claim();
  })());
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === 'navigate') event.respondWith(navigate(event));
  else if (ASSETS.includes(url.pathname)) event.respondWith(asset(request));
  // Anything else (the APIs, ring links' posts, the socket) goes to the network untouched.
});

async function navigate(event) {
  try {
    const preloaded = await event.preloadResponse;
    return preloaded || await fetch(event.request);
  } catch (_) {
    // No network (a server error is a response, and is shown as it is).
    return (await caches.match(OFFLINE_URL, { cacheName: CACHE })) || Response.error();
  }
}

// Network first, so a deploy's CSS shows at once; the copy kept is the offline page's.
async function asset(request) {
  const cache = await caches.open(CACHE);
  try {
    const fresh = await fetch(request);
    if (fresh.ok) await cache.put(new URL(request.url).pathname, fresh.clone()).catch(() => {});
    return fresh;
  } catch (error) {
    const kept = await cache.match(request, { ignoreSearch: true });
    if (kept) return kept;
    throw error;
  }
}

// --- push ----------------------------------------------------------------------------------------
self.addEventListener('push', (event) => {
  let data = null;
  try { data = event.data ? event.data.json() : null; } catch (_) { data = null; }
  event.waitUntil(self.handlePush(data));
});

/** Show or end a ring's notification for a decrypted push payload (see the header). */
self.handlePush = async function handlePush(data) {
  if (data && data.type === 'ring' && data.conversation != null) return showRing(data);
  if (data && data.type === 'ring_cancelled' && data.conversation != null) return endRing(data);
  // A payload this version does not know (a newer server): nothing to say beyond "look".
  if (await mustShow('')) await briefly('console', 'dealer-chat console', 'Open the console to see what changed.', {});
  return 'unknown';
};

function tagOf(conversation) { return `ring-${conversation}`; }

function ringBody(d) {
  const words = d.first_words ? `“${d.first_words}”` : 'A shopper is waiting.';
  return d.vehicle ? `${words}\n${d.vehicle}` : words;
}

async function showRing(d) {
  const what = d.transfer_from ? `transfer from ${d.transfer_from}` : 'new chat';
  await self.registration.showNotification(`${d.dealership || 'dealer-chat'} — ${what}`, {
    body: ringBody(d),
    tag: tagOf(d.conversation),
    renotify: true, // a ring again for the same chat (a transfer) sounds again
    requireInteraction: true, // stays until answered, declined or cancelled
    actions: [{ action: 'accept', title: 'Accept' }, { action: 'decline', title: 'Decline' }],
    data: d,
    icon: ICON,
    badge: BADGE,
    vibrate: [300, 150, 300, 150, 600],
    timestamp: Date.now(),
  });
  return 'shown';
}

async function endRing(d) {
  const tag = tagOf(d.conversation);
  const open = await self.registration.getNotifications({ tag });
  const ring = open.find((n) => n.data && n.data.type === 'ring');
  if (!ring && !(await mustShow(tag))) {
    for (const n of open) n.close();
    return 'closed';
  }
  const [title, text] = ENDED[d.reason] || ['Ring ended', ''];
  const was = ring ? ring.data : null;
  const body = was && was.first_words ? `${text}\n“${was.first_words}”` : text;
  await briefly(tag, title, body, { type: 'ring_cancelled', conversation: d.conversation, reason: d.reason });
  return 'replaced';
}

/** True when nothing would count as user-visible for Chrome without a notification now. */
async function mustShow(tag) {
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  if (windows.some((w) => w.visibilityState === 'visible')) return false;
  const others = await self.registration.getNotifications();
  return !others.some((n) => n.tag !== tag);
}

/** A silent notification that replaces any with its tag, closed after NOTE_MS. */
async function briefly(tag, title, body, data) {
  await self.registration.showNotification(title, {
    body, tag, data, silent: true, renotify: false, icon: ICON, badge: BADGE, timestamp: Date.now(),
  });
  // Not awaited by the push event: Chrome counts notifications when that event settles.
  setTimeout(() => {
    self.registration.getNotifications({ tag }).then((shown) => {
      for (const n of shown) if (!n.data || n.data.type !== 'ring') n.close(); // a new ring stays
    }, () => {});
  }, NOTE_MS);
}

// --- notification clicks -------------------------------------------------------------------------
self.addEventListener('notificationclick', (event) => {
  const note = event.notification;
  const data = note.data || {};
  note.close();
  event.waitUntil(self.handleRingAction(event.action, data));
});

/**
 * What Accept, Decline or a tap on a notification does; `data` is the notification's data
 * (the ring's push payload). Resolves to {action, url, status} for the tests.
 */
self.handleRingAction = async function handleRingAction(action, data) {
  if (!data || data.type !== 'ring') return { action: 'open', url: await openConsole('/console') };
  for (const n of await self.registration.getNotifications({ tag: tagOf(data.conversation) })) n.close();
  if (action === 'decline') {
    const url = consolePath(data.decline_url);
    if (!url) return { action: 'decline', url: '', status: 0 };
    try {
      // The signed link is the credential (the worker holds no CSRF token); 204 declined,
      // 409 or 410: the ring was already over, which is what Decline wanted anyway.
      const r = await fetch(url, { method: 'POST', credentials: 'same-origin' });
      return { action: 'decline', url, status: r.status };
    } catch (_) {
      return { action: 'decline', url, status: 0 }; // offline: the ring times out on its own
    }
  }
  const url = consolePath(data.accept_url) || consolePath(data.url) || '/console';
  return { action: 'accept', url: await openConsole(url) };
};

/** A same-origin console path from a payload's link, or '' for anything else. */
function consolePath(link) {
  if (typeof link !== 'string' || !link) return '';
  try {
    const url = new URL(link, self.location.origin);
    if (url.origin !== self.location.origin || !inConsole(url.pathname)) return '';
    return url.pathname + url.search;
  } catch (_) {
    return '';
  }
}

function inConsole(path) { return path === '/console' || path.startsWith('/console/'); }

/** Take an open console window to `url` (the one in front, if any), or open one. */
async function openConsole(url) {
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const consoles = windows.filter((w) => inConsole(new URL(w.url).pathname));
  const target = consoles.find((w) => w.focused)
    || consoles.find((w) => w.visibilityState === 'visible') || consoles[0];
  if (target) {
    try { await target.focus(); } catch (_) { /* focus needs the tap's user activation */ }
    try {
      if (await target.navigate(url)) return url;
    } catch (_) { /* not controlled by this worker yet: open a window instead */ }
  }
  await self.clients.openWindow(url);
  return url;
}
