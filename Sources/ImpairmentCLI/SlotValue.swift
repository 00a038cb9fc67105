import CLIKit
import Impairment

/// `--slot MIN[:MAX]`: netem's `slot MIN MAX`, the time between slot openings, uniform over
/// [MIN, MAX] (MIN alone: fixed). The budgets come from `--slot-packets` and `--slot-bytes`.
public enum SlotValue {
    /// Parses `10ms` or `5ms:15ms`; throws `ValueError` naming the bound at fault.
    public static func parse(_ text: String) throws -> DeliverySlots {
        let fields = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard (1...2).contains(fields.count) else {
            throw ValueError("'\(text)' is not MIN or MIN:MAX (times between slot openings, e.g. 10ms or 5ms:15ms)")
        }
        var bounds: [UInt64] = []
        for (name, field) in zip(["MIN", "MAX"], fields) {
            do {
                bounds.append(try DurationValue.parse(field).nanoseconds)
            } catch let error as ValueError {
                throw ValueError("\(name) in '\(text)': \(error.message)")
            }
        }
        let (low, high) = (bounds[0], bounds.last!)
        guard high > 0, low <= high else {
            throw ValueError("'\(text)' needs 0 ≤ MIN ≤ MAX and MAX above 0")
        }
        guard high <= ImpairmentConfig.maximumDuration else {
            throw ValueError("'\(text)' is longer than the maximum of 1h")
        }
        return DeliverySlots(minInterval: low, maxInterval: high)
    }
}
