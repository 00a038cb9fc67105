import Foundation
import Testing
@testable import CLIKit

@Suite struct FailureLineTests {
    @Test func usesTheErrorsOwnLine() {
        #expect(failureLine(for: RuntimeFailure("receiver unreachable at 10.0.0.2:9000"), program: "rudp-send")
            == "rudp-send: receiver unreachable at 10.0.0.2:9000")
    }

    @Test func keepsOnlyTheFirstLineAndNoDoublePrefix() {
        #expect(failureLine(for: RuntimeFailure("first\nsecond"), program: "p") == "p: first")
        #expect(failureLine(for: RuntimeFailure("p: already named"), program: "p") == "p: already named")
        #expect(failureLine(for: RuntimeFailure(""), program: "p") == "p: failed (RuntimeFailure)")
    }

    @Test func foundationFileErrorsReadLikeUnixTools() {
        do {
            _ = try Data(contentsOf: URL(fileURLWithPath: "/nonexistent/clikit-test"))
            Issue.record("read a file that does not exist")
        } catch {
            #expect(failureLine(for: error, program: "rudp-send") == "rudp-send: /nonexistent/clikit-test: No such file or directory")
        }
    }

    @Test func reportReturnsTheExitCodes() {
        #expect(reportError(ProgramExit(code: 0), program: "p") == ExitCode.success)
        #expect(reportError(ProgramExit(code: 130), program: "p") == 130)
        #expect(reportError(UsageError(program: "p", message: "unit test, ignore this line"), program: "p") == ExitCode.usage)
        #expect(reportError(RuntimeFailure("unit test, ignore this line"), program: "p") == ExitCode.failure)
        #expect([ExitCode.success, ExitCode.failure, ExitCode.usage] == [0, 1, 2])
    }

    @Test func interruptionLine() {
        #expect(failureLine(for: InterruptedBySignal(signal: SIGINT), program: "rudp-recv") == "rudp-recv: interrupted by SIGINT")
    }
}
