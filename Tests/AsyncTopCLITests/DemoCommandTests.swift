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

    @Test func anUnknownDemoListsTheDemosWithStatus2() {
        let (status, output) = TmuxSession.run([BuiltBinary.asynctop!, "demo", "no-such-demo", "--headless"])
        #expect(status == 2)
        #expect(output.contains("gather") && output.contains("cancel-cascade"))
    }
}
