import AsyncTopModel
import Foundation
import Testing

/// Several loops of one process, as a client holds them and shows them as one picture.
struct LoopSetTests {
    func task(_ id: TaskID, _ state: TaskState = .running, loop: String, parent: TaskID? = nil) -> TaskInfo {
        TaskInfo(id: id, parentID: parent, name: "t\(id)", state: state, createdAt: 5, executor: loop, version: 1)
    }

    func picture(_ loop: String, _ ids: [TaskID], version: UInt64 = 3, spawned: UInt64 = 0) -> Snapshot {
        Snapshot(version: version, takenAt: 100, epoch: 1, loopName: loop,
                 stats: LoopStats(tasksByState: [.running: ids.count], totalSpawned: spawned, busyFraction: Double(ids.count) / 10,
                                  readyQueueDepth: ids.count, lagMax: Nanos(ids.count)),
                 tasks: ids.map { task($0, loop: loop) },
                 executors: [ExecutorInfo(name: "pool", kind: .threads), ExecutorInfo(name: loop, kind: .loop)])
    }

    @Test func oneLoopIsShownAsItIs() {
        let one = picture("main", [1, 2])
        #expect(Snapshot.merging([one]) == one)
        #expect(Snapshot.merging([]) == Snapshot())
    }

    @Test func severalLoopsMergeInIdOrderWithTheirCountersAddedUp() {
        let merged = Snapshot.merging([picture("main", [1, 4, 9], spawned: 3), picture("workers", [2, 3, 10, 11], spawned: 4)])
        #expect(merged.tasks.map(\.id) == [1, 2, 3, 4, 9, 10, 11])
        #expect(merged.task(10)?.executor == "workers" && merged.task(4)?.executor == "main")
        #expect(merged.loopName == "main, workers")
        // The loops first, each once, then the pool they both list, once.
        #expect(merged.executors.map(\.name) == ["main", "workers", "pool"])
        #expect(merged.stats.count(.running) == 7 && merged.stats.totalSpawned == 7 && merged.stats.readyQueueDepth == 7)
        // Shares and lags are not added: the busiest loop, the worst lag.
        #expect(merged.stats.busyFraction == 0.4 && merged.stats.lagMax == 4)
        #expect(merged.version == 6)
        // Loops whose ids do not interleave are joined as they are.
        #expect(Snapshot.merging([picture("a", [1, 2]), picture("b", [3, 4])]).tasks.map(\.id) == [1, 2, 3, 4])
    }

    @Test func loopsJoinAndLeave() {
        let hello = ServerMessage.Hello(pid: 1, program: "p", loopName: "main", epoch: 1, interval: 0.1)
        var loops = LoopSet(hello: hello)
        #expect(loops.awaiting == [0])
        loops.apply(.init(id: 0, name: "main", epoch: 1))
        loops.apply(.init(id: 1, name: "workers", epoch: 1))
        #expect(loops.awaiting == [0, 1] && loops.holds(1))
        let full = SnapshotDelta.full(picture("workers", [5]))
        loops.apply(ServerMessage.Update(dropped: 0, delta: full, loop: 1))
        #expect(loops.awaiting == [0])
        loops.apply(ServerMessage.Update(dropped: 0, delta: .full(picture("main", [1])), loop: 0))
        #expect(loops.awaiting.isEmpty)
        #expect(loops.snapshots.map(\.loopName) == ["main", "workers"])
        #expect(loops.merged.tasks.map(\.id) == [1, 5])
        loops.apply(.init(id: 1, name: "workers", epoch: 1, closed: true))
        #expect(!loops.holds(1) && loops.merged.tasks.map(\.id) == [1])
    }

    /// Two loops of one name: the server numbers the second, and the client names its
    /// executor so; the merged picture keeps both loops as executors.
    @Test func loopsOfOneNameStayTwoLoops() {
        let hello = ServerMessage.Hello(pid: 1, program: "p", loopName: "loop", epoch: 1, interval: 0.1)
        var loops = LoopSet(hello: hello)
        loops.apply(.init(id: 1, name: "loop-2", epoch: 1))
        loops.apply(ServerMessage.Update(dropped: 0, delta: .full(picture("loop", [1])), loop: 0))
        loops.apply(ServerMessage.Update(dropped: 0, delta: .full(picture("loop", [2])), loop: 1))
        #expect(loops.snapshots.map { $0.executors.filter { $0.kind == .loop }.map(\.name) } == [["loop"], ["loop-2"]])
        let merged = loops.merged
        #expect(merged.executors.map(\.name) == ["loop", "loop-2", "pool"])
        #expect(merged.loopName == "loop, loop-2" && merged.tasks.count == 2)
    }

    @Test func theLoopMessagesOnTheWire() throws {
        let delta = SnapshotDelta.full(picture("workers", [5]))
        for message: ServerMessage in [.loop(.init(id: 3, name: "w", epoch: 2.5)), .loop(.init(id: 3, name: "w", epoch: 2.5, closed: true))] {
            var line = WireCodec.line(message)
            line.removeLast()
            #expect(try WireCodec.decodeServer(line).get() == message)
        }
        var line = WireCodec.line(ServerMessage.delta(.init(dropped: 1, delta: delta, loop: 2)))
        line.removeLast()
        guard case .delta(let update) = try WireCodec.decodeServer(line).get() else { Issue.record("not a delta"); return }
        #expect(update.loop == 2)
        // Loop 0 is said by saying nothing: a protocol 1 or 2 delta line is unchanged.
        #expect(!String(decoding: WireCodec.line(ServerMessage.delta(.init(dropped: 1, delta: delta))), as: UTF8.self).contains("\"loop\":"))

        // The client's hello says whether it reads every loop; a bad value is refused by name.
        #expect(try WireCodec.decodeClient(Array(#"{"type":"hello","protocol":2,"loops":true}"#.utf8)).get()
                == .hello(id: nil, protocol: 2, loops: true))
        #expect(try WireCodec.decodeClient(Array(#"{"type":"hello","protocol":2}"#.utf8)).get() == .hello(id: nil, protocol: 2))
        guard case .failure(let error) = WireCodec.decodeClient(Array(#"{"type":"hello","protocol":2,"loops":"yes"}"#.utf8)) else {
            Issue.record("a hello with loops \"yes\" was read")
            return
        }
        #expect(error.message.contains("loops"))
        var hello = WireCodec.line(ClientMessage.hello(id: 1, protocol: 2, loops: true))
        hello.removeLast()
        #expect(try WireCodec.decodeClient(hello).get() == .hello(id: 1, protocol: 2, loops: true))
    }

    func recording(_ messages: [ServerMessage]) -> [UInt8] {
        messages.enumerated().flatMap { i, message in WireCodec.line(RecordingEntry(t: Double(i) / 10, message: message)) }
    }

    @Test func aRecordingOfSeveralLoopsReplaysThemAsOnePicture() {
        let hello = ServerMessage.Hello(pid: 1, program: "p", loopName: "main", epoch: 1, interval: 0.1)
        let bytes = recording([
            .hello(hello),
            .delta(.init(dropped: 0, delta: .full(picture("main", [1, 2])))),
            .loop(.init(id: 1, name: "workers", epoch: 1)),
            .delta(.init(dropped: 0, delta: .full(picture("workers", [3])), loop: 1)),
            .delta(.init(dropped: 0, delta: SnapshotDelta.between(picture("main", [1, 2]), picture("main", [1], version: 4)))),
            .loop(.init(id: 1, name: "workers", epoch: 1, closed: true)),
        ] + (0..<10).map { _ in ServerMessage.delta(.init(dropped: 0, delta: .full(picture("main", [1], version: 5)))) })
        let replay = Recording(bytes: bytes)
        #expect(replay.problem == nil && replay.frameCount == 13)
        #expect(replay.snapshot(at: 0).tasks.map(\.id) == [1, 2])
        #expect(replay.snapshot(at: 1).tasks.map(\.id) == [1, 2, 3])
        #expect(replay.snapshot(at: 1).executors.map(\.name) == ["main", "workers", "pool"])
        #expect(replay.snapshot(at: 2).tasks.map(\.id) == [1, 3])
        // The loop left before frame 3; frames past a key frame are rebuilt the same way.
        #expect(replay.snapshot(at: 3).tasks.map(\.id) == [1])
        #expect(replay.loops(at: 3).snapshots.map(\.loopName) == ["main"])
        #expect(replay.snapshot(at: 12).tasks.map(\.id) == [1] && replay.loops(at: 9).snapshots.count == 1)
        for frame in 0..<13 { #expect(replay.snapshot(at: frame) == Recording(bytes: bytes).snapshot(at: frame)) }

        // Recorded across a reconnection: the loops of before are gone from the next frame.
        let again = Recording(bytes: recording([
            .hello(hello), .loop(.init(id: 0, name: "main", epoch: 1)), .loop(.init(id: 1, name: "workers", epoch: 1)),
            .delta(.init(dropped: 0, delta: .full(picture("main", [1])))),
            .delta(.init(dropped: 0, delta: .full(picture("workers", [3])), loop: 1)),
            .hello(hello), .delta(.init(dropped: 0, delta: .full(picture("main", [7])))),
        ]))
        #expect(again.problem == nil && again.frameCount == 3)
        #expect(again.snapshot(at: 1).tasks.map(\.id) == [1, 3])
        #expect(again.snapshot(at: 2).tasks.map(\.id) == [7] && again.loops(at: 2).snapshots.map(\.loopName) == ["main"])

        // A delta of a loop never announced: the file is read up to it, and says why.
        let bad = Recording(bytes: recording([.hello(hello), .delta(.init(dropped: 0, delta: .full(picture("main", [1])))),
                                              .delta(.init(dropped: 0, delta: .full(picture("x", [2])), loop: 7))]))
        #expect(bad.frameCount == 1 && bad.stoppedAtLine == 3)
        #expect(bad.problem?.contains("loop 7") == true)
    }
}
