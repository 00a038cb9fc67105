/// Records the runs of a page and writes their notes: each scenario once as asked and once
/// without its losses (to tell what the losses cost), and, for runs side by side, how they compare.
public enum AnimationBuilder {
    /// The page of `scenarios` (side by side when several).
    public static func page(title: String, scenarios: [AnimationScenario], question: String? = nil,
                            command: String? = nil) throws -> AnimationPage {
        var runs: [AnimationRun] = []
        for scenario in scenarios {
            let runCommand = command.map { scenarios.count > 1 ? "\($0) (the \(scenario.mode.shortName) run)" : $0 }
            var run = try ScenarioRecorder.record(scenario, title: scenarios.count > 1 ? scenario.summary : title, command: runCommand)
            var clean = scenario
            clean.dataLosses = []
            clean.ackLosses = []
            let lossless = clean == scenario ? nil : try ScenarioRecorder.record(clean)
            run.notes = AnimationObservations.notes(for: run, lossless: lossless)
            runs.append(run)
        }
        if runs.count > 1, let comparison = comparison(runs) {
            for position in runs.indices { runs[position].notes.append(comparison) }
        }
        return AnimationPage(title: title, runs: runs, question: question)
    }

    /// The page of a textbook exercise.
    public static func page(exercise: AnimationExercise, scenarios: [AnimationScenario]? = nil,
                            command: String? = nil) throws -> AnimationPage {
        try page(title: "Exercise \(exercise.name): \(exercise.summary)", scenarios: scenarios ?? exercise.scenarios,
                 question: exercise.question, command: command ?? "rudp-lab animate --exercise \(exercise.name)")
    }

    /// "Same losses: gbn resent 5 packets and finished at 1.2 s; sr resent 1 and finished at 0.9 s."
    static func comparison(_ runs: [AnimationRun]) -> String? {
        let parts = runs.map { run -> String in
            let resent = run.retransmissions.count
            let end = AnimationObservations.finishTime(run).map { " and finished at " + AnimationObservations.seconds($0) } ?? ""
            return "\(run.protocolName) resent \(AnimationFormat.count(resent, "packet"))\(end)"
        }
        guard let fastest = runs.compactMap({ run in AnimationObservations.finishTime(run).map { (run, $0) } })
            .min(by: { $0.1 < $1.1 }) else { return nil }
        let slowest = runs.compactMap { AnimationObservations.finishTime($0) }.max() ?? fastest.1
        var text = "Side by side, the same losses: " + AnimationFormat.list(parts) + "."
        if slowest - fastest.1 > 1e-9 {
            text += " \(fastest.0.protocolName) is done \(AnimationFormat.milliseconds(slowest - fastest.1)) sooner."
        }
        return text
    }
}
