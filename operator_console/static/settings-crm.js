// The CRM page. A new secret, a new token and a test lead's results are the answer to their
// POST (nothing keeps them for a later GET): the address bar is set back to the page itself,
// so that reloading shows the page rather than sending the form again. And "Copy" buttons
// for what is shown once; without a script (or a clipboard) they stay hidden and the text
// can be selected as usual.
(function () {
  'use strict';
  const page = document.querySelector('[data-page-url]');
  if (page && window.history.replaceState && window.location.pathname !== page.dataset.pageUrl) {
    window.history.replaceState(null, '', page.dataset.pageUrl);
  }
  if (!navigator.clipboard) return;
  for (const button of document.querySelectorAll('button[data-copy]')) {
    const source = document.getElementById(button.dataset.copy);
    if (!source) continue;
    const label = button.textContent;
    button.hidden = false;
    button.addEventListener('click', async () => {
      try {
        await navigator.clipboard.writeText(source.textContent.trim());
        button.textContent = 'Copied';
      } catch (_) {
        button.textContent = 'Copy failed: select the text instead';
      }
      setTimeout(() => { button.textContent = label; }, 2500);
    });
  }
})();
