/* dealer-chat dashboard: size the histogram's bars, refresh the live waiting list every few
 * seconds (text only). */
(() => {
  'use strict';
  // Bar heights come as data-pct, not style="": the console's CSP refuses inline styles, while
  // setting a property through the CSSOM is allowed.
  for (const bar of document.querySelectorAll('.bar[data-pct]')) {
    const pct = Number(bar.dataset.pct);
    if (Number.isFinite(pct)) bar.style.height = `${Math.min(100, Math.max(0, pct))}%`;
  }
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
