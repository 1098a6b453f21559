// Chapter selector: go to the chosen chapter at once; the Go button remains for no-JS readers.
document.addEventListener("change", (event) => {
  const select = event.target.closest(".chapter-select select");
  if (select) select.form.submit();
});
