import Testing
import AsyncTopModel
@testable import AsyncTopTUI

@Suite struct KeyBindingsTests {
    @Test func commandKeysFollowTheConventions() {
        let expected: [(Key, Action)] = [
            (.up, .moveUp), (.character("k"), .moveUp), (.down, .moveDown), (.character("j"), .moveDown),
            (.pageUp, .pageUp), (.pageDown, .pageDown), (.character("g"), .top), (.character("G"), .bottom),
            (.enter, .activate), (.escape, .back), (.character("t"), .toggleTree), (.function(5), .toggleTree),
            (.character("+"), .expand), (.character("-"), .collapse), (.character("/"), .startSearch),
            (.character("f"), .cycleFilter), (.character("s"), .nextSort), (.function(6), .nextSort),
            (.character("i"), .invertSort), (.character("c"), .cancelSelected), (.function(9), .cancelSelected),
            (.character(" "), .togglePause), (.character("d"), .showDemos), (.function(2), .showDemos),
            (.character("x"), .showExecutors), (.character("l"), .showLints), (.character("?"), .showHelp),
            (.function(1), .showHelp), (.character("q"), .quit), (.function(10), .quit),
        ]
        for (key, action) in expected {
            #expect(KeyBindings.action(for: key, in: ViewState()) == action, "\(key)")
        }
        #expect(KeyBindings.action(for: .character("z"), in: ViewState()) == nil)
    }

    @Test func promptTakesTextInsteadOfCommands() {
        var state = ViewState()
        state.prompt = .search(query: "", origin: nil)
        #expect(KeyBindings.action(for: .character("q"), in: state) == .insert("q"))
        #expect(KeyBindings.action(for: .backspace, in: state) == .deleteBackward)
        #expect(KeyBindings.action(for: .enter, in: state) == .activate)
        #expect(KeyBindings.action(for: .escape, in: state) == .back)
        #expect(KeyBindings.action(for: .function(10), in: state) == nil)
    }

    @Test func helpListsEveryBoundAction() {
        let lines = KeyBindings.helpLines()
        // n and N (next and previous match) share the search's line, - (collapse) the expand's,
        // a (all frames) the WHERE column's, L (the loop view) the executors', r (the resources) the lints'.
        #expect(lines.count == Set(KeyBindings.table.values).count - 6)
        #expect(lines.contains { $0.keys == "l r" && $0.summary.contains("r: resources and their waiters") })
        #expect(lines.contains { $0.keys == "x L" && $0.summary.hasSuffix("L: the loop over time: charts and histograms") })
        #expect(lines.contains { $0.keys == "+ = -" && $0.summary == "expand, collapse the selected subtree" })
        #expect(lines.contains { $0.keys == "F10 q" && $0.summary == "quit" })
    }
}
