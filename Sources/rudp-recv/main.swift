import CLIKit
import RUDP
import RUDPNet
import SystemKit

// rudp-recv: receives files over RUDP (UDP) and the TCP baseline, on the same port number.

var spec = CommandSpec(
    name: "rudp-recv", summary: "Receive files sent with rudp-send, over RUDP and over TCP, on one port.",
    discussion: """
    Files are written only inside --out DIR, under the name the sender gives; unsafe names are \
    refused. A file appears under its final name only once it is complete and its SHA-256 \
    matches: it is written to a temporary file, synced, then renamed.
    """,
    usage: "rudp-recv [--listen ADDR] [--out DIR] [--once] [--overwrite] [--idle-timeout DUR] [--trace FILE] [--no-gso] [--json] [--quiet]",
    examples: [
        HelpExample("rudp-recv --out incoming", "serve on port 9000 (UDP and TCP), all interfaces"),
        HelpExample("rudp-recv --listen 127.0.0.1:9100 --once --json", "one transfer, then exit; JSON line per file"),
        HelpExample("rudp-recv --trace recv.jsonl", "record the protocol events of every transfer in one file"),
    ])
let listenOption = spec.option("listen", short: "l", placeholder: "ADDR", default: ":9000",
                               help: "Address to listen on (UDP for RUDP, TCP for the baseline): HOST:PORT, [IPv6]:PORT or :PORT",
                               parse: ValueParsers.string)
let outOption = spec.option("out", short: "o", placeholder: "DIR", default: ".", help: "Directory to write received files into",
                            parse: ValueParsers.string)
let onceFlag = spec.flag("once", help: "Exit after the first transfer ends: 0 if it succeeded, 1 if not (a handshake that "
                             + "never completed counts as a failed transfer). After saving a file it stays until the sender "
                             + "acknowledged the FIN-ACK or can no longer retransmit its FIN (by its announced retries: "
                             + "about 22 s for rudp-send's defaults on a LAN, 44 s at most)")
let overwriteFlag = spec.flag("overwrite", help: "Replace existing files (otherwise the sender gets an error)")
let idleOption = spec.option("idle-timeout", placeholder: "DUR",
                             defaultHelp: "as long as the sender retries, at least 10s",
                             help: "Abandon a transfer after this long without a packet from its sender. Without this flag "
                                 + "an RUDP transfer is abandoned only once its sender would have given up too: the SYN "
                                 + "announces its retries and largest timeout, and the receiver waits (retries + 2) x that "
                                 + "timeout (48 s for rudp-send's 10 retries backed off to 4 s), at least 10 s, at most 10 min; "
                                 + "10 s for a sender that announces nothing and for TCP. Given, it applies as it is",
                             parse: { text in
                                 let duration = try DurationValue.parse(text).nanoseconds
                                 guard duration > 0 else { throw ValueError("must be more than 0") }
                                 return duration
                             })
let traceOption = spec.option("trace", placeholder: "FILE",
                              help: "Write the protocol events (receive, ack_sent) of every RUDP transfer to FILE as JSON "
                                  + "lines, one file for all transfers, each line with its connection ID in a conn field "
                                  + "(the format is in rudp-lab plot-trace --help)",
                              parse: ValueParsers.string)
let noGSOFlag = spec.flag("no-gso", help: "Take every datagram alone instead of letting the kernel coalesce a sender's runs "
                             + "(UDP GRO), which on a real interface also merges them before a capture on this host sees them; "
                             + "acknowledgements leave one per datagram either way. RUDP_NO_GSO=1 in the environment does the "
                             + "same (docs/CAPTURE.md)")
let jsonFlag = spec.flag("json", help: "Print one JSON object per finished transfer on stdout")
let quietFlag = spec.flag("quiet", short: "q", help: "Print nothing but errors")

runMain(name: "rudp-recv") {
    let arguments = try spec.parse(rawCommandLine: RawCommandLine.arguments)
    let address: SocketAddress
    do {
        address = try SocketAddress.parse(arguments[listenOption], forListening: true)
    } catch let error as AddressError {
        if case .cannotResolve = error { throw RuntimeFailure(error.description) }
        throw UsageError(program: "rudp-recv", message: "--listen: \(error.description)")
    }
    // Bytes, not text: a directory's name need not be UTF-8.
    let outputDirectory = FilePath(bytes: arguments.bytes(of: outOption) ?? Array(arguments[outOption].utf8))
    let shownDirectory = TerminalText.escaping(outputDirectory.bytes)
    var options = ReceiveOptions(outputDirectory: outputDirectory, overwrite: arguments[overwriteFlag],
                                 idleTimeout: arguments[idleOption] ?? ReceiverConfiguration(initialSequence: 0).idleTimeout,
                                 idleTimeoutFollowsSender: arguments[idleOption] == nil, once: arguments[onceFlag])
    options.receiveOffload = SegmentationOffload.isEnabled(noGSO: arguments[noGSOFlag])
    try IncomingFile.checkWritableDirectory(options.outputDirectory)
    let quiet = arguments[quietFlag]
    let json = arguments[jsonFlag]
    let abandoned = AbandonedTemporaryFiles.remove(in: options.outputDirectory)
    if !abandoned.isEmpty && !quiet {
        let count = abandoned.count == 1 ? "1 temporary file" : "\(abandoned.count) temporary files"
        Console.err("rudp-recv: removed \(count) left in \(shownDirectory) by a receiver that was killed: "
            + abandoned.joined(separator: ", "))
    }

    SignalNotifier.ignoreSIGPIPE()
    let signals = try SignalNotifier.install()
    let server = try ReceiveServer(listeningOn: address, options: options)
    let trace = try arguments[traceOption].map { path throws(FileError) in
        try TraceWriter(path: FilePath(bytes: arguments.bytes(of: traceOption) ?? Array(path.utf8)))
    }
    defer { try? trace?.close() }
    if let trace {
        server.makeObserver = { peer, connectionID in
            trace.recordStart(role: "receiver", connection: connectionID, fields: [("peer", .string(peer.description))])
            return trace.observer(origin: MonotonicClock.now(), connection: connectionID)
        }
    }
    let progressLine = ProgressLine(enabled: !quiet)
    if !quiet {
        progressLine.log("rudp-recv: listening on \(server.localAddress) (UDP: RUDP; TCP: baseline), writing to \(shownDirectory)")
    }
    let outcome = try server.run(
        interruptFileDescriptor: signals.readFileDescriptor,
        isInterrupted: { signals.pendingSignal.map { InterruptedBySignal(signal: $0).description } },
        onEvent: { event in
            switch event {
            case .started(let name, let peer, let protocolName, let size):
                if !quiet {
                    progressLine.log("receiving '\(name)' from \(peer) over \(protocolName)"
                        + (size.map { " (\(HumanFormat.bytes($0)))" } ?? ""))
                }
            case .progress(let active):
                let now = MonotonicClock.now()
                if active.count == 1, let only = active.first {
                    progressLine.update("\(only.name): " + TransferProgress(bytesDone: only.bytes, totalBytes: only.size,
                                                                            bitsPerSecond: 0, retransmissions: 0).line, now: now)
                } else if !active.isEmpty {
                    let total = active.reduce(UInt64(0)) { $0 + $1.bytes }
                    progressLine.update("\(active.count) transfers, \(HumanFormat.bytes(total)) received", now: now)
                }
            case .finished(let report):
                // A finished transfer's events reach the file now, not only when the server exits.
                if let trace { do { try trace.flush() } catch { Console.err("rudp-recv: \(error)") } }
                if json {
                    Console.out(ReceiveSummary.json(report).jsonText)
                } else if !quiet || !report.succeeded {
                    progressLine.finish()
                    let line = ReceiveSummary.human(report)
                    if report.succeeded { progressLine.log(line) } else { Console.err("rudp-recv: " + line) }
                }
            }
        })
    progressLine.finish()
    try trace?.close()
    switch outcome {
    case .firstTransferEnded(let succeeded):
        if !succeeded { throw ProgramExit(code: ExitCode.failure, output: "") }
    case .interrupted(let reason):
        throw RuntimeFailure(reason)
    }
}
