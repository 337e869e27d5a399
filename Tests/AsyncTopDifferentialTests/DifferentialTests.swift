import AsyncTopRuntime
import Testing
import TmuxTestSupport

/// Each scenario's Python program under CPython's asyncio and its Swift twin on an
/// `EventLoop` log the same events in the same order.
///
/// The Python program runs first, alone: run beside the twin, its start-up takes the CPU
/// the twin's timers need on a loaded machine. The test blocks its thread while it runs:
/// the suite runs off the cooperative pool.
@Suite(.offCooperativePool) struct DifferentialTests {
    @Test(arguments: Scenario.allCases.filter { !$0.needsPython313 })
    func sameEventsAsCPython(_ scenario: Scenario) async throws {
        try await expectSameEvents(scenario)
    }

    @Test(.enabled(if: CPython.hasQueueShutdown, "asyncio.Queue.shutdown is new in Python 3.13"))
    func queueShutdownAsInCPython313() async throws {
        try await expectSameEvents(.queueShutdown)
    }

    func expectSameEvents(_ scenario: Scenario) async throws {
        let cpython = try CPython.start(scenario.rawValue).lines()
        try #require(cpython.count >= 3, "python/\(scenario.rawValue).py logged too little: \(cpython)")
        let log = EventLog()
        try await EventLoop.run(name: "differential", reportLeftovers: { _ in }) {
            // An error the twin did not expect ends its log with a line of its own, where
            // the diff shows it.
            do { try await scenario.twin(log) } catch { log("the twin threw \(spelling(of: error))") }
        }
        let asynctop = log.all
        let expected = scenario.kept(cpython)
        #expect(asynctop == expected, "\(scenario.rawValue): asynctop's events differ from CPython's:\n\(lineDiff(cpython: expected, asynctop: asynctop))")
    }
}
