// The "Copy" button beside a secret shown once (settings/tokens.html). A file of its own, loaded
// with `defer`: the content security policy allows no inline script or event handler. The button
// stays hidden (govuk-!-display-none) unless the Clipboard API is there to make it work; without it
// the secret is still in a readonly text field, selected whole when it gets focus.
(function () {
  'use strict';

  function announce(id, text) {
    var status = document.querySelector('[data-copy-status="' + id + '"]');
    if (status) {
      status.textContent = text;
    }
  }

  function setUp() {
    document.querySelectorAll('[data-select-on-focus]').forEach(function (field) {
      field.addEventListener('focus', function () { field.select(); });
      field.addEventListener('click', function () { field.select(); });
    });
    if (!window.isSecureContext || !navigator.clipboard || !navigator.clipboard.writeText) {
      return;
    }
    document.querySelectorAll('button[data-copy-from]').forEach(function (button) {
      var id = button.getAttribute('data-copy-from');
      var field = document.getElementById(id);
      if (!field) {
        return;
      }
      button.addEventListener('click', function () {
        navigator.clipboard.writeText(field.value).then(function () {
          button.textContent = 'Copied';
          announce(id, 'The token is copied to your clipboard.');
        }, function () {
          field.focus();
          field.select();
          announce(id, 'The token could not be copied; it is selected: press Ctrl+C (⌘C on a Mac) to copy it.');
        });
      });
      button.classList.remove('govuk-!-display-none');
    });
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', setUp);
  } else {
    setUp();
  }
}());
