// The Hours page is long: a refused form comes back with the message beside the field that is
// wrong, often far below the top. Bring that field into view and give it the focus.
document.addEventListener("DOMContentLoaded", () => {
  const wrong = document.querySelector('.settings [aria-invalid="true"]');
  if (wrong) wrong.focus();
});
