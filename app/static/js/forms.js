// After a form is refused, take the reader to the error summary, as GOV.UK Frontend's own
// script would: on a fresh page, and after htmx swaps a refused form into the page (the
// content security policy allows no inline script, so this is a file of its own).
(function () {
  function focusSummary(root) {
    var summary = (root || document).querySelector('.govuk-error-summary');
    if (!summary) return;
    summary.setAttribute('tabindex', '-1');
    summary.focus();
  }
  document.addEventListener('DOMContentLoaded', function () { focusSummary(document); });
  document.addEventListener('htmx:afterSettle', function (event) {
    var status = event.detail && event.detail.xhr ? event.detail.xhr.status : 0;
    if (status === 409 || status === 422) focusSummary(event.detail.target);
  });
})();
