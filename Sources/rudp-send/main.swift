import CLIKit
import RUDP
import RUDPNet
import SystemKit

// rudp-send: sends one file (or standard input) to rudp-recv over RUDP or, for comparison, TCP.

var spec = CommandSpec(
    name: "rudp-send", summary: "Send one file reliably over UDP (or TCP, for comparison) to rudp-recv.",
    discussion: """
    Exits 0 only once the receiver has confirmed that the whole file arrived and its SHA-256 \
    matches; 1 if the transfer failed (receiver unreachable, refused, gave up); 2 on a usage error.
    """,
    usage: "rudp-send FILE ADDR [--protocol sw|gbn|sr|tcp] [--window N] [--cc none|reno|cubic|bbr] [--tcp-cc NAME] [--mss BYTES] [--rto auto|DUR] [--max-retries N] [--name NAME] [--trace FILE] [--interval DUR] [--no-gso] [--json] [--quiet]",
    examples: [
        HelpExample("rudp-send report.pdf 127.0.0.1:9000", "Selective Repeat, paced by BBR, window sized to the path"),
        HelpExample("rudp-send report.pdf 127.0.0.1:9000 --cc none --window 64", "the textbook Selective Repeat sender"),
        HelpExample("rudp-send big.iso [::1]:9000 --protocol gbn --window 32", "Go-Back-N over IPv6"),
        HelpExample("rudp-send big.iso host:9000 --cc cubic", "loss-based congestion control, like TCP CUBIC"),
        HelpExample("tar c dir | rudp-send - host:9000 --name dir.tar", "send standard input"),
        HelpExample("rudp-send big.iso host:9000 --interval 1s", "what each second carried, as iperf3 -i shows it"),
        HelpExample("rudp-send big.iso host:9000 --protocol tcp --json", "the same file over kernel TCP, JSON summary"),
        HelpExample("rudp-send big.iso host:9000 --protocol tcp --tcp-cc cubic", "over kernel TCP with CUBIC, whatever the default"),
        HelpExample("rudp-send big.iso host:9000 --protocol gbn --trace gbn.jsonl && rudp-lab plot-trace gbn.jsonl",
                    "record every protocol event, then draw the time-sequence graph"),
        HelpExample("rudp-send report.pdf 127.0.0.1:9000 --no-gso", "one datagram per send, so tcpdump shows one packet per frame"),
    ])
let fileArgument = spec.positional("FILE", help: "File to send, or - for standard input (then --name is needed)",
                                   parse: ValueParsers.string)
let addressArgument = spec.positional("ADDR", help: "Receiver address: HOST:PORT, [IPv6]:PORT", parse: ValueParsers.string)
let protocolOption = spec.option("protocol", short: "p", placeholder: "P", default: "sr",
                                 help: "sw (stop-and-wait), gbn (Go-Back-N), sr (Selective Repeat) or tcp (kernel TCP)",
                                 parse: ValueParsers.choice(["sw", "gbn", "sr", "tcp"]))
let windowOption = spec.option("window", short: "w", placeholder: "N",
                               defaultHelp: "64 with --cc none; with a controller \(SenderConfiguration.maxWindow), which the controller and the receiver's grant bound",
                               help: "Packets in flight (ignored by sw, which is window 1)",
                               parse: ValueParsers.integer(in: 1...SenderConfiguration.maxWindow))
let congestionOption = spec.option("cc", placeholder: "ALGORITHM", defaultHelp: "bbr for sr; none for sw and gbn",
                                   help: "Congestion control: none (the fixed textbook window), reno (NewReno AIMD), "
                                       + "cubic (RFC 9438) or bbr (model-based, paced); --window caps it",
                                   parse: ValueParsers.choice(CongestionAlgorithm.allCases.map(\.rawValue)))
let tcpCongestionOption = spec.option("tcp-cc", placeholder: "NAME", defaultHelp: "the system's default",
                                      help: "Kernel TCP congestion control for --protocol tcp (cubic, reno, bbr, …: "
                                          + "/proc/sys/net/ipv4/tcp_available_congestion_control)",
                                      parse: ValueParsers.string)
let mssOption = spec.option("mss", placeholder: "BYTES", default: "1200", help: "Payload bytes per datagram",
                            parse: { text in
                                let size = try SizeValue.parse(text).bytes
                                guard size >= 1 && size <= UInt64(WireLayout.maxPayload) else {
                                    throw ValueError("'\(text)' is not between 1 and \(WireLayout.maxPayload) bytes")
                                }
                                return Int(size)
                            })
let rtoOption = spec.option("rto", placeholder: "auto|DUR", default: "auto",
                            help: "Retransmission timeout: auto (RFC 6298 adaptive) or a fixed duration such as 200ms",
                            parse: { text -> RetransmissionTimer.Policy in
                                if text == "auto" { return .adaptive }
                                let duration = try DurationValue.parse(text).nanoseconds
                                guard duration >= 1_000_000 else { throw ValueError("'\(text)' is below 1ms") }
                                return .fixed(duration)
                            })
let retriesOption = spec.option("max-retries", placeholder: "N", default: "10",
                                help: "Consecutive timeouts of one packet (or of the SYN or FIN) before giving up: within "
                                    + "about the sum of the backed-off timeouts, each at most 4 s (or the fixed --rto). The SYN "
                                    + "announces it, and rudp-recv waits as long before it abandons the transfer: "
                                    + "(N + 2) x 4 s of silence (48 s for 10), at most 10 min (unless started with --idle-timeout)",
                                parse: ValueParsers.integer(in: 0...1000))
let nameOption = spec.option("name", placeholder: "NAME", defaultHelp: "FILE's last path component",
                             help: "Name to store the file under at the receiver, sent exactly as given",
                             parse: ValueParsers.string)
let traceOption = spec.option("trace", placeholder: "FILE",
                              help: "Write every protocol event (send, retransmit, ack, timeout, RTO change) to FILE as "
                                  + "JSON lines, for rudp-lab plot-trace (RUDP only; the format is in rudp-lab plot-trace --help)",
                              parse: ValueParsers.string)
let intervalOption = spec.option("interval", short: "i", placeholder: "DUR",
                                 help: "Report every DUR (10ms or more) the bytes acknowledged in it, the total, the "
                                     + "retransmissions, RTT and window (TCP: the kernel's): with --json one object "
                                     + "{\"event\":\"interval\",\"start\",\"end\",\"bytes\",\"goodput_mbps\",\"bytes_acked\",…} "
                                     + "per line before the summary, otherwise a line on stderr",
                                 parse: { text in
                                     let duration = try DurationValue.parse(text).nanoseconds
                                     guard duration >= 10_000_000 else { throw ValueError("'\(text)' is below 10ms") }
                                     return duration
                                 })
let noGSOFlag = spec.flag("no-gso", help: "Send every datagram with its own system call instead of runs of up to 64 with UDP "
                             + "segmentation offload (GSO), so that a capture (tcpdump, Wireshark) shows one RUDP packet per "
                             + "frame; slower. RUDP_NO_GSO=1 in the environment does the same (docs/CAPTURE.md)")
let jsonFlag = spec.flag("json", help: "Print one JSON object with the summary on stdout instead of the human summary")
let quietFlag = spec.flag("quiet", short: "q", help: "Print nothing but errors")

runMain(name: "rudp-send") {
    let arguments = try spec.parse(rawCommandLine: RawCommandLine.arguments)
    let path = arguments[fileArgument]
    // Bytes, not text: a path need not be UTF-8, and the name is sent exactly as given.
    let pathBytes = arguments.bytes(of: fileArgument) ?? Array(path.utf8)
    let address: SocketAddress
    do {
        address = try SocketAddress.parse(arguments[addressArgument], forListening: false)
    } catch let error as AddressError {
        if case .cannotResolve = error { throw RuntimeFailure(error.description) }
        throw UsageError(program: "rudp-send", message: "ADDR: \(error.description)")
    }
    if path == "-" && !arguments.wasGiven(nameOption) {
        throw UsageError(program: "rudp-send", message: "sending standard input needs --name NAME", suggestsHelp: false)
    }
    if arguments.wasGiven(tcpCongestionOption) && arguments[protocolOption] != "tcp" {
        throw UsageError(program: "rudp-send", message: "--tcp-cc chooses the kernel's congestion control for --protocol tcp; "
            + "RUDP's is --cc", suggestsHelp: false)
    }
    if arguments.wasGiven(congestionOption) && arguments[protocolOption] == "tcp" {
        throw UsageError(program: "rudp-send", message: "--cc chooses RUDP's congestion control; for --protocol tcp use --tcp-cc",
                         suggestsHelp: false)
    }
    if arguments.wasGiven(traceOption) && arguments[protocolOption] == "tcp" {
        throw UsageError(program: "rudp-send", message: "--trace records RUDP protocol events; kernel TCP has none to "
            + "record (capture it with tcpdump instead)", suggestsHelp: false)
    }
    let file = try OutgoingFile(path: FilePath(bytes: pathBytes))
    let nameBytes = arguments.bytes(of: nameOption) ?? arguments[nameOption].map { Array($0.utf8) } ?? file.defaultName
    let name = TerminalText.escaping(nameBytes)
    let quiet = arguments[quietFlag]
    let json = arguments[jsonFlag]
    let protocolName = arguments[protocolOption]

    SignalNotifier.ignoreSIGPIPE()
    let signals = try SignalNotifier.install()
    let interrupted = { () -> String? in signals.pendingSignal.map { InterruptedBySignal(signal: $0).description } }
    let progressLine = ProgressLine(enabled: !quiet)
    var meter = ThroughputMeter()
    let interval = arguments[intervalOption]
    // The display refreshes every 100 ms; intervals shorter than that need progress as often.
    let progressInterval = min(100_000_000, interval ?? .max)
    var intervals = interval.map { IntervalReport(interval: $0, startTime: MonotonicClock.now()) }
    let showProgress = { (progress: SendProgress) in
        let now = MonotonicClock.now()
        if let report = intervals?.record(progress, now: now) {
            if json {
                Console.out(report.jsonText)
            } else if !quiet {
                progressLine.log(IntervalReport.human(report))
            }
        }
        meter.record(totalBytes: progress.bytesAcknowledged, now: now)
        progressLine.update(TransferProgress(bytesDone: progress.bytesAcknowledged, totalBytes: progress.totalBytes,
                                             bitsPerSecond: meter.bitsPerSecond,
                                             retransmissions: UInt64(progress.retransmissions)).line, now: now)
    }

    // The trace is created before the transfer so that a bad path fails before anything is sent.
    let trace = try arguments[traceOption].map { path throws(FileError) in
        try TraceWriter(path: FilePath(bytes: arguments.bytes(of: traceOption) ?? Array(path.utf8)))
    }
    defer { try? trace?.close() }

    let report: SendReport
    do {
        if protocolName == "tcp" {
            report = try TCPSendClient.run(file: file, to: address, name: nameBytes, connectTimeout: 10_000_000_000,
                                           idleTimeout: 30_000_000_000, interruptFileDescriptor: signals.readFileDescriptor,
                                           isInterrupted: interrupted, congestionControl: arguments[tcpCongestionOption],
                                           progressInterval: progressInterval, progress: showProgress)
        } else {
            // Selective Repeat is the file-transfer tool and sizes itself to the path; stop-and-wait
            // and Go-Back-N stay the textbook senders unless asked.
            let congestionControl = arguments[congestionOption].flatMap(CongestionAlgorithm.init(rawValue:))
                ?? (protocolName == "sr" ? .bbr : .none)
            // A controller sizes the window to the path; the fixed textbook window stays 64.
            let window = arguments[windowOption] ?? (congestionControl == .none ? 64 : SenderConfiguration.maxWindow)
            var options = RUDPSendOptions(mode: TransferMode(shortName: protocolName)!, mss: arguments[mssOption],
                                          window: window, retransmission: arguments[rtoOption],
                                          maxRetries: arguments[retriesOption], name: nameBytes)
            options.congestionControl = congestionControl
            options.segmentationOffload = SegmentationOffload.isEnabled(noGSO: arguments[noGSOFlag])
            var traceFields: [(String, TraceWriter.Field)] = [
                ("protocol", .string(protocolName)), ("window", .integer(options.mode == .stopAndWait ? 1 : options.window)),
                ("mss", .integer(options.mss)), ("cc", .string(options.congestionControl.rawValue)), ("name", .string(name)),
                ("peer", .string(address.description))]
            if let size = file.size { traceFields.append(("size", .integer(Int(clamping: size)))) }
            trace?.recordStart(role: "sender", fields: traceFields)
            report = try RUDPSendClient.run(file: file, to: address, options: options,
                                            interruptFileDescriptor: signals.readFileDescriptor,
                                            isInterrupted: interrupted,
                                            observer: trace?.observer(origin: MonotonicClock.now()),
                                            progressInterval: progressInterval, progress: showProgress)
        }
    } catch {
        progressLine.finish()
        throw RuntimeFailure("\(error)")
    }
    progressLine.finish()
    try trace?.close()
    if json {
        Console.out(SendSummary.json(report).jsonText)
    } else if !quiet {
        Console.err(SendSummary.human(report, name: name, address: address))
    }
}
