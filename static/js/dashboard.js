// Dashboard: the "Print" button prints the page (the print stylesheet hides the navigation).
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("[data-print-page]")) {
    button.addEventListener("click", () => window.print());
  }
});
