import Foundation
import Testing
@testable import AsyncTopRuntime

/// The line-table reader that finds where each function's prologue ends, checked against
/// LLVM's own reading of the same file.
@Suite struct DwarfProloguesTests {
    static let dwarfdump = ["/usr/bin/llvm-dwarfdump", "/opt/swift/usr/bin/llvm-dwarfdump"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    @Test(.enabled(if: dwarfdump != nil, "llvm-dwarfdump is not installed"))
    func theProloguesOfThisBinaryAreThoseLLVMReads() throws {
        let binary = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        let ours = try #require(DwarfPrologues(path: binary), "the test binary has a line table")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.dwarfdump!)
        process.arguments = ["--debug-line", binary]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        var theirs = Set<UInt>()
        for line in String(decoding: output, as: UTF8.self).split(separator: "\n") where line.contains("prologue_end") {
            guard line.hasPrefix("0x"), let address = UInt(line.prefix { !$0.isWhitespace }.dropFirst(2), radix: 16) else { continue }
            theirs.insert(address)
        }
        #expect(theirs.count > 100, "llvm-dwarfdump found prologue ends")
        #expect(Set(ours.ends) == theirs, "ours \(ours.ends.count), LLVM's \(theirs.count)")
        #expect(ours.ends == ours.ends.sorted())
    }

    @Test func aFileWithoutALineTableHasNone() throws {
        #expect(DwarfPrologues(path: "/etc/hostname") == nil, "not ELF")
        let library = try #require(["/opt/swift/usr/lib/swift/linux/libswift_Concurrency.so"]
            .first { FileManager.default.fileExists(atPath: $0) })
        #expect(DwarfPrologues(path: library) == nil, "the runtime library carries no line table")
        #expect(DwarfPrologues(path: "/nonexistent") == nil)
    }

    @Test func theFirstEndWithinTheLimit() {
        let table = DwarfPrologues(ends: [0x100, 0x180, 0x400], linkedBase: 0)
        #expect(table.end(after: 0x100, within: 64) == 0x100)
        #expect(table.end(after: 0x101, within: 64) == nil, "0x180 is 127 bytes on")
        #expect(table.end(after: 0x150, within: 64) == 0x180)
        #expect(table.end(after: 0x401, within: 64) == nil)
    }
}
