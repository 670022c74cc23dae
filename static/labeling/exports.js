// Polls the export status while any export is queued or running and updates the table.
const table = document.getElementById("export-jobs");

async function refresh() {
  const response = await fetch(table.dataset.statusUrl, { credentials: "same-origin" });
  if (!response.ok) return false;
  const { jobs } = await response.json();
  let busy = false;
  for (const job of jobs) {
    const row = table.querySelector(`tr[data-uid="${job.uid}"]`);
    if (!row) { busy = true; continue; }
    row.querySelector(".status").textContent = job.error ? `${job.status}: ${job.error}` : job.status;
    row.querySelector("progress").value = job.progress;
    if (job.counts) row.querySelector(".frames").textContent = job.counts.frames;
    const cell = row.querySelector(".download");
    if (job.downloadable && !cell.querySelector("a")) {
      const link = document.createElement("a");
      link.href = `${location.pathname}${job.uid}/download/`;
      link.textContent = "zip";
      cell.replaceChildren(link);
    }
    if (job.status === "queued" || job.status === "running") busy = true;
  }
  return busy;
}

async function loop() {
  const busy = await refresh().catch(() => true);
  if (busy) setTimeout(loop, 1500);
}

if (table) loop();
