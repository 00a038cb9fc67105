/// The style sheet of an animation page: Okabe-Ito colours (safe for colour-blind readers),
/// the system's own fonts (the page loads nothing).
enum AnimationStyle {
    static let css = """
:root { --data: #0072B2; --resend: #D55E00; --ack: #009E73; --control: #8c8c8c; --timer: #CC79A7;
        --window: #56B4E9; --buffered: #F0E442; --cwnd: #E69F00; --ink: #1d2330; --muted: #5d6472; --paper: #fbfaf7; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
       color: var(--ink); background: var(--paper); }
header { position: sticky; top: 0; z-index: 5; background: #fff; border-bottom: 1px solid #ddd;
         padding: 10px 20px 8px; box-shadow: 0 2px 6px rgba(0,0,0,.05); }
h1 { font-size: 20px; margin: 0 0 2px; }
.subtitle { margin: 0 0 8px; color: var(--muted); font-size: 13px; }
#controls { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; }
#controls button, #controls select { font: inherit; padding: 4px 10px; border: 1px solid #bbb; border-radius: 6px;
                                     background: #f4f4f4; cursor: pointer; }
#controls button:hover { background: #e8eef7; }
#play { min-width: 92px; font-weight: 600; }
#time { flex: 1 1 260px; }
#time-text { font-variant-numeric: tabular-nums; min-width: 240px; }
#pace { color: var(--muted); font-size: 12px; }
main { display: flex; flex-wrap: wrap; gap: 20px; padding: 16px 20px; }
.run { flex: 1 1 560px; min-width: 540px; background: #fff; border: 1px solid #e1e1e1; border-radius: 10px; padding: 12px 16px; }
.run h2 { font-size: 17px; margin: 0 0 4px; }
.run .command { font: 12px ui-monospace, "DejaVu Sans Mono", monospace; color: var(--muted); margin: 0 0 8px; word-break: break-all; }
.observe { background: #f3f8fc; border-left: 4px solid var(--window); padding: 6px 12px; margin: 12px 0 0; }
.observe h3 { font-size: 14px; margin: 2px 0; }
.observe ul { margin: 4px 0; padding-left: 20px; }
.caveat { color: #8a5a00; font-size: 13px; margin: 4px 0; }
.panels { display: flex; flex-wrap: wrap; gap: 14px; }
.ladder-box { flex: 0 0 auto; max-height: 72vh; overflow-y: auto; border: 1px solid #eee; border-radius: 8px; background: #fff; }
.side { flex: 1 1 300px; min-width: 300px; }
.side h4 { margin: 8px 0 4px; font-size: 13px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
.row { display: flex; flex-wrap: wrap; gap: 3px; min-height: 30px; }
.cell { position: relative; width: 28px; height: 26px; line-height: 24px; text-align: center; font-size: 12px;
        border: 1px solid #c9c9c9; border-radius: 4px; background: #fff; font-variant-numeric: tabular-nums; }
.cell.in-window { border: 2px solid var(--window); line-height: 22px; }
.cell[data-mark]::after { content: attr(data-mark); position: absolute; left: 50%; top: 26px; transform: translateX(-50%);
                          font-size: 9px; color: var(--muted); white-space: nowrap; }
.row { margin-bottom: 20px; }
.cell.acked, .cell.delivered { background: #cfe9df; color: #0b5a43; border-color: #9dd1bd; }
.cell.sacked { background: #e6f4ee; color: #0b5a43; border-style: dashed; }
.cell.outstanding { background: #fde6d6; color: #7a3000; }
.cell.usable { background: #eef7fd; }
.cell.blocked, .cell.empty { background: #f5f5f5; color: #aaa; }
.cell.buffered { background: var(--buffered); color: #5c5200; }
.cell.awaited { background: #fff; font-weight: 700; }
.more { color: var(--muted); align-self: center; }
.timer { margin: 4px 0 8px; }
.timer-track { height: 10px; background: #f1e6ee; border-radius: 5px; overflow: hidden; }
.timer-fill { height: 100%; width: 0; background: var(--timer); }
.timer-text { font-size: 13px; color: var(--muted); }
.counters { border-collapse: collapse; font-size: 13px; }
.counters th { text-align: left; font-weight: normal; color: var(--muted); padding: 1px 12px 1px 0; }
.counters td { font-variant-numeric: tabular-nums; font-weight: 600; }
.log { font: 12px ui-monospace, "DejaVu Sans Mono", monospace; padding-left: 18px; margin: 4px 0; color: var(--muted); }
.log li.now { color: var(--ink); font-weight: 700; }
svg text { font: 11px system-ui, "DejaVu Sans", sans-serif; }
.ladder .axis { stroke: #444; stroke-width: 2; }
.ladder .tick { stroke: #999; }
.ladder .tick-label, .cwnd-chart .tick-label { fill: var(--muted); font-size: 10px; }
.ladder .side-label { font-weight: 700; font-size: 14px; fill: var(--ink); }
.ladder .link-label { fill: var(--muted); font-size: 11px; }
.flight line { stroke-width: 2; }
.flight.data line { stroke: var(--data); }
.flight.data.retransmission line { stroke: var(--resend); stroke-width: 3; }
.flight.ack line { stroke: var(--ack); }
.flight.control line { stroke: var(--control); stroke-dasharray: 2 3; }
.flight.estimated line { stroke-dasharray: 6 4; }
.flight.lost line { stroke-dasharray: 5 3; }
.flight .head rect { fill: #fff; stroke-width: 1.5; }
.flight.data .head rect { stroke: var(--data); }
.flight.data.retransmission .head rect { stroke: var(--resend); fill: #fff2ea; }
.flight.ack .head rect { stroke: var(--ack); }
.flight.control .head rect { stroke: var(--control); }
.flight .head text { font-weight: 600; fill: var(--ink); }
.flight .end-label { fill: var(--muted); font-size: 10.5px; }
.flight.data.retransmission .end-label { fill: var(--resend); }
.flight.lost .end-label { fill: var(--ink); font-weight: 600; }
.cross circle { fill: #fff; stroke: var(--ink); stroke-width: 2; }
.cross text { font-size: 13px; font-weight: 700; fill: var(--ink); }
.mark line { stroke: var(--timer); stroke-width: 3; }
.mark text { fill: #8e3a6f; font-weight: 600; }
.mark circle { fill: var(--timer); }
.mark.fast_retransmit line { stroke: var(--resend); }
.mark.fast_retransmit circle { fill: var(--resend); }
.mark.fast_retransmit text { fill: var(--resend); }
.timer-bar { stroke: var(--timer); stroke-width: 4; stroke-linecap: round; opacity: .8; }
.cursor line { stroke: #e03131; stroke-width: 1.5; opacity: .8; }
.cursor text { fill: #e03131; font-weight: 700; }
.cwnd-line { fill: none; stroke: var(--cwnd); stroke-width: 2; }
.cwnd-cursor { stroke: #e03131; }
.cwnd-chart .axis { stroke: #888; }
#legend { padding: 0 20px 24px; font-size: 13px; color: var(--muted); }
#legend span.key { display: inline-block; margin: 2px 14px 2px 0; }
#legend i { display: inline-block; width: 22px; height: 0; border-top: 3px solid; vertical-align: middle; margin-right: 5px; }
#legend b { display: inline-block; width: 14px; height: 14px; border-radius: 3px; vertical-align: middle; margin-right: 5px; border: 1px solid #bbb; }
"""
}
