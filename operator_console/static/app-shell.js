/* dealer-chat console: keep the service worker registered (operator_console/app_shell.py).
 *
 * On every console page, so a console added to a phone's home screen keeps its worker (and
 * with it the rings by Web Push and the offline page) even if the browser dropped it. Register
 * is idempotent: the browser only fetches /console/sw.js again to see whether it changed.
 */
(() => {
  'use strict';
  if (!('serviceWorker' in navigator)) return; // old browsers, or http:// on a non-local host
  navigator.serviceWorker.register('/console/sw.js', { scope: '/console' }).catch(() => {
    /* the console works without it: only the phone rings and the offline page are missing */
  });
})();
