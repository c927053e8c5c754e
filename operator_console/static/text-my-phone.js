/* dealer-chat console: "Text me too", the ring's text fallback.
 *
 * Shown only when the server has a text provider (GET /console/api/phone says enabled). The
 * salesperson types a mobile number, gets a six-digit code by text, and types it back; from then
 * on a ring nobody accepted within a few seconds is also texted, with a one-tap link.
 */
(() => {
  'use strict';
  const box = document.querySelector('[data-testid="text-my-phone"]');
  if (!box) return;
  const $ = (sel) => box.querySelector(sel);
  const numberForm = $('[data-testid="text-number-form"]');
  const codeForm = $('[data-testid="text-code-form"]');
  const verified = $('[data-testid="text-verified"]');
  const error = $('[data-testid="text-error"]');
  const status = $('[data-testid="text-status"]');
  const CSRF = (document.querySelector('input[name="csrf_token"]') || {}).value || '';
  const API = '/console/api/phone';

  async function call(path, body) {
    const response = await fetch(path, {
      method: body === undefined ? 'GET' : 'POST',
      credentials: 'same-origin',
      headers: body === undefined ? {} : { 'Content-Type': 'application/json', 'X-CSRF-Token': CSRF },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status === 204) return null;
    let data = {};
    try { data = await response.json(); } catch (_) { /* an answer without JSON */ }
    if (!response.ok) throw new Error(data.error || 'The server refused. Try again.');
    return data;
  }

  function show(state) {
    box.hidden = !state.enabled;
    error.hidden = true;
    const pending = Boolean(state.number) && !state.verified;
    numberForm.hidden = Boolean(state.verified) || pending;
    codeForm.hidden = !pending;
    verified.hidden = !state.verified;
    $('[data-testid="text-number"]').textContent = state.number || '';
    if (pending) status.textContent = `We texted a code to ${state.number}. Type it here.`;
    else if (state.verified) status.textContent = 'Rings nobody answers within a few seconds are also texted to you.';
  }
  function fail(problem) {
    error.textContent = problem.message;
    error.hidden = false;
  }

  numberForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    try { show(await call(API, { phone: numberForm.elements.phone.value })); } catch (p) { fail(p); }
  });
  codeForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    try { show(await call(`${API}/verify`, { code: codeForm.elements.code.value })); } catch (p) { fail(p); }
  });
  $('[data-testid="text-remove"]').addEventListener('click', async () => {
    try { await call(`${API}/delete`, {}); show({ enabled: true, number: '', verified: false }); } catch (p) { fail(p); }
  });
  call(API).then(show, () => { box.hidden = true; });
})();
