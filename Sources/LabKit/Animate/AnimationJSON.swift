import CLIKit

/// The recorded runs as the page's script reads them (one JSON object embedded in the page).
extension AnimationRun {
    var json: JSONValue {
        .object([
            ("title", .string(title)),
            ("source", .string(source.rawValue)),
            ("protocol", .string(protocolName)),
            ("window", .int(window)),
            ("packets", .int(packets)),
            ("cc", congestionControl.map(JSONValue.string) ?? .null),
            ("one_way_delay", .double(oneWayDelay)),
            ("rate", linkRate.map(JSONValue.double) ?? .null),
            ("command", .string(command)),
            ("end", .double(endTime)),
            ("flights", .array(flights.map(\.json))),
            ("marks", .array(marks.map(\.json))),
            ("sender", .array(senderStates.map(\.json))),
            ("receiver", .array(receiverStates.map(\.json))),
            ("notes", .array(notes.map(JSONValue.string))),
            ("caveats", .array(caveats.map(JSONValue.string))),
        ])
    }
}

extension AnimationFlight {
    var json: JSONValue {
        .object([
            ("kind", .string(kind.rawValue)),
            ("to_receiver", .bool(towardReceiver)),
            ("index", index.map(JSONValue.int) ?? .null),
            ("cumulative", cumulative.map(JSONValue.int) ?? .null),
            ("sack", .array(sackBlocks.map { .array([.int($0.lowerBound), .int($0.upperBound)]) })),
            ("sent", .double(sent)),
            ("arrived", arrived.map(JSONValue.double) ?? .null),
            ("transmission", .int(transmission)),
            ("estimated", .bool(estimated)),
            ("label", .string(label)),
        ])
    }
}

extension AnimationMark {
    var json: JSONValue {
        .object([
            ("kind", .string(kind.rawValue)),
            ("t", .double(time)),
            ("index", .int(index)),
            ("rto_ms", rtoMilliseconds.map(JSONValue.double) ?? .null),
        ])
    }
}

extension SenderSnapshot {
    var json: JSONValue {
        .object([
            ("t", .double(time)),
            ("phase", .string(phase)),
            ("base", .int(base)),
            ("next", .int(next)),
            ("sacked", .array(selectivelyAcknowledged.map(JSONValue.int))),
            ("timer", timerDeadline.map(JSONValue.double) ?? .null),
            ("rto_ms", rtoMilliseconds.map(JSONValue.double) ?? .null),
            ("cwnd", congestionWindow.map(JSONValue.double) ?? .null),
            ("retransmissions", .int(retransmissions)),
            ("timeouts", .int(timeouts)),
            ("fast_retransmits", .int(fastRetransmits)),
        ])
    }
}

extension ReceiverSnapshot {
    var json: JSONValue {
        .object([
            ("t", .double(time)),
            ("expected", .int(expected)),
            ("buffered", .array(buffered.map(JSONValue.int))),
            ("discarded", .int(discarded)),
            ("duplicates", .int(duplicates)),
            ("acks_sent", .int(acksSent)),
            ("recorded", .bool(recorded)),
        ])
    }
}
