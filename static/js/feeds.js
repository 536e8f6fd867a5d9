// Copy buttons on the subscribe and private-link pages: copy the address beside the button.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy-target]");
  if (!button) return;
  const input = document.getElementById(button.dataset.copyTarget);
  if (!input) return;
  try {
    await navigator.clipboard.writeText(input.value);
  } catch {
    input.select();
    document.execCommand("copy");
  }
  const label = button.textContent;
  button.textContent = button.dataset.copiedText || "✓";
  setTimeout(() => { button.textContent = label; }, 1500);
});
