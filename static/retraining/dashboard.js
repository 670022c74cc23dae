// Charts for the retraining metrics dashboard (admin). Data comes from json_script tags;
// spec targets are drawn as dashed reference lines.
(function () {
  "use strict";
  const TARGET_STYLE = { borderDash: [6, 4], borderColor: "#d62728", pointRadius: 0, borderWidth: 1.5, fill: false };
  const palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#17becf", "#e377c2"];

  function readJSON(id) {
    const el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function chart(id, config) {
    const canvas = document.getElementById(id);
    if (!canvas) return null;
    config.options = Object.assign({ animation: false, responsive: true, maintainAspectRatio: true }, config.options || {});
    const instance = new Chart(canvas, config);
    canvas.dataset.rendered = "true";
    return instance;
  }

  function referenceLine(label, value, xs) {
    // Spans half a version either side so the line shows even for a single version.
    const ends = [Math.min.apply(null, xs) - 0.5, Math.max.apply(null, xs) + 0.5];
    return Object.assign({ label: label, data: ends.map((x) => ({ x: x, y: value })), type: "line" }, TARGET_STYLE);
  }

  function historyChart(id, rows, kind, targets) {
    if (!rows || !rows.length) return;
    const xs = rows.map((r) => r.version);
    const keyLabel = kind === "emotion" ? "macro-F1" : "AUC";
    const datasets = [
      { label: "accuracy", data: rows.map((r) => ({ x: r.version, y: r.accuracy })), borderColor: palette[0] },
      { label: keyLabel, data: rows.map((r) => ({ x: r.version, y: r.key })), borderColor: palette[1] },
      referenceLine("target accuracy " + targets.accuracy, targets.accuracy, xs),
    ];
    if (kind === "stress") datasets.push(referenceLine("target AUC " + targets.auc, targets.auc, xs));
    else datasets.push(referenceLine("target per-class F1 " + targets.per_class_f1, targets.per_class_f1, xs));
    chart(id, {
      type: "line",
      data: { datasets: datasets },
      options: { scales: { x: { type: "linear", title: { display: true, text: "version" }, ticks: { stepSize: 1, precision: 0 } }, y: { min: 0, max: 1 } } },
    });
  }

  function curvesChart(id, curves) {
    if (!curves || !curves.length) return;
    const epochs = curves.map((r) => r.epoch);
    const skip = new Set(["epoch", "lr"]);
    const keys = Object.keys(curves[0]).filter((k) => !skip.has(k) && typeof curves[0][k] === "number");
    chart(id, {
      type: "line",
      data: {
        labels: epochs,
        datasets: keys.map((k, i) => ({
          label: k, data: curves.map((r) => r[k]), borderColor: palette[i % palette.length],
          yAxisID: k.indexOf("loss") >= 0 ? "loss" : "metric", pointRadius: 1,
        })),
      },
      options: { scales: { loss: { position: "left", title: { display: true, text: "loss" } },
        metric: { position: "right", min: 0, max: 1, grid: { drawOnChartArea: false } },
        x: { title: { display: true, text: "epoch" } } } },
    });
  }

  function versionPage(data) {
    const m = data.metrics || {};
    if (data.kind === "emotion" && m.per_class) {
      const names = data.class_names.filter((n) => m.per_class[n]);
      chart("per-class-f1", {
        type: "bar",
        data: {
          labels: names,
          datasets: [
            { label: "F1", data: names.map((n) => m.per_class[n].f1), backgroundColor: palette[0] },
            Object.assign({ label: "target F1 " + data.targets.per_class_f1, type: "line",
              data: names.map(() => data.targets.per_class_f1) }, TARGET_STYLE),
          ],
        },
        options: { scales: { y: { min: 0, max: 1 } } },
      });
    }
    if (data.kind === "stress" && m.roc) {
      const roc = m.roc.fpr.map((x, i) => ({ x: x, y: m.roc.tpr[i] }));
      chart("roc-curve", {
        type: "scatter",
        data: { datasets: [
          { label: "ROC (AUC " + (m.auc == null ? "n/a" : m.auc.toFixed(3)) + ", target 0.75)", data: roc, showLine: true, borderColor: palette[0], pointRadius: 0 },
          Object.assign({ label: "chance", data: [{ x: 0, y: 0 }, { x: 1, y: 1 }], showLine: true }, TARGET_STYLE, { borderColor: "#999" }),
        ] },
        options: { scales: { x: { min: 0, max: 1, title: { display: true, text: "false positive rate" } }, y: { min: 0, max: 1, title: { display: true, text: "true positive rate" } } } },
      });
    }
    if (data.kind === "stress" && m.calibration) {
      const c = m.calibration;
      const pts = c.mean_predicted.map((x, i) => ({ x: x, y: c.fraction_positive[i] })).filter((p) => p.x != null && p.y != null);
      chart("calibration", {
        type: "scatter",
        data: { datasets: [
          { label: "model (ECE " + (m.ece == null ? "n/a" : m.ece.toFixed(3)) + ")", data: pts, showLine: true, borderColor: palette[1], pointRadius: 3 },
          Object.assign({ label: "perfect calibration", data: [{ x: 0, y: 0 }, { x: 1, y: 1 }], showLine: true }, TARGET_STYLE, { borderColor: "#999" }),
        ] },
        options: { scales: { x: { min: 0, max: 1, title: { display: true, text: "mean predicted" } }, y: { min: 0, max: 1, title: { display: true, text: "fraction positive" } } } },
      });
    }
    curvesChart("training-curves", data.curves);
    historyChart("history", data.history, data.kind, data.targets);
  }

  document.addEventListener("DOMContentLoaded", function () {
    const version = readJSON("version-data");
    if (version) versionPage(version);
    const overview = readJSON("dashboard-data");
    if (overview) {
      historyChart("history-emotion", overview.history.emotion, "emotion", overview.targets.emotion);
      historyChart("history-stress", overview.history.stress, "stress", overview.targets.stress);
    }
    document.body.dataset.chartsReady = "true";
  });
})();
