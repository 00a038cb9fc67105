// Congestion reports for traces: what the controller holds, sent to the observer when it
// changes. Only a traced sender with a controller builds any (`isTracingCongestion`), so an
// untraced sender does none of this work.

extension Sender {
    /// Whether the observer is to hear the controller's state (tracing, with a controller).
    var isTracingCongestion: Bool { isControlled && observer != nil }

    /// The controller's state now.
    func congestionReport(_ cause: CongestionReport.Cause) -> CongestionReport {
        CongestionReport(cause: cause, window: congestion.window, slowStartThreshold: congestion.slowStartThreshold,
                         bytesInFlight: bytesInFlight, mss: mss, pacingRate: congestion.pacingRate,
                         phase: congestion.phase)
    }

    /// Tells the observer `report`, at `now`.
    func emit(_ report: CongestionReport, now: UInt64) {
        congestionReports.didReport(report, now: now)
        observer?(now, .congestion(report))
    }

    /// After an acknowledgement reached the controller: a report if the schedule says one is due.
    func reportCongestionIfDue(now: UInt64) {
        let report = congestionReport(.acknowledgement)
        if congestionReports.isDue(report, now: now, smoothedRTT: timer.smoothedRTT) { emit(report, now: now) }
    }

    /// Runs a controller's reaction to a loss, timeout or timeout verdict; when tracing, reports
    /// where it left the window (a loss or undo only if it changed anything; a timeout always).
    /// The state before it is reported first when the last report did not show it, so a plot's
    /// window line reaches the peak it fell from.
    func reportingReaction(_ cause: CongestionReport.Cause, _ reaction: () -> Void) {
        guard isTracingCongestion else { return reaction() }
        let before = congestionReport(.acknowledgement)
        reaction()
        let after = congestionReport(cause)
        guard cause == .timeout || !after.hasSameControllerState(as: before) else { return }
        if congestionReports.isNews(before) { emit(before, now: eventTime) }
        emit(after, now: eventTime)
    }
}
