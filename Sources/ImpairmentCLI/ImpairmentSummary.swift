import CLIKit
import Impairment

/// One line saying what a direction's configuration does, for the proxy's start-up line:
/// `loss 10%, delay 10 ms ± 2 ms (uniform), reorder 5% by 10 ms` or `none`.
public enum ImpairmentSummary {
    /// The configuration in words, impairments in pipeline order; `none` when it is the identity.
    public static func describe(_ config: ImpairmentConfig) -> String {
        var parts: [String] = []
        if !config.scriptedDrops.isEmpty {
            parts.append("drop #" + config.scriptedDrops.map(rangeText).joined(separator: ","))
        }
        if config.loss > 0 {
            let correlation = config.lossCorrelation > 0 ? " (correlation \(percent(config.lossCorrelation)))" : ""
            parts.append("loss \(percent(config.loss))" + correlation)
        }
        if let model = config.burstLoss {
            var text = "burst loss p \(percent(model.p)) r \(percent(model.r))"
            if model.lossInBad != 1 || model.lossInGood != 0 {
                text += " (loss \(percent(model.lossInBad)) bad, \(percent(model.lossInGood)) good)"
            }
            text += ": average \(HumanFormat.trimmed(model.averageLoss * 100, maximumDecimals: 2))%"
            if model.r > 0 {
                text += ", bursts of \(HumanFormat.trimmed(model.meanBadStateLength, maximumDecimals: 1))"
            }
            parts.append(text)
        }
        if config.corrupt > 0 { parts.append("corrupt \(percent(config.corrupt))") }
        if config.duplicate > 0 { parts.append("duplicate \(percent(config.duplicate))") }
        if config.rate > 0 {
            parts.append("rate \(HumanFormat.rate(bitsPerSecond: Double(config.rate))) queue \(config.queueLimit)")
        }
        if config.delay > 0 || config.jitter > 0 {
            var text = "delay \(HumanFormat.duration(nanoseconds: config.delay))"
            if config.jitter > 0 {
                text += " ± \(HumanFormat.duration(nanoseconds: config.jitter)) (\(config.jitterDistribution.rawValue)"
                if config.jitterCorrelation > 0 { text += ", correlation \(percent(config.jitterCorrelation))" }
                text += config.reorderByJitter ? ")" : ", no reordering)"
            }
            parts.append(text)
        }
        if config.reorder > 0 && config.reorderPacketGap > 0 {
            parts.append("reorder \(percent(config.reorder)) sent ahead, gap \(config.reorderPacketGap) datagrams")
        } else if config.reorder > 0 {
            parts.append("reorder \(percent(config.reorder)) by \(HumanFormat.duration(nanoseconds: config.reorderGap))")
        }
        if let slots = config.slots {
            var text = "slots every \(HumanFormat.duration(nanoseconds: slots.minInterval))"
            if slots.maxInterval != slots.minInterval { text += " to \(HumanFormat.duration(nanoseconds: slots.maxInterval))" }
            if slots.maxPackets > 0 { text += ", \(slots.maxPackets) datagrams" }
            if slots.maxBytes > 0 { text += ", \(slots.maxBytes) bytes" }
            parts.append(text)
        }
        return parts.isEmpty ? "none" : parts.joined(separator: ", ")
    }

    /// Both directions: `both directions: …` when they do the same, else
    /// `FORWARD: …; REVERSE: …` with the names given (`forward (to server)`, `reverse b → a`).
    public static func describe(forward: ImpairmentConfig, reverse: ImpairmentConfig,
                         forwardName: String, reverseName: String) -> String {
        let (forwardText, reverseText) = (describe(forward), describe(reverse))
        if forwardText == reverseText { return "both directions: \(forwardText)" }
        return "\(forwardName): \(forwardText); \(reverseName): \(reverseText)"
    }

    private static func percent(_ fraction: Double) -> String {
        PercentValue(fraction: fraction).description
    }

    private static func rangeText(_ range: ClosedRange<Int>) -> String {
        range.lowerBound == range.upperBound ? "\(range.lowerBound)" : "\(range.lowerBound)-\(range.upperBound)"
    }
}
