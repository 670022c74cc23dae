// Live monitor: one row per session, updated from the study's channel group.
const table = document.getElementById("monitor");
const rows = document.getElementById("monitor-rows");
const statusEl = document.getElementById("monitor-status");
const COLUMNS = ["participant", "session", "state", "phase", "fps", "frames_stored", "face_ratio"];

function render(stats) {
  let row = rows.querySelector(`tr[data-session="${stats.session}"]`);
  if (!row) {
    row = document.createElement("tr");
    row.dataset.session = stats.session;
    COLUMNS.forEach((name) => {
      const cell = document.createElement("td");
      cell.dataset.field = name;
      row.appendChild(cell);
    });
    rows.prepend(row);
  }
  row.dataset.state = stats.state;
  for (const name of COLUMNS) {
    let value = stats[name];
    if (name === "session") value = String(value).slice(0, 8);
    if (name === "face_ratio" && value != null) value = `${Math.round(value * 100)} %`;
    row.querySelector(`[data-field="${name}"]`).textContent = value ?? "–";
  }
}

function connect(attempt = 0) {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const ws = new WebSocket(`${scheme}://${location.host}${table.dataset.wsPath}`);
  ws.onopen = () => { statusEl.textContent = "Live"; attempt = 0; };
  ws.onmessage = (msg) => render(JSON.parse(msg.data));
  ws.onclose = (close) => {
    statusEl.textContent = close.code === 4403 ? "You cannot monitor this study." : "Reconnecting…";
    if (close.code !== 4403) setTimeout(() => connect(attempt + 1), Math.min(5000, 500 * 2 ** attempt));
  };
}

JSON.parse(document.getElementById("monitor-initial").textContent).forEach(render);
connect();
