import Foundation
import RUDP

/// The model drawn beside a congestion-controlled sender: that controller's model, capped by
/// the link and the window, and for a finite transfer its slow start or Startup from the
/// initial window. docs/MODELS.md ("Congestion-controlled senders") gives the derivations.
extension LabModels {
    /// The prediction for `labProtocol` run with `control`: the fixed-window textbook models for
    /// `--cc none` (and for stop-and-wait, whose window of one leaves a controller nothing to
    /// size), the controller's model otherwise; for TCP the named variant's, or the Reno model
    /// (PFTK) for the system's default and variants without a model here.
    public static func predict(_ labProtocol: LabProtocol, control: SenderControl,
                               _ parameters: ModelParameters) -> ModelPrediction {
        switch control {
        case .rudp(let algorithm) where algorithm != .none && labProtocol != .stopAndWait && labProtocol != .tcp:
            return controlled(algorithm, parameters)
        case .tcp(let variant?) where labProtocol == .tcp:
            return tcp(parameters, variant: variant)
        default:
            return predict(labProtocol, parameters)
        }
    }

    /// Packets of the controllers' initial window: ten, at most 14 720 bytes, at least two
    /// (RFC 6928's rule, as Sources/RUDP/Congestion starts every controller).
    static func initialWindowPackets(mss: Int) -> Int {
        min(10 * mss, max(2 * mss, 14_720)) / mss
    }

    /// An RUDP sender driven by `algorithm` (reno, cubic or bbr).
    static func controlled(_ algorithm: CongestionAlgorithm, _ parameters: ModelParameters) -> ModelPrediction {
        let roundTrip = parameters.cycle
        let p = parameters.loss
        let (timeout, backoff) = self.timeout(parameters, window: 1)
        let payloadBits = Double(parameters.mss) * 8
        // Loss happens before the bottleneck (as in lossproxy and the simulator), so the
        // survivors can fill it: the link's cap is its payload rate.
        let linkCap = parameters.rate > 0 ? parameters.rate * parameters.payloadFraction : .infinity
        let windowCap = Double(max(1, parameters.window)) * payloadBits / roundTrip
        let model: Double
        let name: String
        switch algorithm {
        case .reno:
            // RUDP's NewReno counts acknowledged bytes: one packet more per round trip, b = 1.
            model = TextbookModels.padhyeThroughput(mss: parameters.mss, roundTrip: roundTrip, loss: p,
                                                    timeout: timeout, segmentsPerAck: 1) * 8
            name = "Reno model: PFTK, b = 1"
        case .cubic:
            model = CongestionModels.cubicThroughput(mss: parameters.mss, roundTrip: roundTrip, loss: p,
                                                     timeout: timeout, segmentsPerAck: 1) * 8
            name = "CUBIC model: RFC 9438 average window, Reno-friendly, PFTK timeouts"
        case .none:
            return selectiveRepeat(parameters)
        case .bbr:
            model = CongestionModels.bbrThroughput(bottleneck: linkCap, loss: p, roundTrip: roundTrip,
                                                   mss: parameters.mss)
            name = "BBR model: R·(1−p)·(1 − ProbeRTT share)"
        }
        let steady = min(model, linkCap, windowCap)
        guard let size = parameters.size, size > 0, steady > 0, steady.isFinite else {
            return ModelPrediction(model: name, goodputMbps: steady / 1e6, steadyStateMbps: steady / 1e6)
        }
        // The handshake's round trip is the ramp's first: the initial window goes right behind
        // the SYN (the first flight). The FIN goes right behind the last DATA packet, so the
        // close costs its serialization and its retries only.
        let data = rampedTransferTime(parameters, steady: steady, lossBased: algorithm != .bbr)
        let close = closeTime(parameters, finFollowsData: true, timeout: timeout, backoff: backoff)
        // The last three packets cannot be revealed lost by later ones: a loss there waits for the timeout.
        let tail = p < 1 ? 3 * p / (1 - p) * timeout : .infinity
        let goodput = averagedOverHandshakes(parameters, size: size, seconds: data + close + tail, backoff: backoff)
        return ModelPrediction(model: name, goodputMbps: goodput / 1e6, steadyStateMbps: steady / 1e6)
    }

    /// Seconds from the first data packet to the last one's acknowledgement for a sender that
    /// starts at the initial window and doubles it each round trip (slow start, or BBR's
    /// Startup) until it reaches the window of the steady rate, or, for a loss-based
    /// controller, until the first loss is expected (after 1/p packets), then sends the rest
    /// (with the repairs of the ramp's losses) at `steady` bit/s.
    static func rampedTransferTime(_ parameters: ModelParameters, steady: Double, lossBased: Bool) -> Double {
        let packets = (parameters.size! + parameters.mss - 1) / parameters.mss
        let payloadBits = Double(parameters.mss) * 8
        let roundTrip = parameters.cycle
        let steadyWindow = steady / payloadBits * roundTrip
        let firstLoss = lossBased && parameters.loss > 0 ? 1 / parameters.loss : .infinity
        var window = Double(initialWindowPackets(mss: parameters.mss))
        var sent = 0.0
        var seconds = 0.0
        while sent < Double(packets), window < steadyWindow, sent < firstLoss {
            let burst = min(window, Double(packets) - sent)
            sent += burst
            seconds += max(roundTrip, burst * parameters.transmissionTime)
            window *= 2
        }
        let remaining = max(0, Double(packets) - sent) + sent * parameters.loss
        guard remaining > 0 else { return seconds }
        return seconds + remaining * payloadBits / steady + parameters.roundTrip
    }

    /// Kernel TCP with congestion control `variant`: CUBIC and BBR by their models, anything
    /// else by the Reno model (PFTK), as Linux's b = 2 with delayed ACKs and T0 = RTT + 200 ms.
    static func tcp(_ parameters: ModelParameters, variant: String) -> ModelPrediction {
        let roundTrip = parameters.cycle
        let linkCap = parameters.rate > 0 ? parameters.rate * parameters.payloadFraction : .infinity
        switch variant {
        case "cubic":
            let model = CongestionModels.cubicThroughput(
                mss: parameters.mss, roundTrip: roundTrip, loss: parameters.loss,
                timeout: roundTrip + tcpMinimumTimeout, segmentsPerAck: 2) * 8
            return tcpTransfer(parameters, steady: min(model, linkCap),
                               name: "CUBIC model: RFC 9438 average window, Reno-friendly, PFTK timeouts, b = 2")
        case "bbr":
            let model = CongestionModels.bbrThroughput(bottleneck: linkCap, loss: parameters.loss, roundTrip: roundTrip,
                                                       mss: parameters.mss)
            return tcpTransfer(parameters, steady: min(model, linkCap), name: "BBR model: R·(1−p)·(1 − ProbeRTT share)")
        default:
            return tcp(parameters, model: .padhye)
        }
    }
}
