import Foundation
import Testing
@testable import AsyncTopRuntime

/// The line-table reader (where each function's prologue ends, which rows have a line and a
/// column), checked against LLVM's own reading of the same file.
@Suite struct DwarfLineTableTests {
    static let dwarfdump = ["/usr/bin/llvm-dwarfdump", "/opt/swift/usr/bin/llvm-dwarfdump"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    @Test(.enabled(if: dwarfdump != nil, "llvm-dwarfdump is not installed"))
    func theProloguesOfThisBinaryAreThoseLLVMReads() throws {
        let binary = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        let ours = try #require(DwarfLineTable(path: binary), "the test binary has a line table")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.dwarfdump!)
        process.arguments = ["--debug-line", binary]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        var theirs = Set<UInt>(), theirLocated = Set<UInt>()
        for line in String(decoding: output, as: UTF8.self).split(separator: "\n") where line.hasPrefix("0x") {
            // Address Line Column File ISA Discriminator OpIndex Flags
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 3, let address = UInt(fields[0].dropFirst(2), radix: 16),
                  let row = Int(fields[1]), let column = Int(fields[2]) else { continue }
            if line.contains("prologue_end") { theirs.insert(address) }
            if row != 0 && column != 0 && !line.contains("end_sequence") { theirLocated.insert(address) }
        }
        #expect(theirs.count > 100, "llvm-dwarfdump found prologue ends")
        #expect(Set(ours.ends) == theirs, "ours \(ours.ends.count), LLVM's \(theirs.count)")
        #expect(ours.ends == ours.ends.sorted())
        #expect(Set(ours.located) == theirLocated, "rows with a line and a column: ours \(ours.located.count), LLVM's \(theirLocated.count)")
    }

    @Test func aFileWithoutALineTableHasNone() throws {
        #expect(DwarfLineTable(path: "/etc/hostname") == nil, "not ELF")
        let library = try #require(["/opt/swift/usr/lib/swift/linux/libswift_Concurrency.so"]
            .first { FileManager.default.fileExists(atPath: $0) })
        #expect(DwarfLineTable(path: library) == nil, "the runtime library carries no line table")
        #expect(DwarfLineTable(path: "/nonexistent") == nil)
    }

    @Test func theFirstEndWithinTheLimit() {
        let table = DwarfLineTable(ends: [0x100, 0x180, 0x400], located: [0x104], linkedBase: 0)
        #expect(table.end(after: 0x100, within: 64) == 0x100)
        #expect(table.end(after: 0x101, within: 64) == nil, "0x180 is 127 bytes on")
        #expect(table.end(after: 0x150, within: 64) == 0x180)
        #expect(table.end(after: 0x401, within: 64) == nil)
        #expect(table.locatedRow(after: 0x100, within: 4) == 0x104)
        #expect(table.locatedRow(after: 0x100, within: 3) == nil)
    }
}
