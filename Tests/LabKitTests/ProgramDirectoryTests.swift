import Testing
@testable import LabKit

/// What the lab says when `swift run rudp-lab` built it without its sibling programs.
@Suite struct ProgramDirectoryTests {
    @Test func aMissingSiblingNamesTheBuildCommandOfItsConfiguration() {
        let debug = ProgramDirectory(path: "/src/.build/x86_64-unknown-linux-gnu/debug").missing("rudp-recv")
        #expect(debug.contains("'swift build && swift run rudp-lab demo'"))
        let release = ProgramDirectory(path: "/src/.build/release").missing("lossproxy")
        #expect(release.contains("'swift build -c release && swift run -c release rudp-lab demo'"))
        let installed = ProgramDirectory(path: "/usr/local/bin").missing("lossproxy")
        #expect(installed.contains("in one directory"))
    }
}
