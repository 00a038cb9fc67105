/// The script of an animation page: it draws the embedded runs (ladder diagram, windows,
/// timer, cwnd) at a time cursor, plays, pauses and steps them, and exposes the state drawn
/// as `window.rudpAnimation.state()` and as data attributes, so a browser test can check it.
/// URL: `#t=0.35` seeks to 0.35 s, `#step=12` to the 12th event time, `&play=1` plays.
enum AnimationScript {
    static let source = #"""
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("rudp-data").textContent);
  var runs = data.runs;
  var SVG = "http://www.w3.org/2000/svg";
  var EPS = 1e-9;

  function el(tag, attrs, parent, text) {
    var node = document.createElementNS(SVG, tag);
    for (var key in attrs) node.setAttribute(key, attrs[key]);
    if (text !== undefined) node.textContent = text;
    if (parent) parent.appendChild(node);
    return node;
  }
  function html(tag, cls, parent, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    if (parent) parent.appendChild(node);
    return node;
  }
  function ms(seconds) {
    var value = seconds * 1000;
    return (Math.abs(value) >= 100 ? value.toFixed(0) : value.toFixed(1).replace(/\.0$/, "")) + " ms";
  }
  function secs(seconds) { return seconds.toFixed(3) + " s"; }
  function rate(bits) {
    return bits >= 1e9 ? bits / 1e9 + " Gbit/s" : bits >= 1e6 ? bits / 1e6 + " Mbit/s" : bits / 1e3 + " kbit/s";
  }
  function lossTime(run, f) { return f.sent + run.one_way_delay / 2; }
  function endOf(run, f) { return f.arrived !== null ? f.arrived : lossTime(run, f); }
  function lastAtOrBefore(list, t) {
    var found = null;
    for (var i = 0; i < list.length && list[i].t <= t + EPS; i++) found = list[i];
    return found;
  }
  function isData(f) { return f.kind === "data"; }

  // Every moment something happens: the steps of step forward and back.
  var stepSet = {};
  function addTime(t) { stepSet[Math.round(t * 1e6)] = true; }
  addTime(0);
  runs.forEach(function (run) {
    run.flights.forEach(function (f) { addTime(f.sent); addTime(endOf(run, f)); });
    run.marks.forEach(function (m) { addTime(m.t); });
    run.sender.forEach(function (s) { addTime(s.t); });
    run.receiver.forEach(function (r) { addTime(r.t); });
  });
  var steps = Object.keys(stepSet).map(Number).sort(function (a, b) { return a - b; })
    .map(function (us) { return us / 1e6; });
  var end = steps[steps.length - 1];
  // At 1x, one one-way delay of the link lasts one second of the viewer's time.
  var pace = Math.max.apply(null, runs.map(function (r) { return r.one_way_delay; })) || 0.05;

  var now = 0, playing = false, speed = 1, lastFrame = null;

  // ---- Building the views ----
  var views = runs.map(function (run, number) { return buildRun(run, number); });

  function buildRun(run, number) {
    var section = document.getElementById("run-" + number);
    var view = { run: run, section: section, flights: [], marks: [], timers: [] };
    var owd = run.one_way_delay > 0 ? run.one_way_delay : 0.01;
    var scale = Math.min(Math.max(120 / owd, 20), 400000);
    if (run.end * scale > 24000) scale = 24000 / Math.max(run.end, EPS);
    // Left of the sender: the time axis, then timeouts and fast resends, then ACK arrivals.
    var top = 46, xS = 226, xR = 496, width = 580, markEdge = xS - 84;
    var height = top + run.end * scale + 60;
    view.y = function (t) { return top + t * scale; };
    view.xS = xS; view.xR = xR;
    var box = section.querySelector(".ladder-box");
    var svg = el("svg", { width: width, height: height, viewBox: "0 0 " + width + " " + height,
                          class: "ladder", role: "img", "aria-label": "ladder diagram of " + run.title }, box);
    view.box = box;
    // Time axis on the left.
    var tick = niceStep(run.end / Math.max(height / 70, 1));
    for (var t = 0; t <= run.end + EPS; t += tick) {
      el("line", { x1: 52, x2: 58, y1: view.y(t), y2: view.y(t), class: "tick" }, svg);
      el("text", { x: 48, y: view.y(t) + 4, class: "tick-label", "text-anchor": "end" }, svg, ms(t));
    }
    el("text", { x: xS, y: 20, class: "side-label", "text-anchor": "middle" }, svg, "Sender");
    el("text", { x: xR, y: 20, class: "side-label", "text-anchor": "middle" }, svg, "Receiver");
    el("line", { x1: xS, x2: xS, y1: top - 10, y2: height - 20, class: "axis" }, svg);
    el("line", { x1: xR, x2: xR, y1: top - 10, y2: height - 20, class: "axis" }, svg);
    el("text", { x: (xS + xR) / 2, y: 36, class: "link-label", "text-anchor": "middle" }, svg,
       "link: " + ms(run.one_way_delay) + " each way" + (run.rate ? ", " + rate(run.rate) : "")
       + (run.source === "simulation" ? "" : " (estimated)"));

    // Timer spans: while the retransmission timer runs with one deadline.
    var spans = [];
    run.sender.forEach(function (s, i) {
      var last = spans.length ? spans[spans.length - 1] : null;
      if (s.timer !== null && last && last.deadline === s.timer && last.open) return;
      if (last && last.open) { last.stop = s.t; last.open = false; }
      if (s.timer !== null) {
        spans.push({ start: s.rto_ms !== null ? Math.min(s.t, s.timer - s.rto_ms / 1000) : s.t, from: s.t,
                     deadline: s.timer, stop: s.timer, open: true });
      }
    });
    spans.forEach(function (span) {
      span.stop = Math.min(span.stop, span.deadline);
      var g = el("g", { class: "timer-span" }, svg);
      var bar = el("line", { x1: xS - 7, x2: xS - 7, y1: view.y(span.start), y2: view.y(span.start), class: "timer-bar" }, g);
      view.timers.push({ span: span, bar: bar });
    });

    run.flights.forEach(function (f, i) {
      var toRight = f.to_receiver;
      var x1 = toRight ? xS : xR, x2 = toRight ? xR : xS;
      var t2 = endOf(run, f);
      if (f.arrived === null) x2 = (xS + xR) / 2;
      var cls = "flight " + (f.kind === "data" ? "data" : f.kind === "ack" ? "ack" : "control")
        + (f.transmission > 1 ? " retransmission" : "") + (f.arrived === null ? " lost" : "") + (f.estimated ? " estimated" : "");
      var g = el("g", { class: cls, "data-flight": i, "data-visible": "0" }, svg);
      var line = el("line", { x1: x1, y1: view.y(f.sent), x2: x1, y2: view.y(f.sent) }, g);
      var head = el("g", { class: "head" }, g);
      var short = f.kind === "data" && f.index !== null ? String(f.index) : f.kind === "ack" ? "A" + f.cumulative : f.label;
      var labelWidth = Math.max(18, short.length * 6.4 + 8);
      el("rect", { x: -labelWidth / 2, y: -7, width: labelWidth, height: 14, rx: 5 }, head);
      el("text", { x: 0, y: 4, "text-anchor": "middle" }, head, short);
      var endLabel = el("text", { class: "end-label", x: toRight ? x2 + 8 : x2 - 8, y: view.y(t2) + 4,
                                  "text-anchor": f.arrived === null ? "middle" : (toRight ? "start" : "end") }, g,
                        f.arrived === null ? "" : f.label);
      var cross = null;
      if (f.arrived === null) {
        endLabel.setAttribute("y", view.y(t2) - 12);
        endLabel.textContent = f.label + (f.estimated ? " presumed lost" : " lost");
        cross = el("g", { class: "cross" }, g);
        el("circle", { cx: x2, cy: view.y(t2), r: 9 }, cross);
        el("text", { x: x2, y: view.y(t2) + 5, "text-anchor": "middle" }, cross, "\u2715");
      }
      view.flights.push({ f: f, g: g, line: line, head: head, endLabel: endLabel, cross: cross, x1: x1, x2: x2, t2: t2 });
    });

    run.marks.forEach(function (m) {
      var g = el("g", { class: "mark " + m.kind, "data-visible": "0" }, svg);
      el("line", { x1: markEdge + 4, x2: markEdge + 14, y1: view.y(m.t), y2: view.y(m.t) }, g);
      el("circle", { cx: xS, cy: view.y(m.t), r: 4 }, g);
      el("text", { x: markEdge, y: view.y(m.t) + 4, "text-anchor": "end" }, g,
         m.kind === "timeout" ? "timeout " + m.index : "fast resend " + m.index);
      view.marks.push({ m: m, g: g });
    });

    view.cursor = el("g", { class: "cursor" }, svg);
    view.cursorLine = el("line", { x1: 60, x2: width - 10, y1: top, y2: top }, view.cursor);
    view.cursorText = el("text", { x: width - 12, y: top - 4, "text-anchor": "end" }, view.cursor, "");

    view.senderRow = section.querySelector(".sender-row");
    view.receiverRow = section.querySelector(".receiver-row");
    view.timerBox = section.querySelector(".timer");
    view.counters = section.querySelector(".counters");
    view.log = section.querySelector(".log");
    view.cwnd = buildCwnd(run, section.querySelector(".cwnd"));
    view.events = eventList(run);
    return view;
  }

  function niceStep(raw) {
    var power = Math.pow(10, Math.floor(Math.log10(Math.max(raw, 1e-6))));
    var choices = [1, 2, 5, 10];
    for (var i = 0; i < choices.length; i++) if (choices[i] * power >= raw) return choices[i] * power;
    return 10 * power;
  }

  function buildCwnd(run, holder) {
    var points = run.sender.filter(function (s) { return s.cwnd !== null; });
    if (!points.length) { holder.hidden = true; return null; }
    var w = 320, h = 130, left = 36, bottom = h - 20;
    var maxW = Math.max.apply(null, points.map(function (p) { return p.cwnd; })) * 1.15 || 1;
    var x = function (t) { return left + (w - left - 8) * t / Math.max(run.end, EPS); };
    var y = function (c) { return bottom - (bottom - 10) * c / maxW; };
    var svg = el("svg", { width: w, height: h, viewBox: "0 0 " + w + " " + h, class: "cwnd-chart" }, holder);
    el("line", { x1: left, x2: w - 8, y1: bottom, y2: bottom, class: "axis" }, svg);
    el("line", { x1: left, x2: left, y1: 8, y2: bottom, class: "axis" }, svg);
    el("text", { x: left - 4, y: y(maxW / 1.15) + 4, "text-anchor": "end", class: "tick-label" }, svg, (maxW / 1.15).toFixed(1));
    el("text", { x: left - 4, y: bottom + 4, "text-anchor": "end", class: "tick-label" }, svg, "0");
    el("text", { x: w - 8, y: h - 4, "text-anchor": "end", class: "tick-label" }, svg, secs(run.end));
    var d = "", previous = null;
    points.forEach(function (p) {
      d += (previous === null ? "M" + x(p.t) + "," + y(p.cwnd) : "H" + x(p.t) + "V" + y(p.cwnd));
      previous = p;
    });
    d += "H" + x(run.end);
    el("path", { d: d, class: "cwnd-line" }, svg);
    var cursor = el("line", { x1: left, x2: left, y1: 8, y2: bottom, class: "cwnd-cursor" }, svg);
    return { x: x, cursor: cursor };
  }

  function eventList(run) {
    var list = [];
    run.flights.forEach(function (f) {
      var who = f.to_receiver ? "sender" : "receiver";
      list.push({ t: f.sent, text: (f.transmission > 1 ? "resends " : "sends ") + f.label + " (" + who + ")" });
      if (f.arrived !== null) list.push({ t: f.arrived, text: f.label + " arrives at the " + (f.to_receiver ? "receiver" : "sender") });
      else list.push({ t: lossTime(run, f), text: f.label + (f.estimated ? " presumed lost" : " is lost on the link") });
    });
    run.marks.forEach(function (m) {
      list.push({ t: m.t, text: m.kind === "timeout" ? "timer expires: timeout of packet " + m.index + (m.rto_ms !== null ? " (RTO " + m.rto_ms.toFixed(0) + " ms)" : "")
                                              : "packet " + m.index + " found lost early: fast retransmit" });
    });
    list.sort(function (a, b) { return a.t - b.t; });
    return list;
  }

  // ---- The state at the cursor ----
  function runState(view, t) {
    var run = view.run;
    var s = lastAtOrBefore(run.sender, t);
    var r = lastAtOrBefore(run.receiver, t);
    var inFlight = [], lost = 0, arrived = 0, sent = 0;
    run.flights.forEach(function (f) {
      if (f.sent > t + EPS) return;
      sent++;
      if (f.arrived !== null) { if (f.arrived <= t + EPS) arrived++; else inFlight.push(f); }
      else if (lossTime(run, f) <= t + EPS) lost++; else inFlight.push(f);
    });
    // The sender's deadline is the timer's start plus its current RTO.
    var timerStart = s && s.timer !== null && s.rto_ms !== null ? s.timer - s.rto_ms / 1000 : null;
    return {
      title: run.title, protocol: run.protocol, window: run.window,
      sender: s ? { phase: s.phase, base: s.base, next: s.next, sacked: s.sacked, timer: s.timer,
                    timer_started: timerStart, timer_running: s.timer !== null && s.timer > t + EPS,
                    rto_ms: s.rto_ms, cwnd: s.cwnd, retransmissions: s.retransmissions, timeouts: s.timeouts,
                    fast_retransmits: s.fast_retransmits } : null,
      receiver: r ? { expected: r.expected, buffered: r.buffered, discarded: r.discarded, duplicates: r.duplicates,
                      acks_sent: r.acks_sent, recorded: r.recorded } : null,
      in_flight: inFlight.map(function (f) {
        return { kind: f.kind, label: f.label, index: f.index, cumulative: f.cumulative, retransmission: f.transmission > 1,
                 to_receiver: f.to_receiver };
      }),
      sent: sent, arrived: arrived, lost: lost
    };
  }

  function state() {
    var stepIndex = 0;
    for (var i = 0; i < steps.length && steps[i] <= now + EPS; i++) stepIndex = i;
    return { t: now, step: stepIndex, steps: steps.length, end: end, playing: playing, speed: speed,
             runs: views.map(function (v) { return runState(v, now); }) };
  }

  // ---- Drawing ----
  function drawFlight(view, item, t) {
    var f = item.f;
    if (f.sent > t + EPS) { item.g.setAttribute("data-visible", "0"); item.g.style.display = "none"; return; }
    item.g.style.display = "";
    item.g.setAttribute("data-visible", "1");
    var span = item.t2 - f.sent;
    var fraction = span <= 0 ? 1 : Math.min(1, (t - f.sent) / span);
    var x = item.x1 + (item.x2 - item.x1) * fraction;
    var y = view.y(f.sent) + (view.y(item.t2) - view.y(f.sent)) * fraction;
    item.line.setAttribute("x2", x);
    item.line.setAttribute("y2", y);
    var flying = fraction < 1;
    item.head.style.display = flying ? "" : "none";
    item.head.setAttribute("transform", "translate(" + x + "," + y + ")");
    item.endLabel.style.display = flying ? "none" : "";
    if (item.cross) item.cross.style.display = flying ? "none" : "";
    item.g.setAttribute("data-state", flying ? "flying" : (f.arrived === null ? "lost" : "arrived"));
  }

  function boxes(row, lo, hi, classify, marks) {
    row.textContent = "";
    for (var i = lo; i < hi; i++) {
      var cell = html("span", "cell " + classify(i), row, String(i));
      cell.setAttribute("data-index", i);
      if (marks[i]) { cell.setAttribute("data-mark", marks[i]); cell.title = marks[i]; }
    }
    if (lo > 0) row.insertBefore(html("span", "more", null, "\u2026"), row.firstChild);
  }

  function drawRun(view, st, t) {
    var run = view.run;
    view.flights.forEach(function (item) { drawFlight(view, item, t); });
    view.marks.forEach(function (item) {
      var shown = item.m.t <= t + EPS;
      item.g.style.display = shown ? "" : "none";
      item.g.setAttribute("data-visible", shown ? "1" : "0");
    });
    view.timers.forEach(function (item) {
      var span = item.span;
      var stop = Math.min(span.stop, t);
      item.bar.style.display = t >= span.from - EPS && stop >= span.start ? "" : "none";
      item.bar.setAttribute("y2", view.y(Math.max(stop, span.start)));
    });
    view.cursorLine.setAttribute("y1", view.y(t));
    view.cursorLine.setAttribute("y2", view.y(t));
    view.cursorText.setAttribute("y", view.y(t) - 4);
    view.cursorText.textContent = secs(t);

    var s = st.sender, r = st.receiver;
    var windowSize = run.window;
    var total = run.packets;
    var base = s ? s.base : 0, next = s ? s.next : 0;
    var expected = r ? r.expected : 0;
    var lo = Math.max(0, Math.min(base, expected) - 3);
    var hi = Math.min(Math.max(total, next), Math.max(base, expected) + windowSize + 4);
    if (hi - lo > 40) hi = lo + 40;
    if (total <= 20 && next <= 20) { lo = 0; hi = Math.max(total, next); }
    var sacked = {};
    (s ? s.sacked : []).forEach(function (i) { sacked[i] = true; });
    var senderMarks = {}; senderMarks[base] = "base"; senderMarks[next] = (senderMarks[next] ? "base = next" : "next");
    boxes(view.senderRow, lo, hi, function (i) {
      var cls = i < base ? "acked" : sacked[i] ? "sacked" : i < next ? "outstanding" : (i < base + windowSize ? "usable" : "blocked");
      return cls + (i >= base && i < base + windowSize ? " in-window" : "");
    }, senderMarks);
    var buffered = {};
    (r ? r.buffered : []).forEach(function (i) { buffered[i] = true; });
    var receiverMarks = {}; receiverMarks[expected] = "expected";
    boxes(view.receiverRow, lo, hi, function (i) {
      var cls = i < expected ? "delivered" : buffered[i] ? "buffered" : i === expected ? "awaited" : "empty";
      return cls + (i >= expected && i < expected + windowSize ? " in-window" : "");
    }, receiverMarks);

    // Timer.
    var bar = view.timerBox.querySelector(".timer-fill");
    var text = view.timerBox.querySelector(".timer-text");
    if (s && s.timer_running) {
      var started = s.timer_started !== null ? s.timer_started : t;
      var fraction = (t - started) / Math.max(s.timer - started, EPS);
      bar.style.width = (100 * Math.min(Math.max(fraction, 0), 1)).toFixed(1) + "%";
      text.textContent = "running: expires at " + secs(s.timer) + " (in " + ms(s.timer - t) + ")";
      view.timerBox.setAttribute("data-timer", "running");
    } else {
      bar.style.width = "0%";
      text.textContent = s && s.timer !== null ? "expired at " + secs(s.timer)
        : (run.source === "simulation" ? "stopped (nothing outstanding)" : "not recorded in the trace");
      view.timerBox.setAttribute("data-timer", "stopped");
    }
    var rto = s && s.rto_ms !== null ? s.rto_ms.toFixed(0) + " ms" : "?";
    var flyingData = st.in_flight.filter(function (f) { return f.kind === "data"; }).length;
    var flyingAcks = st.in_flight.filter(function (f) { return f.kind === "ack"; }).length;
    setCounters(view.counters, [
      ["sender", s ? s.phase : "not started"], ["base", base], ["next", next], ["RTO", rto],
      ["retransmissions", s ? s.retransmissions : 0], ["timeouts", s ? s.timeouts : 0],
      ["fast retransmits", s ? s.fast_retransmits : 0],
      ["DATA in flight", flyingData], ["ACKs in flight", flyingAcks], ["lost so far", st.lost],
      ["receiver expects", expected], ["buffered", (r && r.buffered.length ? r.buffered.join(", ") : "none")],
      ["discarded (out of order)", r ? r.discarded : 0], ["duplicates", r ? r.duplicates : 0]
    ].concat(s && s.cwnd !== null ? [["cwnd (packets)", s.cwnd.toFixed(2)]] : []));

    if (view.cwnd) {
      var cx = view.cwnd.x(t);
      view.cwnd.cursor.setAttribute("x1", cx);
      view.cwnd.cursor.setAttribute("x2", cx);
    }
    var recent = view.events.filter(function (e) { return e.t <= t + EPS; }).slice(-5);
    view.log.textContent = "";
    recent.forEach(function (e) {
      var line = html("li", Math.abs(e.t - t) < EPS ? "now" : "", view.log, secs(e.t) + "  " + e.text);
      line.setAttribute("data-t", e.t);
    });

    var section = view.section;
    section.setAttribute("data-base", base);
    section.setAttribute("data-next", next);
    section.setAttribute("data-expected", expected);
    section.setAttribute("data-buffered", r ? r.buffered.join(",") : "");
    section.setAttribute("data-in-flight", st.in_flight.map(function (f) { return f.label; }).join("|"));
    section.setAttribute("data-lost", st.lost);
    section.setAttribute("data-retransmissions", s ? s.retransmissions : 0);
    section.setAttribute("data-timeouts", s ? s.timeouts : 0);
    section.setAttribute("data-timer", s && s.timer_running ? "running" : "stopped");
    section.setAttribute("data-cwnd", s && s.cwnd !== null ? s.cwnd : "");
  }

  function setCounters(table, rows) {
    table.textContent = "";
    rows.forEach(function (row) {
      var tr = html("tr", "", table);
      html("th", "", tr, row[0]);
      html("td", "", tr, String(row[1]));
    });
  }

  function render(follow) {
    var st = state();
    views.forEach(function (view, i) {
      drawRun(view, st.runs[i], now);
      // The cursor low in the view: what led to the present stays in sight.
      if (follow) view.box.scrollTop = Math.max(0, view.y(now) - view.box.clientHeight * 0.7);
    });
    document.body.setAttribute("data-t", now.toFixed(6));
    document.body.setAttribute("data-step", st.step);
    document.body.setAttribute("data-playing", playing ? "1" : "0");
    timeRange.value = String(now);
    timeText.textContent = secs(now) + " of " + secs(end) + "  \u00B7  event " + (st.step + 1) + " of " + steps.length;
    playButton.textContent = playing ? "\u23F8 Pause" : "\u25B6 Play";
    document.getElementById("rudp-state").textContent = JSON.stringify(st);
  }

  // ---- Controls ----
  var playButton = document.getElementById("play");
  var timeRange = document.getElementById("time");
  var timeText = document.getElementById("time-text");
  var speedSelect = document.getElementById("speed");
  timeRange.max = String(end);
  timeRange.step = String(Math.max(end / 2000, 1e-6));
  document.getElementById("pace").textContent = "1\u00D7 plays one one-way delay (" + ms(pace) + ") per second";

  function seek(t) {
    now = Math.min(Math.max(Number(t) || 0, 0), end);
    render(true);
    return state();
  }
  function step(n) {
    n = n === undefined ? 1 : Math.trunc(Number(n));
    pause();
    var index = 0;
    for (var i = 0; i < steps.length && steps[i] <= now + EPS; i++) index = i;
    if (n < 0 && steps[index] < now - EPS) index += 1;  // between two steps: back goes to the earlier one
    index = Math.min(Math.max(index + n, 0), steps.length - 1);
    return seek(steps[index]);
  }
  function frame(stamp) {
    if (!playing) return;
    if (lastFrame !== null) {
      now = Math.min(end, now + (stamp - lastFrame) / 1000 * pace * speed);
      if (now >= end) playing = false;
    }
    lastFrame = stamp;
    render(true);
    if (playing) requestAnimationFrame(frame);
  }
  function play() {
    if (playing) return state();
    if (now >= end - EPS) now = 0;
    playing = true;
    lastFrame = null;
    requestAnimationFrame(frame);
    render(true);
    return state();
  }
  function pause() { playing = false; render(false); return state(); }
  function setSpeed(x) {
    speed = Number(x) > 0 ? Number(x) : 1;
    speedSelect.value = String(speed);
    return state();
  }

  playButton.addEventListener("click", function () { if (playing) pause(); else play(); });
  document.getElementById("back").addEventListener("click", function () { step(-1); });
  document.getElementById("forward").addEventListener("click", function () { step(1); });
  document.getElementById("restart").addEventListener("click", function () { pause(); seek(0); });
  timeRange.addEventListener("input", function () { pause(); seek(timeRange.value); });
  speedSelect.addEventListener("change", function () { setSpeed(speedSelect.value); });
  document.addEventListener("keydown", function (event) {
    if (event.target && event.target.tagName === "SELECT") return;
    if (event.key === " ") { event.preventDefault(); if (playing) pause(); else play(); }
    else if (event.key === "ArrowRight") { event.preventDefault(); step(1); }
    else if (event.key === "ArrowLeft") { event.preventDefault(); step(-1); }
  });

  function applyLocation() {
    var text = (location.hash || "").replace(/^#/, "") + "&" + (location.search || "").replace(/^\?/, "");
    var params = {};
    text.split("&").forEach(function (pair) {
      var parts = pair.split("=");
      if (parts[0]) params[decodeURIComponent(parts[0])] = decodeURIComponent(parts[1] || "");
    });
    if (params.speed) setSpeed(params.speed);
    if (params.step !== undefined) { now = 0; seek(steps[Math.min(Math.max(parseInt(params.step, 10) || 0, 0), steps.length - 1)]); }
    else if (params.t !== undefined) seek(parseFloat(params.t));
    else render(false);
    if (params.play === "1") play();
  }
  window.addEventListener("hashchange", applyLocation);

  window.rudpAnimation = {
    state: state, seek: seek, step: step, play: play, pause: pause, setSpeed: setSpeed,
    steps: function () { return steps.slice(); }, data: data
  };
  applyLocation();
})();
"""#
}
