/* The widget settings page: a live preview that follows the look form as the manager types,
 * the colour's contrast with white text (the same WCAG formula as chat_server/widget_theme.py),
 * and the snippet's Copy button. No inline script or style: the page's CSP forbids them, so
 * everything is wired here and styles are set through element.style (CSSOM), which it allows.
 */
(function () {
  'use strict';
  var MIN_CONTRAST = 4.5;
  var HEX6 = /^#?([0-9a-f]{6})$/i;
  var HEX3 = /^#?([0-9a-f])([0-9a-f])([0-9a-f])$/i;

  /* "#0b5cad", "0b5cad" and "#05a" as "#rrggbb"; null when it is not a colour yet. */
  function hex(text) {
    var t = String(text || '').trim();
    var m = HEX6.exec(t);
    if (m) return '#' + m[1].toLowerCase();
    m = HEX3.exec(t);
    if (m) return ('#' + m[1] + m[1] + m[2] + m[2] + m[3] + m[3]).toLowerCase();
    return null;
  }

  /* WCAG 2 contrast of white text on a #rrggbb colour. */
  function contrastWithWhite(color) {
    function channel(i) {
      var c = parseInt(color.slice(i, i + 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    }
    var luminance = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
    return 1.05 / (luminance + 0.05);
  }

  function wirePreview() {
    var form = document.getElementById('widget-look');
    var stage = document.getElementById('wp-stage');
    if (!form || !stage) return;
    var field = function (name) { return form.elements.namedItem(name); };
    var color = field('color');
    var picker = document.getElementById('widget-color-picker');
    var note = document.getElementById('contrast-note');
    var greeting = document.getElementById('wp-greeting');
    var logo = document.getElementById('wp-logo');
    var logoNote = document.getElementById('wp-logo-note');
    var saved = hex(stage.getAttribute('data-color')) || '#0b5cad';

    function words(lang) {
      var ids = ['wp-sample', 'wp-input', 'wp-send'];
      for (var i = 0; i < ids.length; i++) {
        var el = document.getElementById(ids[i]);
        if (el) el.textContent = el.getAttribute('data-' + lang) || el.getAttribute('data-en');
      }
    }

    function update() {
      var c = hex(color.value);
      // The preview keeps the last colour that was a colour while a half-typed one is not.
      var shown = c || stage.getAttribute('data-shown') || saved;
      stage.setAttribute('data-shown', shown);
      stage.style.setProperty('--wp-accent', shown);
      if (c && picker && picker.value !== c) picker.value = c;
      if (note) {
        if (!c) {
          note.textContent = 'Give the colour as #rrggbb, like #0b5cad.';
          note.setAttribute('data-ok', 'false');
        } else {
          var ratio = contrastWithWhite(c);
          var ok = ratio >= MIN_CONTRAST;
          // Rounded down, as the server's message: a refused 4.46 never reads as 4.5.
          note.textContent = 'White text on it: ' + (Math.floor(ratio * 10) / 10).toFixed(1) + ':1 (needs ' + MIN_CONTRAST + ':1)' +
            (ok ? '.' : ': too light to read, choose a darker colour.');
          note.setAttribute('data-ok', ok ? 'true' : 'false');
        }
      }
      greeting.textContent = field('greeting').value;
      var side = field('side').value === 'left' ? 'left' : 'right';
      stage.setAttribute('data-side', side);
      var lang = field('language').value === 'es' ? 'es' : 'en';
      stage.setAttribute('data-lang', lang);
      words(lang);
      var hasLogo = /^https:\/\/\S+$/.test(field('logo_url').value.trim());
      logo.hidden = !hasLogo;
      if (logoNote) logoNote.hidden = !hasLogo;
    }

    if (picker) {
      picker.addEventListener('input', function () {
        color.value = picker.value;
        update();
      });
    }
    form.addEventListener('input', update);
    form.addEventListener('change', update);
    update();
    stage.setAttribute('data-ready', 'true'); // the preview follows the form from now on
  }

  function wireCopy() {
    var button = document.getElementById('widget-copy');
    var box = document.getElementById('widget-snippet');
    var status = document.getElementById('widget-copy-status');
    if (!button || !box || !status) return;
    var timer = null;

    function say(text) {
      status.textContent = text;
      if (timer) clearTimeout(timer);
      timer = setTimeout(function () { status.textContent = ''; }, 4000);
    }

    /* Without the async clipboard (an insecure context, an old browser): select the text, so
       that the browser's own copy works, and try the old command too. */
    function fallback() {
      box.focus();
      box.select();
      box.setSelectionRange(0, box.value.length);
      var copied = false;
      try { copied = document.execCommand('copy'); } catch (e) { copied = false; }
      say(copied ? 'Copied' : 'Selected: press Ctrl+C (or ⌘C) to copy');
    }

    button.addEventListener('click', function () {
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(box.value).then(function () { say('Copied'); }, fallback);
      } else {
        fallback();
      }
    });
    // Clicking into the read-only box selects the whole snippet, ready to copy by hand.
    box.addEventListener('focus', function () { box.select(); });
  }

  function start() {
    wirePreview();
    wireCopy();
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
