/* dealer-chat dashboard: refresh the live waiting list every few seconds (text only). */
(() => {
  'use strict';
  const list = document.querySelector('[data-testid="waiting"]');
  if (!list) return;
  const LABELS = { ringing_store: 'Ringing the store', ringing_pool: 'Ringing the pool', lead_capture: 'Taking details' };
  async function refresh() {
    let rows;
    try {
      const r = await fetch(`/console/api/waiting?dealership=${encodeURIComponent(list.dataset.dealership)}`, { credentials: 'same-origin' });
      if (!r.ok) return;
      rows = await r.json();
    } catch (_) { return; }
    const items = rows.map((w) => {
      const li = document.createElement('li');
      li.dataset.testid = 'waiting-chat';
      const tag = document.createElement('span');
      tag.className = `tag state-${w.state}`;
      tag.textContent = LABELS[w.state] || w.state;
      const who = document.createElement('span');
      who.textContent = w.visitor_name || 'Shopper';
      const waited = document.createElement('span');
      waited.className = 'muted';
      waited.textContent = `waiting ${w.waited_s} s`;
      li.append(tag, ' ', who, ' ', waited);
      return li;
    });
    if (!items.length) {
      const li = document.createElement('li');
      li.className = 'muted';
      li.dataset.testid = 'waiting-empty';
      li.textContent = 'Nobody is waiting.';
      items.push(li);
    }
    list.replaceChildren(...items);
  }
  setInterval(refresh, 5000);
})();
