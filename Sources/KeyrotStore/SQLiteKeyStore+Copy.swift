import Foundation
import GRDB
import KeyrotCore

extension SQLiteKeyStore {
    /// Every row of the tables ``KeyrotCore/StoreCopy/tableNames`` names, as stored, read in one snapshot.
    public func copyOfRows() throws(StoreError) -> StoreCopy {
        try read { db in
            StoreCopy(
                tables: try StoreCopy.tableNames.map { table in
                    let columns = try db.columns(in: table).map(\.name)
                    let rows = try Row.fetchAll(db, sql: "SELECT * FROM \(table) ORDER BY rowid").map { row in
                        columns.map { column in StoreCopy.Value(row[column] as DatabaseValue) }
                    }
                    return StoreCopy.Table(name: table, columns: columns, rows: rows)
                }
            )
        }
    }
}

extension StoreCopy.Value {
    fileprivate init(_ value: DatabaseValue) {
        switch value.storage {
        case .null: self = .null
        case .int64(let integer): self = .integer(integer)
        case .double(let number): self = .text(String(number))  // no column of keyrotd's holds a real
        case .string(let text): self = .text(text)
        case .blob(let data): self = .blob(data)
        }
    }
}
