// Loaded at the top of <body>, before anything is drawn: marks the page as having JavaScript,
// so that GOV.UK Frontend's styles for scripted components apply without a flash. (A file of its
// own rather than an inline script: the content security policy allows no inline script.)
document.body.className += ' js-enabled';
