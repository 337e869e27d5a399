import Testing
import Foundation
import AsyncTopModel
@testable import AsyncTopTUI

@Suite struct LoopViewTests {
    @Test func preview() {
        var state = ViewState()
        state.pane = .loop
        var out = ""
        for (r, c, u) in [(40, 120, true), (60, 200, true), (30, 100, false), (12, 40, true)] {
            state.display.unicode = u
            out += render(snapshot: Fixtures.withSeries(), state: state, size: (r, c)).text + "\n-----\n"
        }
        state.pane = .details(1)
        state.display.unicode = true
        out += render(snapshot: Fixtures.withSeries(), state: state, size: (60, 100)).text + "\n-----\n"
        state.pane = .tasks
        out += render(snapshot: Fixtures.withSeries(), state: state, size: (14, 80)).text + "\n-----\n"
        out += render(snapshot: Fixtures.withSeries(), state: state, size: (14, 110)).text + "\n-----\n"
        try? out.write(toFile: "/tmp/tui-preview.txt", atomically: true, encoding: .utf8)
    }
}
