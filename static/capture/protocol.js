// Runs the study's protocol (data from collector/protocol.py): every phase start/end,
// trial and rating is reported through emit(name, data) and stored as an event.
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class ProtocolRunner {
  constructor({ stage, protocol, emit, startIndex = 0, onPhaseDone }) {
    this.stage = stage;
    this.phases = (protocol && protocol.phases) || [];
    this.emit = emit;
    this.startIndex = startIndex;
    this.onPhaseDone = onPhaseDone || (() => {});
  }

  async run() {
    for (let index = this.startIndex; index < this.phases.length; index++) {
      const phase = this.phases[index];
      const base = { phase: phase.name, kind: phase.kind, index };
      this.stage.dataset.phase = phase.name;
      this.stage.dataset.kind = phase.kind;
      await this.emit("phase_start", base);
      const summary = (await this[phase.kind](phase)) || {};
      await this.emit("phase_end", { ...base, ...summary });
      this.onPhaseDone(index);
    }
    this.stage.dataset.phase = "";
    this.stage.dataset.kind = "done";
    this.stage.innerHTML = '<p class="protocol-done">All tasks are done. Saving your data…</p>';
  }

  show(html) {
    this.stage.innerHTML = html;
  }

  async instructions(phase) {
    this.show(`<div class="protocol-text">${escapeHtml(phase.text || "")}</div>
      <button type="button" id="protocol-continue">Continue</button>`);
    const clicked = new Promise((resolve) => { this.stage.querySelector("#protocol-continue").onclick = resolve; });
    const timed = phase.duration_s ? sleep(phase.duration_s * 1000) : new Promise(() => {});
    await Promise.race([clicked, timed]);
  }

  async rest(phase) {
    this.show(`<div class="protocol-text">${escapeHtml(phase.text || "Relax and look at the cross.")}</div>
      <div class="fixation">+</div><div class="countdown" id="rest-countdown"></div>`);
    await countdown(this.stage.querySelector("#rest-countdown"), phase.duration_s);
  }

  async stroop(phase) {
    const colors = phase.colors || { red: "r", green: "g", blue: "b", yellow: "y" };
    const names = Object.keys(colors);
    const keyList = names.map((n) => `<kbd>${colors[n]}</kbd> ${n}`).join(" · ");
    this.show(`<p class="protocol-hint">Press the key for the INK colour of the word: ${keyList}</p>
      <div id="stroop-word" class="stroop-word"></div><div id="trial-feedback" class="feedback"></div>`);
    const word = this.stage.querySelector("#stroop-word");
    const feedback = this.stage.querySelector("#trial-feedback");
    const end = performance.now() + phase.duration_s * 1000;
    const timeoutMs = (phase.trial_timeout_s || 2.5) * 1000;
    let trial = 0;
    let correctCount = 0;
    while (performance.now() < end) {
      const congruent = Math.random() >= (phase.incongruent_ratio ?? 0.5);
      const text = pick(names);
      const ink = congruent ? text : pick(names.filter((n) => n !== text));
      word.textContent = text.toUpperCase();
      word.style.color = ink;
      word.dataset.ink = ink;
      word.dataset.key = colors[ink];
      feedback.textContent = "";
      const shown = performance.now();
      const key = await waitKey(Object.values(colors), Math.min(timeoutMs, Math.max(0, end - shown)));
      const rt = performance.now() - shown;
      const response = key === null ? null : names.find((n) => colors[n] === key);
      const correct = response === ink;
      correctCount += correct ? 1 : 0;
      await this.emit("stroop_trial", {
        phase: phase.name, trial, word: text, ink, congruent, key, response, correct,
        rt_ms: key === null ? null : rt, timed_out: key === null,
      });
      trial += 1;
      word.textContent = "";
      feedback.textContent = key === null ? "Too slow" : correct ? "Correct" : "Wrong";
      feedback.className = `feedback ${correct ? "ok" : "bad"}`;
      await sleep(300);
    }
    return { trials: trial, correct: correctCount };
  }

  async arithmetic(phase) {
    this.show(`<p class="protocol-hint">Solve each problem. Type the one-digit answer before the time bar runs out.</p>
      <div class="performance"><div class="bar-label">You</div><div class="bar"><div id="perf-you" class="bar-fill"></div></div>
      <div class="bar-label">Average</div><div class="bar"><div id="perf-average" class="bar-fill average"></div></div></div>
      <div id="arith-problem" class="arith-problem"></div>
      <div class="bar time"><div id="arith-timer" class="bar-fill"></div></div>
      <div id="trial-feedback" class="feedback"></div>`);
    const problemEl = this.stage.querySelector("#arith-problem");
    const timer = this.stage.querySelector("#arith-timer");
    const feedback = this.stage.querySelector("#trial-feedback");
    const you = this.stage.querySelector("#perf-you");
    this.stage.querySelector("#perf-average").style.width = `${(phase.average_score ?? 0.85) * 100}%`;
    const end = performance.now() + phase.duration_s * 1000;
    let limitMs = (phase.time_limit_s || 6) * 1000;
    const minLimitMs = (phase.min_time_limit_s || 2) * 1000;
    let trial = 0;
    let correctCount = 0;
    let streak = 0;
    while (performance.now() < end) {
      const { text, answer } = arithmeticProblem();
      problemEl.textContent = `${text} = ?`;
      problemEl.dataset.problem = text;
      feedback.textContent = "";
      const shown = performance.now();
      const waitMs = Math.min(limitMs, Math.max(0, end - shown));
      timer.style.transition = "none";
      timer.style.width = "100%";
      requestAnimationFrame(() => {
        timer.style.transition = `width ${waitMs}ms linear`;
        timer.style.width = "0%";
      });
      const key = await waitKey(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"], waitMs);
      const rt = performance.now() - shown;
      const response = key === null ? null : Number(key);
      const correct = response === answer;
      correctCount += correct ? 1 : 0;
      await this.emit("arithmetic_trial", {
        phase: phase.name, trial, problem: text, answer, response, correct,
        rt_ms: key === null ? null : rt, time_limit_ms: limitMs, timed_out: key === null,
      });
      trial += 1;
      problemEl.textContent = "";
      // MIST-style adaptation: three right in a row shortens the limit, three misses lengthen it.
      streak = correct ? Math.max(1, streak + 1) : Math.min(-1, streak - 1);
      if (streak >= 3) { limitMs = Math.max(minLimitMs, limitMs * 0.9); streak = 0; }
      if (streak <= -3) { limitMs *= 1.1; streak = 0; }
      you.style.width = `${(100 * correctCount) / trial}%`;
      feedback.textContent = key === null ? "Time out" : correct ? "Correct" : "Incorrect";
      feedback.className = `feedback ${correct ? "ok" : "bad"}`;
      await sleep(500);
    }
    return { trials: trial, correct: correctCount, final_time_limit_ms: limitMs };
  }

  async rating(phase) {
    const scales = phase.scales || ["sam", "vas"];
    const sam = scales.includes("sam") ? `
      <label>How pleasant do you feel? (1 very unpleasant – 9 very pleasant)
        <input type="range" id="sam-valence" min="1" max="9" step="1" value="5"></label>
      <label>How aroused / activated do you feel? (1 calm – 9 excited)
        <input type="range" id="sam-arousal" min="1" max="9" step="1" value="5"></label>
      <label>How in control do you feel? (1 controlled – 9 in control)
        <input type="range" id="sam-dominance" min="1" max="9" step="1" value="5"></label>` : "";
    const vas = scales.includes("vas") ? `
      <label>How stressed do you feel right now? (0 not at all – 100 extremely)
        <input type="range" id="vas-stress" min="0" max="100" step="1" value="50"></label>` : "";
    this.show(`<form id="rating-form" class="rating">${sam}${vas}
      <button type="submit" id="rating-submit">Continue</button></form>`);
    const shown = performance.now();
    const form = this.stage.querySelector("#rating-form");
    await new Promise((resolve) => { form.onsubmit = (e) => { e.preventDefault(); resolve(); }; });
    const value = (id) => Number(this.stage.querySelector(id).value);
    const responses = {};
    if (sam) {
      responses.sam = {
        valence: value("#sam-valence"), arousal: value("#sam-arousal"), dominance: value("#sam-dominance"),
      };
    }
    if (vas) responses.vas = { stress: value("#vas-stress") };
    const responseTime = Math.round(performance.now() - shown);
    await this.emit("rating", { phase: phase.name, responses, response_time_ms: responseTime });
    return { responses };
  }
}

function arithmeticProblem() {
  // Two or three operands whose result is a single digit (as in the MIST).
  for (;;) {
    const a = randInt(2, 20);
    const b = randInt(1, 12);
    const c = randInt(1, 9);
    const ops = [pick(["+", "-", "*"]), pick(["+", "-"])];
    const text = `${a} ${ops[0]} ${b} ${ops[1]} ${c}`;
    const first = ops[0] === "+" ? a + b : ops[0] === "-" ? a - b : a * b;
    const answer = ops[1] === "+" ? first + c : first - c;
    if (answer >= 0 && answer <= 9) return { text, answer };
  }
}

function waitKey(keys, timeoutMs) {
  return new Promise((resolve) => {
    const onKey = (event) => {
      const key = event.key.toLowerCase();
      if (!keys.includes(key)) return;
      event.preventDefault();
      done(key);
    };
    const timer = setTimeout(() => done(null), timeoutMs);
    const done = (key) => {
      clearTimeout(timer);
      document.removeEventListener("keydown", onKey);
      resolve(key);
    };
    document.addEventListener("keydown", onKey);
  });
}

async function countdown(el, seconds) {
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    el.textContent = `${Math.ceil((end - performance.now()) / 1000)} s`;
    await sleep(Math.min(250, end - performance.now()));
  }
}

function pick(list) {
  return list[Math.floor(Math.random() * list.length)];
}

function randInt(lo, hi) {
  return lo + Math.floor(Math.random() * (hi - lo + 1));
}

function escapeHtml(text) {
  const div = document.createElement("div");
  div.textContent = text;
  return div.innerHTML;
}
