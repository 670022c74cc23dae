// Live model outputs in the study monitor: adds "Emotion" and "Stress" columns to every
// session row (tr[data-session]) and refreshes them from the retraining predictions API.
(function () {
  "use strict";
  const rows = document.getElementById("monitor-rows");
  if (!rows) return;
  const header = document.querySelector("#monitor thead tr");
  if (header) {
    for (const title of ["Emotion (model)", "Stress (model)"]) {
      const th = document.createElement("th");
      th.textContent = title;
      header.appendChild(th);
    }
  }

  function cell(row, field) {
    let td = row.querySelector(`td[data-field="${field}"]`);
    if (!td) {
      td = document.createElement("td");
      td.dataset.field = field;
      td.textContent = "–";
      row.appendChild(td);
    }
    return td;
  }

  async function refresh(row) {
    const emotion = cell(row, "model_emotion");
    const stress = cell(row, "model_stress");
    try {
      const response = await fetch(`/retraining/sessions/${row.dataset.session}/predictions.json`,
        { credentials: "same-origin" });
      if (!response.ok) return;
      const current = ((await response.json()).predictions || {}).current || {};
      if (current.emotion) {
        emotion.textContent = `${current.emotion} ${Math.round(current.emotion_prob * 100)} %`;
      }
      if (current.stress != null) stress.textContent = current.stress.toFixed(2);
    } catch (err) {
      // The next tick retries; the monitor itself keeps working without predictions.
    }
  }

  function tick() {
    rows.querySelectorAll("tr[data-session]").forEach(refresh);
  }
  tick();
  setInterval(tick, 5000);
})();
