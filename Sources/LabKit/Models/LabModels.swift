import Foundation

/// A model's prediction for one protocol under one condition.
public struct ModelPrediction: Sendable, Equatable {
    /// Which formula produced it, for tables and legends.
    public var model: String
    /// Goodput in Mbit/s of a transfer of `ModelParameters.size` bytes, handshake and close
    /// included (the steady state when no size is given): what a measurement should show.
    public var goodputMbps: Double
    /// Goodput in Mbit/s once the transfer runs, without its start and end.
    public var steadyStateMbps: Double
}

/// The textbook models applied to this lab's protocols and links: which formula per protocol,
/// with which timeout, and the fixed costs of a finite transfer (handshake, pipeline drain,
/// close). docs/MODELS.md derives each term.
public enum LabModels {
    /// Linux's lower bound of TCP's retransmission timeout (200 ms), for PFTK's T0.
    public static let tcpMinimumTimeout = 0.2

    /// The prediction for `labProtocol`; TCP uses PFTK, the RUDP modes the forms in `TextbookModels`.
    public static func predict(_ labProtocol: LabProtocol, _ parameters: ModelParameters) -> ModelPrediction {
        switch labProtocol {
        case .stopAndWait: stopAndWait(parameters)
        case .goBackN: goBackN(parameters)
        case .selectiveRepeat: selectiveRepeat(parameters)
        case .tcp: tcp(parameters, model: .padhye)
        }
    }

    /// The retransmission timeout the sender will run with, and whether it backs off: a fixed
    /// one as given; RFC 6298's settles at max(minimum, RTT) once RTTVAR has decayed, where the
    /// RTT the sender measures includes the queue its own window builds at the bottleneck.
    static func timeout(_ parameters: ModelParameters, window: Int) -> (value: Double, backoff: Bool) {
        if let fixed = parameters.fixedTimeout { return (fixed, false) }
        let measured = max(parameters.cycle, Double(window) * parameters.transmissionTime)
        return (min(max(parameters.minimumTimeout, measured), parameters.maximumTimeout), true)
    }

    static func stopAndWait(_ parameters: ModelParameters) -> ModelPrediction {
        let (timeout, backoff) = self.timeout(parameters, window: 1)
        let perPacket = TextbookModels.stopAndWaitTimePerPacket(
            transmissionTime: parameters.transmissionTime, roundTrip: parameters.roundTrip,
            roundLoss: parameters.roundLoss, timeout: timeout, backoff: backoff,
            maximumTimeout: parameters.maximumTimeout)
        let name = "(L/R + RTT) + T·q/(1−q) per packet"
        return finite(parameters, name: name, perPacket: perPacket, window: 1, lossless: parameters.cycle,
                      timeout: timeout, backoff: backoff, tailPenalty: 0)
    }

    static func goBackN(_ parameters: ModelParameters) -> ModelPrediction {
        let window = max(1, parameters.window)
        let (timeout, backoff) = self.timeout(parameters, window: window)
        let lossless = losslessTimePerPacket(parameters, window: window)
        // With one packet in flight its ACK matters too; with more, a later cumulative ACK covers a lost one.
        let failure = window == 1 ? parameters.roundLoss : parameters.loss
        // A loss is noticed one timeout after the ACK of the packet before it, which came
        // back about RTT after the lost packet left (none of it for window 1).
        let lossCost = timeout + max(0, parameters.cycle - lossless)
        let efficiency = TextbookModels.goBackNEfficiency(success: 1 - failure, lossCost: lossCost / lossless)
        return finite(parameters, name: "η = s/(s + m(1−s))", perPacket: lossless / efficiency,
                      window: window, lossless: lossless, timeout: timeout, backoff: backoff, tailPenalty: 0,
                      finFollowsData: true)
    }

    static func selectiveRepeat(_ parameters: ModelParameters) -> ModelPrediction {
        let window = max(1, parameters.window)
        let (timeout, backoff) = self.timeout(parameters, window: window)
        let lossless = losslessTimePerPacket(parameters, window: window)
        let p = parameters.loss
        let t = parameters.transmissionTime
        // Textbook: every packet needs 1/(1−p) transmissions, only the lost ones are resent.
        let transmissions = max(t / TextbookModels.selectiveRepeatUtilization(loss: p, windowUtilization: 1),
                                parameters.windowCycle / Double(window))
        // Our window is anchored at the oldest unacknowledged packet: a window of N that holds
        // a loss stops sliding until the repair is acknowledged, about one cycle later (three
        // later packets notice the loss, the repair's ACK takes RTT), or after a timeout when
        // fewer than four packets fit in the window.
        let repair = window >= 4 ? parameters.cycle : timeout + parameters.cycle
        let windowsWithLoss = 1 - pow(1 - p, Double(window))
        let perPacket = transmissions + windowsWithLoss / Double(window) * repair
        // The last three packets cannot be fast-retransmitted (nothing follows them): a loss
        // there waits for the timeout instead.
        let tail = 3 * p / (1 - p) * timeout
        let name = "(1−p)·U_N plus window stalls"
        return finite(parameters, name: name, perPacket: perPacket, window: window,
                      lossless: lossless, timeout: timeout, backoff: backoff, tailPenalty: tail, finFollowsData: true)
    }

    /// The TCP throughput models.
    public enum TCPModel: Sendable {
        case mathis, padhye
    }

    /// TCP under `parameters` by Mathis et al. or PFTK (b = 2, Linux's 200 ms minimum RTO),
    /// capped by the link's payload rate.
    public static func tcp(_ parameters: ModelParameters, model: TCPModel) -> ModelPrediction {
        let roundTrip = parameters.cycle
        let linkLimit = parameters.rate > 0 ? parameters.rate * parameters.payloadFraction : .infinity
        let bytesPerSecond: Double
        let name: String
        switch model {
        case .mathis:
            bytesPerSecond = TextbookModels.mathisThroughput(mss: parameters.mss, roundTrip: roundTrip, loss: parameters.loss)
            name = "Reno model: Mathis et al. (MSS/RTT)·√(3/2)/√p"
        case .padhye:
            bytesPerSecond = TextbookModels.padhyeThroughput(
                mss: parameters.mss, roundTrip: roundTrip, loss: parameters.loss,
                timeout: roundTrip + tcpMinimumTimeout, segmentsPerAck: 2)
            name = "Reno model: PFTK (Padhye et al.), b = 2"
        }
        return tcpTransfer(parameters, steady: min(bytesPerSecond * 8, linkLimit), name: name)
    }

    /// A TCP transfer at `steady` bit/s: one round trip for the three-way handshake, one for
    /// the receiver's confirmation.
    static func tcpTransfer(_ parameters: ModelParameters, steady: Double, name: String) -> ModelPrediction {
        var goodput = steady
        if let size = parameters.size, size > 0, steady.isFinite, steady > 0 {
            goodput = Double(size) * 8 / (Double(size) * 8 / steady + 2 * parameters.cycle)
        }
        return ModelPrediction(model: name, goodputMbps: goodput / 1e6, steadyStateMbps: steady / 1e6)
    }

    /// Seconds per packet of a loss-free sliding window: L/R when the window fills the pipe,
    /// (RTT + L/R)/N when it does not.
    static func losslessTimePerPacket(_ parameters: ModelParameters, window: Int) -> Double {
        max(parameters.transmissionTime, parameters.windowCycle / Double(window))
    }

    /// Turns a time per packet into goodput, adding for a finite transfer the handshake, the
    /// pipeline's fill and drain, the close and `tailPenalty`, each with its retries.
    /// `finFollowsData`: the FIN goes right behind the last DATA packet (Go-Back-N and
    /// Selective Repeat), so its FIN-ACK returns with the last ACK instead of a round trip later.
    static func finite(
        _ parameters: ModelParameters, name: String, perPacket: Double, window: Int, lossless: Double,
        timeout: Double, backoff: Bool, tailPenalty: Double, finFollowsData: Bool = false
    ) -> ModelPrediction {
        let payloadBits = Double(parameters.mss) * 8
        let steady = perPacket > 0 && perPacket.isFinite ? payloadBits / perPacket : (perPacket > 0 ? 0 : .infinity)
        guard let size = parameters.size, size > 0 else {
            return ModelPrediction(model: name, goodputMbps: steady / 1e6, steadyStateMbps: steady / 1e6)
        }
        let packets = (size + parameters.mss - 1) / parameters.mss
        let t = parameters.transmissionTime
        // Loss-free schedule: the last packet's ACK returns RTT after its transmission ends.
        let schedule: Double
        if Double(window) * t >= parameters.windowCycle {
            schedule = Double(packets) * t + parameters.roundTrip
        } else {
            let fullCycles = (packets - 1) / window
            let inLast = (packets - 1) % window + 1
            schedule = Double(fullCycles) * parameters.windowCycle + Double(inLast) * t + parameters.roundTrip
        }
        // The last packet is short: it serializes faster.
        let shortfall = parameters.serialization(bytes: packets * parameters.mss - size)
        let data = schedule - shortfall + Double(packets) * (perPacket - lossless)
        // SYN/SYN-ACK and FIN/FIN-ACK: small packets, one round trip each, retried on loss
        // (the SYN with the initial timeout, as no RTT is known yet).
        let rest = controlRoundTrip(parameters) + data
            + closeTime(parameters, finFollowsData: finFollowsData, timeout: timeout, backoff: backoff) + tailPenalty
        let goodput = averagedOverHandshakes(parameters, size: size, seconds: rest, backoff: backoff)
        return ModelPrediction(model: name, goodputMbps: goodput / 1e6, steadyStateMbps: steady / 1e6)
    }

    /// SYN/SYN-ACK or FIN/FIN-ACK: small packets, one round trip.
    static func controlRoundTrip(_ parameters: ModelParameters) -> Double {
        2 * parameters.oneWayDelay + 2 * parameters.ackTransmissionTime
    }

    /// The close, retried on loss with `timeout`: a control round trip of its own, or with
    /// `finFollowsData` (the FIN right behind the last DATA packet, whose FIN-ACK returns when
    /// the last ACK would) only the FIN's serialization.
    static func closeTime(_ parameters: ModelParameters, finFollowsData: Bool, timeout: Double, backoff: Bool) -> Double {
        (finFollowsData ? parameters.ackTransmissionTime : controlRoundTrip(parameters))
            + TextbookModels.expectedRecoveryTime(failureProbability: parameters.roundLoss, firstFailure: timeout,
                                                  timeout: timeout, backoff: backoff, maximumTimeout: parameters.maximumTimeout)
    }

    /// Goodput in bit/s of `size` bytes that take `seconds` once the handshake succeeded.
    /// A lost SYN or SYN-ACK costs the initial timeout (1 s, no RTT known yet): rare, but
    /// large beside a short transfer. Goodput is averaged over repeats, so the model averages
    /// goodput, not time, over the number k of failed handshakes (probability (1−q)q^k).
    static func averagedOverHandshakes(_ parameters: ModelParameters, size: Int, seconds rest: Double,
                                       backoff: Bool) -> Double {
        let q = parameters.roundLoss
        let initial = parameters.fixedTimeout ?? parameters.initialTimeout
        var goodput = 0.0
        var probability = 1 - q
        var waited = 0.0
        var wait = initial
        for _ in 0..<40 where probability > 1e-9 {
            goodput += probability * Double(size) * 8 / (rest + waited)
            waited += wait
            if backoff { wait = min(wait * 2, max(parameters.maximumTimeout, initial)) }
            probability *= q
        }
        return goodput
    }
}
