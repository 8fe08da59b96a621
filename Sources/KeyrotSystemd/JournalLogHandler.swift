import Logging

/// A swift-log handler that writes each log line to the journal as a structured entry: the message, its
/// priority, the source location and every metadata item as a field of its own.
///
/// Metadata keys become field names (`keyrot.workspace` becomes `KEYROT_WORKSPACE`, or with
/// `renamingPrefix: ("keyrot.", "KEYROTD_")` the `KEYROTD_WORKSPACE` the daemon's events use), so
/// `journalctl KEYROTD_WORKSPACE=acme` finds a workspace's log lines.
/// - Important: Use it when ``JournalStream/standardErrorIsJournal(environment:)`` says standard error already
///   goes to the journal; otherwise journald may not be there at all and lines would be lost.
public struct JournalLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    public var logLevel: Logger.Level = .info
    let label: String
    let identifier: String
    let renamingPrefix: (from: String, to: String)?

    /// - Parameters:
    ///   - label: the logger's label, sent as `SWIFT_LOG_LABEL`.
    ///   - identifier: `SYSLOG_IDENTIFIER`, what `journalctl -t` matches (the program's name).
    ///   - renamingPrefix: a metadata key prefix to replace before the key becomes a field name.
    public init(
        label: String,
        identifier: String,
        renamingPrefix: (from: String, to: String)? = nil,
        metadataProvider: Logger.MetadataProvider? = LoggingSystem.metadataProvider
    ) {
        self.label = label
        self.identifier = identifier
        self.renamingPrefix = renamingPrefix
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        Journal.send(entry(for: event))
    }

    /// The journal entry for `event`.
    func entry(for event: LogEvent) -> JournalEntry {
        var entry = JournalEntry(message: event.message.description, priority: JournalPriority(event.level))
        entry.append("SYSLOG_IDENTIFIER", identifier)
        entry.append("CODE_FILE", event.file)
        entry.append("CODE_LINE", "\(event.line)")
        entry.append("CODE_FUNC", event.function)
        entry.append("SWIFT_LOG_LABEL", label)
        entry.append("SWIFT_LOG_SOURCE", event.source)
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let given = event.metadata { merged.merge(given) { _, new in new } }
        if let error = event.error { merged["error"] = "\(error)" }
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
            entry.append(fieldName(for: key), "\(value)")
        }
        return entry
    }

    private func fieldName(for key: String) -> String {
        guard let (from, to) = renamingPrefix, key.hasPrefix(from) else { return key }
        return to + key.dropFirst(from.count)
    }
}

extension JournalPriority {
    /// The journal priority of a swift-log level (`trace` and `debug` are both `debug`).
    public init(_ level: Logger.Level) {
        switch level {
        case .trace, .debug: self = .debug
        case .info: self = .info
        case .notice: self = .notice
        case .warning: self = .warning
        case .error: self = .error
        case .critical: self = .critical
        }
    }
}
