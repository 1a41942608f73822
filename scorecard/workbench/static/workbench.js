// Polls the rebuild status while a build runs; the pages work without it.
"use strict";
(function () {
  const box = document.getElementById("builds");
  if (!box) { return; }
  async function poll() {
    const res = await fetch(box.dataset.statusUrl, {cache: "no-store"});
    const data = await res.json();
    box.replaceChildren(...data.builds.map(function (b) {
      const s = document.createElement("section");
      s.className = "build";
      const h = document.createElement("h3");
      h.textContent = b.name + ": ";
      const st = document.createElement("span");
      st.className = "status";
      st.textContent = b.status;
      h.appendChild(st);
      const pre = document.createElement("pre");
      pre.textContent = (b.error ? b.error + "\n" : "") + b.progress.join("\n");
      s.append(h, pre);
      return s;
    }));
    if (data.builds.some(function (b) { return b.status === "queued" || b.status === "running"; })) {
      setTimeout(poll, 1000);
    } else {
      box.dataset.done = "true";
    }
  }
  poll();
})();
