import Foundation

/// What the symbolicator needs of an ELF file's DWARF line table (`.debug_line`, versions 2
/// to 5): where each function's prologue ends (the rows marked `prologue_end`) and which rows
/// have a line and a column, as linked addresses (add the image's load bias).
///
/// A continuation funclet's entry is its prologue, which a line table places on the
/// enclosing function's line; the first instruction past it has the await's own line and,
/// in optimized code, the inlined callers. One pass over the table answers that for every
/// funclet of the image, where probing address after address cost a lookup each.
struct DwarfLineTable {
    /// Sorted, unique.
    let ends: [UInt]
    /// The addresses of the rows with a line and a column (a statement's own place, not a
    /// function's opening line), sorted, unique.
    let located: [UInt]
    /// The lowest address a loadable segment is linked at (page-aligned): the load bias is
    /// the image's base address minus this.
    let linkedBase: UInt

    init(ends: [UInt], located: [UInt] = [], linkedBase: UInt) {
        self.ends = ends
        self.located = located
        self.linkedBase = linkedBase
    }

    /// The first prologue end at or after `address` (link-time), if within `limit` bytes.
    func end(after address: UInt, within limit: UInt) -> UInt? {
        Self.first(in: ends, from: address, within: limit)
    }

    /// The first row with a line and a column at or after `address` (link-time), if within
    /// `limit` bytes.
    func locatedRow(after address: UInt, within limit: UInt) -> UInt? {
        Self.first(in: located, from: address, within: limit)
    }

    private static func first(in sorted: [UInt], from address: UInt, within limit: UInt) -> UInt? {
        var low = 0, high = sorted.count
        while low < high {
            let mid = (low + high) / 2
            if sorted[mid] < address { low = mid + 1 } else { high = mid }
        }
        guard low < sorted.count, sorted[low] - address <= limit else { return nil }
        return sorted[low]
    }

    /// Reads the file's line table; nil when it has none (or it is compressed, or not ELF).
    init?(path: String) {
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped),
              let elf = ELFFile(data), let section = elf.section(named: ".debug_line"),
              section.flags & 0x800 == 0 /* SHF_COMPRESSED */ else { return nil }
        linkedBase = elf.lowestLoadAddress & ~0xFFF
        var rows = Rows()
        data.withUnsafeBytes { bytes in
            let start = Int(section.offset), end = min(bytes.count, start + Int(section.size))
            guard start < end else { return }
            var reader = ByteReader(bytes: bytes, position: start, end: end)
            while reader.position < end, let unit = LineProgram(&reader) {
                unit.run(in: &reader, into: &rows)
                reader.position = unit.end
            }
        }
        func sortedUnique(_ addresses: [UInt]) -> [UInt] {
            var unique: [UInt] = []
            unique.reserveCapacity(addresses.count)
            for address in addresses.sorted() where unique.last != address { unique.append(address) }
            return unique
        }
        ends = sortedUnique(rows.prologueEnds)
        located = sortedUnique(rows.located)
    }
}

/// What a line program's rows gave.
private struct Rows {
    var prologueEnds: [UInt] = []
    var located: [UInt] = []
}

/// Little-endian reads within bounds; a read past the end gives zero and stops the reader.
private struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    var position: Int
    var end: Int

    var atEnd: Bool { position >= end }

    mutating func integer<T: FixedWidthInteger>(_: T.Type) -> T {
        let size = MemoryLayout<T>.size
        guard position + size <= end else { position = end; return 0 }
        defer { position += size }
        return T(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: T.self))
    }

    mutating func u8() -> UInt8 { integer(UInt8.self) }

    mutating func uleb() -> UInt64 {
        var result: UInt64 = 0, shift: UInt64 = 0
        while position < end {
            let byte = bytes[position]
            position += 1
            if shift < 64 { result |= UInt64(byte & 0x7F) << shift }
            shift += 7
            if byte & 0x80 == 0 { break }
        }
        return result
    }

    mutating func sleb() -> Int64 {
        var result: Int64 = 0, shift: Int64 = 0, byte: UInt8 = 0
        while position < end {
            byte = bytes[position]
            position += 1
            if shift < 64 { result |= Int64(byte & 0x7F) << shift }
            shift += 7
            if byte & 0x80 == 0 { break }
        }
        if shift < 64 && byte & 0x40 != 0 { result |= -(Int64(1) << shift) }
        return result
    }
}

/// One unit's line program header.
private struct LineProgram {
    var end: Int
    var programStart: Int
    var minimumInstructionLength: UInt64
    var lineBase: Int8
    var lineRange: UInt8
    var opcodeBase: UInt8
    var standardLengths: [UInt8]

    init?(_ reader: inout ByteReader) {
        var length = UInt64(reader.integer(UInt32.self))
        var offsetSize = 4
        if length == 0xFFFF_FFFF {
            length = reader.integer(UInt64.self)
            offsetSize = 8
        }
        guard length > 0, length <= UInt64(reader.end - reader.position) else { return nil }
        end = reader.position + Int(length)
        let version = reader.integer(UInt16.self)
        guard (2...5).contains(version) else { return nil }
        if version >= 5 {
            _ = reader.u8()  // address size (set_address says its own)
            _ = reader.u8()  // segment selector size
        }
        let headerLength = offsetSize == 8 ? reader.integer(UInt64.self) : UInt64(reader.integer(UInt32.self))
        guard headerLength <= UInt64(end - reader.position) else { return nil }
        programStart = reader.position + Int(headerLength)
        minimumInstructionLength = UInt64(reader.u8())
        if version >= 4 { _ = reader.u8() }  // maximum operations per instruction
        _ = reader.u8()  // default is_stmt
        lineBase = Int8(bitPattern: reader.u8())
        lineRange = reader.u8()
        opcodeBase = reader.u8()
        guard lineRange > 0, opcodeBase > 0 else { return nil }
        standardLengths = (1..<Int(opcodeBase)).map { _ in reader.u8() }
    }

    /// Runs the program, noting the address of every row marked `prologue_end` and of every
    /// row with a line and a column.
    func run(in reader: inout ByteReader, into rows: inout Rows) {
        var unit = reader
        unit.position = programStart
        unit.end = end
        var address: UInt64 = 0
        var line: Int64 = 1
        var column: UInt64 = 0
        var prologueEnd = false
        func row() {
            if prologueEnd { rows.prologueEnds.append(UInt(truncatingIfNeeded: address)) }
            if line != 0 && column != 0 { rows.located.append(UInt(truncatingIfNeeded: address)) }
            prologueEnd = false
        }
        while !unit.atEnd {
            let opcode = unit.u8()
            if opcode >= opcodeBase {
                let adjusted = UInt64(opcode - opcodeBase)
                address &+= (adjusted / UInt64(lineRange)) &* minimumInstructionLength
                line &+= Int64(lineBase) &+ Int64(adjusted % UInt64(lineRange))
                row()
                continue
            }
            switch opcode {
            case 0:  // extended
                let length = Int(unit.uleb())
                let next = unit.position + length
                guard length > 0, next <= unit.end else { return }
                switch unit.u8() {
                case 1:  // end_sequence
                    prologueEnd = false
                    address = 0
                    line = 1
                    column = 0
                case 2:  // set_address
                    address = length - 1 >= 8 ? unit.integer(UInt64.self) : UInt64(unit.integer(UInt32.self))
                default: break
                }
                unit.position = next
            case 1: row()  // copy
            case 2: address &+= unit.uleb() &* minimumInstructionLength  // advance_pc
            case 3: line &+= unit.sleb()  // advance_line
            case 5: column = unit.uleb()  // set_column
            case 4, 12: _ = unit.uleb()  // set_file, set_isa
            case 6, 7, 11: break  // negate_stmt, set_basic_block, set_epilogue_begin
            case 8: address &+= (UInt64(255 - opcodeBase) / UInt64(lineRange)) &* minimumInstructionLength  // const_add_pc
            case 9: address &+= UInt64(unit.integer(UInt16.self))  // fixed_advance_pc
            case 10: prologueEnd = true  // set_prologue_end
            default:
                // An opcode this reader does not know: skip its operands.
                for _ in 0..<Int(standardLengths[Int(opcode) - 1]) { _ = unit.uleb() }
            }
        }
    }
}

/// The little of a 64-bit little-endian ELF file this needs: sections by name, and where
/// its loadable segments are linked.
struct ELFFile {
    struct Section {
        var name: String
        var flags: UInt64
        var offset: UInt64
        var size: UInt64
    }

    let sections: [Section]
    let lowestLoadAddress: UInt

    init?(_ data: Data) {
        guard data.count >= 64, data.prefix(6) == Data([0x7F, 0x45, 0x4C, 0x46, 2, 1]) else { return nil }
        func integer<T: FixedWidthInteger>(_ offset: Int, _: T.Type) -> T? {
            guard offset >= 0, offset + MemoryLayout<T>.size <= data.count else { return nil }
            return data.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) }
        }
        guard let tableOffset = integer(0x28, UInt64.self), let entrySize = integer(0x3A, UInt16.self),
              let count = integer(0x3C, UInt16.self), let namesIndex = integer(0x3E, UInt16.self),
              entrySize >= 64, namesIndex < count,
              let programOffset = integer(0x20, UInt64.self), let programEntrySize = integer(0x36, UInt16.self),
              let programCount = integer(0x38, UInt16.self) else { return nil }
        var lowest = UInt.max
        for index in 0..<Int(programCount) {
            let header = Int(programOffset) + index * Int(programEntrySize)
            if integer(header, UInt32.self) == 1 /* PT_LOAD */, let vaddr = integer(header + 0x10, UInt64.self) {
                lowest = min(lowest, UInt(vaddr))
            }
        }
        lowestLoadAddress = lowest == .max ? 0 : lowest
        func header(_ index: Int) -> Int { Int(tableOffset) + index * Int(entrySize) }
        guard let namesOffset = integer(header(Int(namesIndex)) + 0x18, UInt64.self) else { return nil }
        sections = (0..<Int(count)).compactMap { index in
            let at = header(index)
            guard let name = integer(at, UInt32.self), let flags = integer(at + 0x08, UInt64.self),
                  let offset = integer(at + 0x18, UInt64.self), let size = integer(at + 0x20, UInt64.self) else { return nil }
            let start = Int(namesOffset) + Int(name)
            guard start < data.count else { return nil }
            let end = data[start...].firstIndex(of: 0) ?? data.endIndex
            return Section(name: String(decoding: data[start..<end], as: UTF8.self), flags: flags, offset: offset, size: size)
        }
    }

    func section(named name: String) -> Section? { sections.first { $0.name == name } }
}
