/// One point of a sweep's grid: a protocol and its congestion control under one link, without
/// the repeat number.
public struct SweepCondition: Hashable, Sendable {
    public var labProtocol: LabProtocol
    /// The sender's congestion control: RUDP's controller, or the kernel TCP variant.
    public var control: SenderControl
    /// Loss probability per packet, each direction (0...1).
    public var loss: Double
    /// One-way delay in nanoseconds, each direction.
    public var delay: UInt64
    /// Bottleneck rate in bits per second, each direction; 0 for unlimited.
    public var rate: UInt64
    /// Window in packets: 1 for stop-and-wait, nil for TCP (the kernel sizes its own); a cap
    /// on the congestion window when a controller runs.
    public var window: Int?
    /// File size in bytes.
    public var size: Int

    /// - Parameter control: nil for the protocol's sweep default (RUDP's fixed window, TCP's system default).
    public init(labProtocol: LabProtocol, control: SenderControl? = nil, loss: Double, delay: UInt64, rate: UInt64,
                window: Int?, size: Int) {
        self.labProtocol = labProtocol
        self.control = control ?? SenderControl.sweepDefault(for: labProtocol)
        self.loss = loss
        self.delay = delay
        self.rate = rate
        self.window = window
        self.size = size
    }

    /// A condition that stands for its series (names, colours), with no link.
    static func template(_ labProtocol: LabProtocol, _ control: SenderControl) -> SweepCondition {
        SweepCondition(labProtocol: labProtocol, control: control, loss: 0, delay: 0, rate: 0, window: nil, size: 0)
    }

    /// The series it belongs to in plots and readings: the protocol alone for its sweep default
    /// (`sr` is the fixed-window sender, `tcp` the system's default), else with the controller:
    /// `sr bbr`, `tcp cubic`.
    public var seriesName: String {
        guard control != SenderControl.sweepDefault(for: labProtocol), let name = control.name else {
            return labProtocol.rawValue
        }
        return "\(labProtocol) \(name)"
    }

    /// A short human label: `sr bbr loss 5% delay 10 ms rate 50 Mbit/s window 64`.
    public var label: String {
        var parts = [seriesName, "loss \(ReportNumbers.percent(loss))", "delay \(ReportNumbers.milliseconds(delay)) ms",
                     "rate \(rate == 0 ? "unlimited" : ReportNumbers.mbps(rate) + " Mbit/s")"]
        if let window { parts.append("window \(window)") }
        return parts.joined(separator: " ")
    }

    /// The textbook model's parameters for this condition.
    public func modelParameters(mss: Int, fixedTimeout: Double?) -> ModelParameters {
        let isTCP = labProtocol == .tcp
        return ModelParameters(
            rate: Double(rate), oneWayDelay: Double(delay) / 1e9, loss: loss, window: window ?? 1,
            mss: isTCP ? ModelParameters.tcpMSS : mss,
            packetOverhead: isTCP ? ModelParameters.tcpOverhead : ModelParameters.rudpOverhead,
            ackSize: isTCP ? ModelParameters.tcpOverhead : ModelParameters.rudpOverhead,
            fixedTimeout: isTCP ? nil : fixedTimeout, size: size)
    }

    /// The model's prediction for this condition.
    public func prediction(mss: Int, fixedTimeout: Double?) -> ModelPrediction {
        LabModels.predict(labProtocol, control: control, modelParameters(mss: mss, fixedTimeout: fixedTimeout))
    }
}
