import AsyncTopModel
import Foundation
import Testing

struct WireTests {
    func task(_ id: TaskID, state: TaskState = .running, version: UInt64 = 1) -> TaskInfo {
        TaskInfo(id: id, parentID: id > 1 ? 1 : nil, name: "t\(id)", state: state, createdAt: 5, version: version)
    }

    @Test func clientMessagesRoundTrip() throws {
        let messages: [ClientMessage] = [.cancel(id: 1, task: 42, message: "stop"), .cancel(id: nil, task: 7, message: nil),
                                         .pause(id: 2), .resume(id: nil), .launch(id: 3, demo: "gather"), .ping(id: 4)]
        for message in messages {
            var line = WireCodec.line(message)
            #expect(line.last == 0x0A)
            line.removeLast()
            #expect(!line.contains(0x0A))
            #expect(try WireCodec.decodeClient(line).get() == message)
        }
    }

    @Test func serverMessagesRoundTrip() {
        let delta = SnapshotDelta(fromVersion: 1, toVersion: 9, takenAt: 100, isFull: false,
                                  changed: [task(1), task(2, state: .suspended(.sleep(until: 7))), task(3, state: .cancelled(message: "x"))],
                                  removed: [4], stats: LoopStats(tasksByState: [.running: 2], stepsPerSecond: .nan),
                                  executors: [ExecutorInfo(name: "loop", kind: .loop)])
        let messages: [ServerMessage] = [
            .hello(.init(pid: 12, program: "p", loopName: "l", epoch: 1.5, interval: 0.1, demos: ["a"])),
            .delta(.init(dropped: 3, delta: delta)), .reply(id: 1, result: "ok"), .error(id: nil, code: "c", message: "m")]
        for message in messages {
            var line = WireCodec.line(message)
            line.removeLast()
            let decoded = try? WireCodec.decodeServer(line).get()
            if case .delta(let update) = message, case .delta(let back)? = decoded {
                #expect(back.delta.changed == update.delta.changed && back.delta.removed == update.delta.removed)
                #expect(back.delta.stats.stepsPerSecond.isNaN && back.dropped == 3)
            } else {
                #expect(decoded == message)
            }
        }
    }

    @Test func badLinesGiveErrorCodes() {
        func code(_ text: String) -> String? {
            if case .failure(let error) = WireCodec.decodeClient(Array(text.utf8)) { return error.code }
            return nil
        }
        #expect(code("") == "malformed")
        #expect(code("[1,2]") == "malformed")
        #expect(code("42") == "malformed")
        #expect(code(#"{"id":1}"#) == "bad-field")
        #expect(code(#"{"type":"nuke"}"#) == "unknown-type")
        #expect(code(#"{"type":"cancel","task":"x"}"#) == "bad-field")
        #expect(code(#"{"type":"cancel","task":-1}"#) == "bad-field")
        #expect(code(String(repeating: " ", count: WireProtocol.maxClientLineBytes + 1)) == "too-long")
        #expect(WireCodec.requestID(in: Array(#"{"type":"nuke","id":8}"#.utf8)) == 8)
    }

    /// Ids are integers 0…Int.max, task ids 0…UInt64.max; anything else is a bad field
    /// named in our words, and an error reply repeats only a valid id.
    @Test func idsAndTasksOutOfRangeAreBadFields() throws {
        func failure(_ text: String) -> WireError? {
            if case .failure(let error) = WireCodec.decodeClient(Array(text.utf8)) { return error }
            return nil
        }
        for value in ["-1", "1.5", "\"3\"", "true", "[]", "{}", "9223372036854775808", "-9223372036854775808", "1e300"] {
            let error = failure(#"{"type":"ping","id":\#(value)}"#)
            #expect(error == WireError(code: "bad-field", message: "'id' must be a request id (an integer from 0 to \(Int.max))"), "\(value)")
            #expect(WireCodec.requestID(in: Array(#"{"type":"nuke","id":\#(value)}"#.utf8)) == nil, "\(value)")
        }
        for value in ["-1", "1.5", "\"3\"", "null", "false", "[1]", "18446744073709551616", "-0.1"] {
            let error = failure(#"{"type":"cancel","id":2,"task":\#(value)}"#)
            #expect(error == WireError(code: "bad-field", message: "'task' must be a task id (an integer from 0 to \(UInt64.max))"), "\(value)")
            #expect(WireCodec.requestID(in: Array(#"{"type":"cancel","id":2,"task":\#(value)}"#.utf8)) == 2)
        }
        #expect(failure(#"{"type":"cancel","id":2}"#) == WireError(code: "bad-field", message: "'task' is missing"))
        #expect(try WireCodec.decodeClient(Array(#"{"type":"cancel","task":18446744073709551615,"id":9223372036854775807}"#.utf8)).get()
                == .cancel(id: Int.max, task: .max, message: nil))
        #expect(try WireCodec.decodeClient(Array(#"{"type":"ping","id":null}"#.utf8)).get() == .ping(id: nil))
        // Broken JSON: a fixed wording, never the parser's.
        #expect(failure(#"{"type":"ping","#) == WireError(code: "malformed", message: "not valid JSON"))
        #expect(failure("{\u{FF}}") == WireError(code: "malformed", message: "not valid JSON"))
    }

    /// A recording whose hello announces another protocol version loads nothing and says
    /// which version it is, even when the rest of that hello is not ours.
    @Test func recordingOfAnotherVersionIsRefused() {
        var hello = ServerMessage.Hello(pid: 1, program: "p", loopName: "l", epoch: 0, interval: 0.1)
        hello.protocol = WireProtocol.version + 1
        var bytes = WireCodec.line(RecordingEntry(t: 0, message: .hello(hello)))
        bytes += Array(recordingBytes(frames: 3).drop { $0 != 0x0A }.dropFirst())
        let refused = Recording(bytes: bytes)
        #expect(refused.unsupportedVersion == WireProtocol.version + 1 && refused.frameCount == 0 && refused.stoppedAtLine == 1)
        #expect(refused.problem == Recording.versionProblem(WireProtocol.version + 1))
        let alien = Recording(bytes: Array(#"{"t":0,"message":{"type":"hello","hello":{"protocol":7}}}"#.utf8) + [0x0A])
        #expect(alien.unsupportedVersion == 7)
        #expect(Recording(bytes: recordingBytes(frames: 3)).unsupportedVersion == nil)
    }

    /// Recordings made with protocol 1 (the same JSON lines) still replay, every frame.
    @Test func protocolOneRecordingsStillReplay() {
        var hello = ServerMessage.Hello(pid: 1, program: "p", loopName: "l", epoch: 0, interval: 0.1)
        hello.protocol = 1
        var bytes = WireCodec.line(RecordingEntry(t: 0, message: .hello(hello)))
        bytes += Array(recordingBytes(frames: 3).drop { $0 != 0x0A }.dropFirst())
        let old = Recording(bytes: bytes)
        #expect(old.unsupportedVersion == nil && old.problem == nil)
        #expect(old.frameCount == Recording(bytes: recordingBytes(frames: 3)).frameCount && old.frameCount > 0)
        #expect(old.last.tasks == Recording(bytes: recordingBytes(frames: 3)).last.tasks)
    }

    /// Random bytes, random JSON-ish text and mutations of valid lines: the decoder
    /// answers every one with a message or an error, never a trap.
    @Test func fuzzTheDecoder() {
        var rng = SystemRandomNumberGenerator()
        let valid = [ClientMessage.cancel(id: 1, task: 42, message: "stop"), .launch(id: 2, demo: "d"), .ping(id: nil)]
            .map { Array(WireCodec.line($0).dropLast()) }
        let alphabet = Array(#"{}[]":,0123456789-.eE truefalsnul\"#.utf8) + [0, 0xFF, 0xC3, 0x0A]
        var decoded = 0, failed = 0
        for round in 0..<3000 {
            var bytes: [UInt8]
            switch round % 3 {
            case 0: bytes = (0..<Int.random(in: 0...200, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            case 1: bytes = (0..<Int.random(in: 0...200, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }
            default:
                bytes = valid.randomElement(using: &rng)!
                for _ in 0..<Int.random(in: 1...4, using: &rng) where !bytes.isEmpty {
                    let i = Int.random(in: 0..<bytes.count, using: &rng)
                    switch Int.random(in: 0..<3, using: &rng) {
                    case 0: bytes[i] = alphabet.randomElement(using: &rng)!
                    case 1: bytes.remove(at: i)
                    default: bytes.insert(UInt8.random(in: 0...255, using: &rng), at: i)
                    }
                }
            }
            switch WireCodec.decodeClient(bytes) {
            case .success: decoded += 1
            case .failure(let error): failed += 1; #expect(!error.code.isEmpty)
            }
            _ = WireCodec.decodeServer(bytes)
            _ = Recording(bytes: bytes)
        }
        #expect(decoded + failed == 3000 && failed > 0)
    }

    @Test func lineBufferSplitsAndBoundsLines() {
        var buffer = LineBuffer(limit: 8)
        buffer.append(Array("ab\ncd\r\n0123456789abc".utf8))
        #expect(buffer.next() == .line(Array("ab".utf8)))
        #expect(buffer.next() == .line(Array("cd".utf8)))
        #expect(buffer.next() == nil)
        buffer.append(Array("defgh\nok\n".utf8))
        #expect(buffer.next() == .tooLong(18))
        #expect(buffer.next() == .line(Array("ok".utf8)))
        #expect(buffer.next() == nil)
        #expect(buffer.pendingCount == 0)
    }

    func recordingBytes(frames: Int) -> [UInt8] {
        var bytes = WireCodec.line(RecordingEntry(t: 0, message: .hello(.init(pid: 1, program: "p", loopName: "l", epoch: 0, interval: 0.1))))
        var previous: Snapshot?
        for i in 0..<frames {
            let tasks = (1...UInt64(3 + i % 5)).map { task($0, state: $0 == 2 && i % 2 == 0 ? .running : .pending, version: UInt64(i)) }
            let snapshot = Snapshot(version: UInt64(i + 1), takenAt: UInt64(i) * 100, tasks: tasks)
            bytes += WireCodec.line(RecordingEntry(t: Double(i) * 0.1, message: .delta(.init(dropped: 0, delta: .between(previous, snapshot)))))
            previous = snapshot
        }
        return bytes
    }

    @Test func recordingSeeksToEveryFrame() {
        let bytes = recordingBytes(frames: 30)
        let recording = Recording(bytes: bytes)
        #expect(recording.frameCount == 30 && recording.stoppedAtLine == nil)
        for i in [29, 0, 17, 3, 8, 16, 24] {
            let s = recording.snapshot(at: i)
            #expect(s.version == UInt64(i + 1) && s.tasks.count == 3 + i % 5)
        }
        #expect(recording.frame(atOrBefore: 1.05) == 10)
        #expect(recording.frame(atOrBefore: -1) == 0)
    }

    @Test func truncatedOrCorruptRecordingLoadsWhatIsValid() {
        let bytes = recordingBytes(frames: 10)
        let truncated = Array(bytes.dropLast(20))
        let recording = Recording(bytes: truncated)
        #expect(recording.frameCount == 9 && recording.stoppedAtLine == 11)
        #expect(recording.problem?.contains("truncated") == true)
        var corrupt = bytes
        let fifthLine = corrupt.indices.filter { corrupt[$0] == 0x0A }[4] + 3
        corrupt[fifthLine] = UInt8(ascii: "#")
        let broken = Recording(bytes: corrupt)
        #expect(broken.stoppedAtLine == 6 && broken.frameCount == 4)
    }
}
