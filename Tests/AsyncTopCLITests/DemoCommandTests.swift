import Foundation
import Testing
import TmuxTestSupport

/// `asynctop demo NAME --headless`, the real binary.
@Suite(.enabled(if: BuiltBinary.asynctop != nil, "asynctop not found next to the test bundle"))
struct DemoCommandTests {
    @Test func headlessJSONIsOneObjectPerLineEndingWithTheSummary() throws {
        let (status, output) = TmuxSession.run([BuiltBinary.asynctop!, "demo", "gather", "--headless", "--json", "--speed", "4"])
        #expect(status == 0, "\(output)")
        let objects = try output.split(separator: "\n").map { line in
            try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
        }
        let summary = try #require(objects.last)
        #expect(summary["event"] as? String == "summary")
        #expect(summary["ok"] as? Bool == true)
        #expect(summary["expected"] as? String == "[a, b, c]")
        let done = objects.filter { $0["event"] as? String == "done" }.compactMap { $0["name"] as? String }
        #expect(done.filter { ["a", "b", "c"].contains($0) } == ["b", "a", "c"])
        #expect(objects.dropLast().allSatisfy { $0["t"] is Double && $0["task"] is Int })
    }

    @Test func aLintIsAnEventWithItsKindAndMessage() throws {
        let (status, output) = TmuxSession.run([BuiltBinary.asynctop!, "demo", "blocking-the-loop", "--headless", "--json"])
        #expect(status == 0, "\(output)")
        let objects = try output.split(separator: "\n").map { line in
            try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
        }
        let lint = try #require(objects.first { $0["event"] as? String == "lint" })
        #expect(lint["lint"] as? String == "long-step")
        #expect(lint["name"] as? String == "blocker")
        #expect((lint["message"] as? String ?? "").contains("held the loop for"))
        let summary = try #require(objects.last)
        #expect(summary["lints"] as? [String] == ["long-step"])
        #expect(summary["expected_lints"] as? [String] == ["long-step"])
    }

    @Test func anUnknownDemoListsTheDemosWithStatus2() {
        let (status, output) = TmuxSession.run([BuiltBinary.asynctop!, "demo", "no-such-demo", "--headless"])
        #expect(status == 2)
        #expect(output.contains("gather") && output.contains("cancel-cascade"))
    }
}
