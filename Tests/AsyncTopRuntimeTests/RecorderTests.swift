import AsyncTopModel
import Foundation
import Testing
@testable import AsyncTopRuntime

@Suite struct RecorderTests {
    @Test func aStaleSnapshotIsNotRecorded() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("recorder-\(getpid()).ndjson").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let recorder = try AsyncTopRuntime.Recorder(path: path)
        let hello = ServerMessage.Hello(pid: 1, program: "test", loopName: "loop", epoch: 0, interval: 0.1)
        let live = Snapshot(version: 5, tasks: [TaskInfo(id: 1, name: "root")])
        recorder.record(snapshot: live, hello: hello)
        // What a loop too busy to answer gives: its last picture, here never built.
        recorder.record(snapshot: Snapshot(), hello: hello)
        var later = live
        later.version = 6
        later.tasks.append(TaskInfo(id: 2, name: "child"))
        recorder.record(snapshot: later, hello: hello)
        recorder.close()
        let recording = Recording(bytes: [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
        #expect(recording.stoppedAtLine == nil)
        #expect(recording.frameCount == 2)
        #expect(recording.snapshot(at: recording.frameCount - 1).tasks.map(\.name) == ["root", "child"])
    }
}
