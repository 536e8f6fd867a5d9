// Category colours: pages carry them as data-color (no style attributes, so that a
// Content-Security-Policy without 'unsafe-inline' holds); badges, swatches and calendar
// entries paint with --badge-color, which defaults to the site blue in app.css.
for (const element of document.querySelectorAll("[data-color]")) {
  element.style.setProperty("--badge-color", element.dataset.color);
}
