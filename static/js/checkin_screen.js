// Sign-in screen: poll the live figures every few seconds, replace the QR code when its period
// changes, and update the count and the latest sign-ins. Without JavaScript the page refreshes.
(function () {
  "use strict";
  var screen = document.getElementById("checkin-screen");
  if (!screen || !window.fetch) { return; }
  var url = screen.getAttribute("data-live-url");
  var period = screen.getAttribute("data-period");
  var qr = document.getElementById("checkin-qr");
  var count = document.getElementById("checkin-count");
  var invited = document.getElementById("checkin-invited");
  var latest = document.getElementById("checkin-latest");
  var windowNote = document.getElementById("checkin-window");

  function show(figures) {
    if (String(figures.period) !== period) {
      period = String(figures.period);
      qr.innerHTML = figures.qr;
    }
    count.textContent = figures.count;
    if (invited) { invited.textContent = figures.invited; }
    windowNote.hidden = figures.window === "open";
    while (latest.firstChild) { latest.removeChild(latest.firstChild); }
    figures.latest.forEach(function (line) {
      var item = document.createElement("li");
      item.textContent = line;
      latest.appendChild(item);
    });
  }

  function poll() {
    fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (figures) { if (figures) { show(figures); } })
      .catch(function () {})
      .then(function () { window.setTimeout(poll, 2000); });
  }
  window.setTimeout(poll, 2000);
})();
