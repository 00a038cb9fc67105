import CLIKit
import Impairment

/// `--loss-burst P:R[:LOSS_BAD[:LOSS_GOOD]]`: a Gilbert-Elliott model in netem `gemodel` terms,
/// every field a percentage (`1%:25%` or `1:25`). P is the good→bad transition probability,
/// R bad→good; LOSS_BAD (netem 1−h, default 100%) and LOSS_GOOD (netem 1−k, default 0%) are
/// the loss probabilities in each state.
public enum BurstLossValue {
    /// Parses the model; throws `ValueError` naming the field at fault.
    public static func parse(_ text: String) throws -> GilbertElliott {
        let fields = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard (2...4).contains(fields.count) else {
            throw ValueError("'\(text)' is not P:R (good→bad and bad→good transition probabilities, e.g. 1%:25%)")
        }
        let names = ["P", "R", "LOSS_BAD", "LOSS_GOOD"]
        var values: [Double] = []
        for (name, field) in zip(names, fields) {
            do {
                values.append(try PercentValue.parse(field).fraction)
            } catch let error as ValueError {
                throw ValueError("\(name) in '\(text)': \(error.message)")
            }
        }
        return GilbertElliott(
            p: values[0], r: values[1],
            lossInBad: values.count > 2 ? values[2] : 1,
            lossInGood: values.count > 3 ? values[3] : 0)
    }
}
