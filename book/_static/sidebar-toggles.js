/*
 * Make the visible sidebar buttons work at every screen width.
 *
 * sphinx-book-theme 1.3 puts its own "Toggle primary sidebar" and "On this page" buttons in the
 * article header, but pydata-sphinx-theme 0.17 wires only the FIRST .primary-toggle and
 * .secondary-toggle on the page, which are its own (hidden) navbar buttons. On a phone the visible
 * buttons therefore did nothing and the site navigation could not be opened. Here every further
 * toggle forwards its click to the wired one, which opens the navigation drawer on narrow screens
 * and collapses the sidebar on wide ones. Checked by tests/browser/test_browser_book.py.
 */
(function () {
  function forwardToggles() {
    ["primary-toggle", "secondary-toggle"].forEach(function (cls) {
      var buttons = document.querySelectorAll("." + cls);
      var wired = buttons[0];
      for (var i = 1; i < buttons.length; i++) {
        buttons[i].addEventListener("click", function (event) {
          event.preventDefault();
          event.stopPropagation();
          wired.click();
        });
      }
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", forwardToggles);
  } else {
    forwardToggles();
  }
})();
