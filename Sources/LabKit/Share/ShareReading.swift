/// The README's reading of a shared-bottleneck run: what each flow got, whether one starved,
/// how full the link and its queue were, each sentence from the numbers of this run.
public enum ShareReading {
    static func mbps(_ value: Double) -> String { ReportNumbers.goodput(value) + " Mbit/s" }
    /// `44%`, and one decimal below 10% (`0.4%`), where a rounded 0 would hide a real count.
    static func percent(_ fraction: Double) -> String {
        ReportNumbers.plain(fraction * 100, decimals: abs(fraction) < 0.1 ? 1 : 0) + "%"
    }
    static func ms(_ value: Double) -> String { ReportNumbers.plain(value, decimals: 1) + " ms" }
    static func seconds(_ value: Double) -> String { ReportNumbers.plain(value, decimals: 1) + " s" }

    public static func bullets(_ results: ShareResults) -> [String] {
        var bullets: [String] = []
        if let shares = sharing(results) { bullets.append(shares) }
        bullets += starvation(results)
        if let utilisation = utilisation(results) { bullets.append(utilisation) }
        if let queue = queueing(results) { bullets.append(queue) }
        if let stagger = staggered(results) { bullets.append(stagger) }
        for (index, flow) in results.flows.enumerated() {
            if let failure = flow.failure {
                bullets.append("\(results.name(index)) stopped before the end, at about \(seconds(flow.lastReport)): "
                    + "\(failure). Its goodput counts what it delivered until then.")
            }
        }
        if let tcp = tcpVariants(results) { bullets.append(tcp) }
        return bullets
    }

    /// Who got what while all ran, and Jain's index.
    static func sharing(_ results: ShareResults) -> String? {
        // Judged as printed, so that 0.9499 reads as the 0.950 it shows.
        guard results.flows.count > 1, let jain = results.jainIndex.map({ ($0 * 1000).rounded() / 1000 }) else {
            guard let only = results.goodputs.first else { return nil }
            return "A single flow, \(results.name(0)), had the link to itself: \(mbps(only))."
        }
        let window = results.lastStart > 0
            ? "From \(seconds(results.lastStart)), when the last flow started, to the end"
            : "Over the \(seconds(results.duration)) " + (results.flows.count == 2 ? "both" : "all \(results.flows.count)")
                + " flows ran"
        let parts = results.flows.indices.map {
            "\(results.name($0)) \(mbps(results.competingGoodputs[$0])) (\(percent(results.shares[$0])))"
        }
        var text = "\(window): " + parts.joined(separator: ", ") + ". Jain's fairness index is "
            + ReportNumbers.fixed(jain, decimals: 3) + " (1 is an equal share for each, "
            + ReportNumbers.fixed(1 / Double(results.flows.count), decimals: 2) + " one flow taking everything)"
        let largest = results.shares.indices.max { results.shares[$0] < results.shares[$1] }!
        if jain >= 0.95 {
            text += ": the flows shared the link about equally."
        } else if jain >= 0.8 {
            text += ": a moderately unequal split, the larger part to \(results.name(largest))."
        } else {
            text += ": an unequal split, dominated by \(results.name(largest))."
        }
        return text
    }

    /// A sentence per starved flow, with the congestion-collapse lesson when a fixed window starved it.
    static func starvation(_ results: ShareResults) -> [String] {
        let starved = results.starved
        var bullets: [String] = []
        let fixed = results.plan.flows.indices.filter { results.plan.flows[$0].isUncontrolled }
        for index in starved {
            var text = "\(results.name(index)) was starved: \(mbps(results.competingGoodputs[index])), "
                + "\(percent(results.competingGoodputs[index] / results.fairShare)) of its fair share of "
                + "\(mbps(results.fairShare))."
            let culprits = fixed.filter { !starved.contains($0) }
            if let culprit = culprits.first {
                let flow = results.plan.flows[culprit]
                let window = flow.window ?? results.plan.window
                let delivered = results.flows[culprit].bytes(at: results.duration) / Double(results.plan.mss)
                let resent = results.flows[culprit].retransmissions
                text += " \(results.name(culprit)) sends its fixed window"
                    + (window.map { " of \($0) packets" } ?? "")
                    + " whatever the path holds, far more than the link's "
                    + "\(SharePlan.bdpPackets(rate: results.plan.rate, delay: results.plan.delay))-packet BDP plus its "
                    + "\(results.plan.queueLimit)-packet queue: the queue stays full, every loss there makes "
                    + "\(results.name(index)) back off while the fixed window never does. It retransmitted "
                    + "\(resent) packets to deliver about \(Int(delivered)): the congestion collapse that congestion "
                    + "control exists to prevent."
            }
            bullets.append(text)
        }
        if starved.isEmpty, results.flows.count > 1 {
            for index in fixed {
                bullets.append("\(results.name(index)) has no congestion control, yet no flow was starved "
                    + "(none got below \(percent(ShareResults.starvedBelow)) of its fair share).")
            }
        }
        return bullets
    }

    static func utilisation(_ results: ShareResults) -> String? {
        guard let utilisation = results.utilisation else { return nil }
        let total = utilisation * results.linkMbps
        var text = "Together the flows delivered \(mbps(total)) over the whole \(seconds(results.duration)), "
            + "\(percent(utilisation)) of the \(mbps(results.linkMbps)) link (goodput counts file bytes only; the link "
            + "also carries IP, UDP or TCP and RUDP headers, 4 to 5% of each full packet)"
        if utilisation >= 0.9 {
            text += ": the link was kept busy."
        } else {
            text += utilisation >= 0.7 ? ": some capacity went unused" : ": much of the link went unused"
            // RUDP flows resending more than a tenth of what they delivered spent the link on copies.
            let rudp = results.plan.flows.indices.filter { !results.plan.flows[$0].isTCP }
            let resent = rudp.map { results.flows[$0].retransmissions }.reduce(0, +)
            let delivered = rudp.map { results.flows[$0].bytes(at: results.duration) / Double(results.plan.mss) }.reduce(0, +)
            if Double(resent) > 0.1 * delivered {
                text += ", spent on copies: the RUDP flows retransmitted \(resent) packets to deliver about \(Int(delivered))."
            } else {
                text += " (startup, or backing off after losses)."
            }
        }
        return text
    }

    static func queueing(_ results: ShareResults) -> String? {
        let queue = results.queue
        guard let base = queue.base, let median = queue.loadedMedian, let high = queue.loaded95,
              let delayMedian = queue.queueingMedian, let delayHigh = queue.queueing95 else { return nil }
        let full = Double(results.plan.fullQueueDelay) / 1e6
        var text = "The probe's RTT was \(ms(base)) on the idle link (the configured base is "
            + "\(ms(Double(results.plan.delay) * 2 / 1e6))); while the flows ran its median was \(ms(median)) and its "
            + "95th percentile \(ms(high)): a queueing delay of \(ms(delayMedian)) and \(ms(delayHigh)), where the full "
            + "\(results.plan.queueLimit)-packet queue holds \(ms(full))"
        if delayMedian >= 0.5 * full {
            text += ". The queue stayed mostly full: a standing queue"
            // Those who keep it are the flows with a real part of the link (a starved one sends little).
            let fillers = results.flows.indices.filter { results.shares[$0] * Double(results.flows.count) >= 0.5 }
            let isLossBased = { (index: Int) in
                results.plan.flows[index].isLossBased(reported: results.flows[index].congestionControl)
            }
            let lossBased = fillers.filter(isLossBased)
            let modelBased = fillers.filter { !isLossBased($0) }
            func names(_ indices: [Int]) -> String { indices.map { results.name($0) }.joined(separator: " and ") }
            if modelBased.isEmpty {
                text += ", as " + names(lossBased) + (lossBased.count == 1 ? " keeps" : " keep") + " one: a loss-based "
                    + "or fixed window fills the buffer until a packet is dropped."
            } else {
                text += ", kept by " + names(modelBased) + ", whose congestion control does not wait for a loss to slow "
                    + "down: it kept more in flight than the path holds, and the rest waited in the queue"
                    + (lossBased.isEmpty ? "." : " (with " + names(lossBased) + ", which fills any buffer until a loss).")
            }
        } else if delayHigh <= 0.25 * full {
            text += ". The queue stayed mostly empty: the senders kept about what the path holds in flight."
        } else {
            text += ". The queue was partly full, filling and draining."
        }
        if queue.loadedSent > 0, queue.loadedLost > 0 {
            text += " \(percent(Double(queue.loadedLost) / Double(queue.loadedSent))) of the probes were dropped "
                + "(\(queue.loadedLost) of \(queue.loadedSent)): the queue overflowed."
        }
        return text
    }

    static func staggered(_ results: ShareResults) -> String? {
        guard results.plan.stagger > 0, results.flows.count > 1 else { return nil }
        let second = Double(results.plan.startOffset(of: 1)) / 1e9
        guard let alone = results.flows[0].goodput(from: 0, to: second) else { return nil }
        return "The flows started \(seconds(Double(results.plan.stagger) / 1e9)) apart; alone before the second joined, "
            + "\(results.name(0)) carried \(mbps(alone)) (\(percent(alone / results.linkMbps)) of the link)."
    }

    static func tcpVariants(_ results: ShareResults) -> String? {
        let tcp = results.plan.flows.indices.filter { results.plan.flows[$0].isTCP }
        guard !tcp.isEmpty else { return nil }
        let reported = tcp.map { "\(results.name($0)): \(results.flows[$0].congestionControl ?? "unrecorded")" }
        return "Kernel TCP congestion control as each connection reported it: " + reported.joined(separator: ", ") + "."
    }
}
