import Foundation

/// Where the agent finds the provider access tokens: systemd's `$CREDENTIALS_DIRECTORY` (`LoadCredential=`), or
/// the directory `keyrotd --dev` names. Read at each use: a token changed in the directory is used from the next call
/// (systemd's credentials are loaded when the unit starts, so there the unit is restarted). A missing one is a refused
/// one: its workspace waits for a reload.
///
/// A token named `intercom-acme` is the file `intercom-acme`, or `tokens_intercom-acme`: the name systemd gives the
/// files of a directory loaded whole (`LoadCredential=tokens:/etc/keyrotd/provider-tokens`, as the unit does).
public struct ProviderCredentials: Sendable {
    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    /// The credential `name`'s text, without a trailing newline.
    ///
    /// - Throws: ``ProviderCallError/unauthorized(status:message:)`` when it is missing, unreadable or empty: no call
    ///   can succeed until an operator puts it in place and reloads.
    public func token(named name: String) throws(ProviderCallError) -> String {
        guard !name.contains("/"), !name.hasPrefix(".") else {
            throw .unauthorized(status: 0, message: "credential name \"\(name)\" is not a file name")
        }
        let data = [name, "tokens_\(name)"].lazy.compactMap { file in
            FileManager.default.contents(atPath: (self.directory as NSString).appendingPathComponent(file))
        }.first
        guard let data, data.count <= 64 * 1024,
            var text = String(data: data, encoding: .utf8)
        else {
            throw .unauthorized(status: 0, message: "credential \(name) is missing or unreadable in \(directory)")
        }
        while text.last?.isNewline == true { text.removeLast() }
        guard !text.isEmpty, !text.contains(where: \.isNewline) else {
            throw .unauthorized(status: 0, message: "credential \(name) in \(directory) is empty or has several lines")
        }
        return text
    }
}
