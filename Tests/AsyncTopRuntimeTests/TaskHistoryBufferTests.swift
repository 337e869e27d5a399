import AsyncTopModel
import Testing
@testable import AsyncTopRuntime

/// A task's history buffer: the first transitions and the latest, in time order, and the
/// references its waits hold released as the ring overwrites them and when it is freed.
@Suite struct TaskHistoryBufferTests {
    final class Subject {}
    final class Weak {
        weak var subject: Subject?
        init(_ subject: Subject?) { self.subject = subject }
    }

    @Test func keepsTheHeadAndTheLatestInOrder() {
        for transitions in [0, 1, 4, 5, 31, 32, 33, 56, 57, 100, 1_000] { check(transitions) }
    }

    func check(_ transitions: Int) {
        var history = TaskHistory()
        // Every third entry waits on an object; the others hold no reference.
        var subjects: [Subject?] = []
        var weakSubjects: [Weak] = []
        for i in 0..<transitions {
            let wait: PackedWait
            if i % 3 == 0 {
                let subject = Subject()
                subjects.append(subject)
                weakSubjects.append(Weak(subject))
                wait = .subject(subject)
            } else {
                subjects.append(nil)
                weakSubjects.append(Weak(nil))
                wait = i % 3 == 1 ? .ready : .sleep(until: Nanos(i))
            }
            history.append(TaskRecord.HistoryEntry(at: Nanos(i), state: i % 2 == 0 ? .suspended : .running, wait: wait))
        }
        subjects = []  // only the history holds them now
        let kept = transitions <= TaskHistory.limit
            ? Array(0..<transitions)
            : Array(0..<TaskHistory.head) + Array((transitions - (TaskHistory.limit - TaskHistory.head))..<transitions)
        #expect(history.ordered.map { Int($0.at) } == kept)
        #expect(Int(history.count) == min(transitions, TaskHistory.limit))
        #expect(Int(history.dropped) == max(0, transitions - TaskHistory.limit))
        for entry in history.ordered {
            let i = Int(entry.at)
            if i % 3 == 0 {
                #expect(entry.wait == .subject(weakSubjects[i].subject!), "entry \(i)")
            } else if i % 3 == 1 {
                #expect(entry.wait == .ready)
            } else {
                #expect(entry.wait == .sleep(until: Nanos(i)))
            }
        }
        // What the ring overwrote is released; what it keeps is alive.
        let keptSet = Set(kept)
        for i in stride(from: 0, to: transitions, by: 3) {
            #expect((weakSubjects[i].subject != nil) == keptSet.contains(i), "subject of entry \(i)")
        }
        history.free()
        #expect(history.isEmpty && history.ordered.isEmpty)
        #expect(weakSubjects.allSatisfy { $0.subject == nil }, "freeing the history released every wait")
    }
}
