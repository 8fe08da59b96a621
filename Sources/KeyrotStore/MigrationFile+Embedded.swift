import KeyrotCore

extension MigrationFile {
    /// The schema version this build writes: the highest embedded version.
    static var latestVersion: Int { embedded.map(\.version).max() ?? 0 }
}
