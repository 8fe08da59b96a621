import Foundation
import KeyrotCrypto
import KeyrotDaemon
import Logging

extension StateOptions {
    /// What a command that works on a stopped keyrotd's state (`rekey`, `migrate-store`) does first: makes the process
    /// non-dumpable (it holds the master key), logs to standard error at `--log-level`, and says where the state is.
    func prepareOfflineCommand() -> DaemonOptions {
        if !SecretProcess.harden() {
            FileHandle.standardError.write(Data("keyrotd: warning: cannot make the process non-dumpable\n".utf8))
        }
        let level = logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        return DaemonOptions(development: dev, stateDirectory: stateDir, masterKeyFile: masterKeyFile)
    }
}
