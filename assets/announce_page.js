// Screen readers hear the new page's title when the app changes page without a
// reload: a client-side route change moves no focus and fires no load, so
// without this a person who follows a link hears nothing until they explore.
// The live region sits outside React's tree, so it outlives every page (a
// region must exist before its text changes for it to be announced).
(() => {
  const start = () => {
    const region = document.createElement("div");
    region.id = "page-announcer";
    region.setAttribute("aria-live", "polite");
    region.setAttribute("aria-atomic", "true");
    // Out of sight, still read (the usual visually-hidden rules).
    region.style.cssText =
      "position:absolute;width:1px;height:1px;margin:-1px;padding:0;border:0;" +
      "overflow:hidden;clip:rect(0 0 0 0);clip-path:inset(50%);white-space:nowrap";
    document.body.appendChild(region);
    let announced = document.title;
    new MutationObserver(() => {
      if (document.title && document.title !== announced) {
        announced = document.title;
        region.textContent = announced;
      }
    }).observe(document.head, { childList: true, subtree: true, characterData: true });
  };
  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();
