// "打印台账": print the page; the print stylesheet shows only the ledger page.
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) window.print();
});
