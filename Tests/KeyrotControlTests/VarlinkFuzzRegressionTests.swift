import Foundation
import Testing

@testable import KeyrotControl

/// Calls the fuzzers in ``VarlinkFuzzTests`` found costly to read, kept as they were found.
@Suite struct VarlinkFuzzRegressionTests {
    /// A found call, its expected refusal, and a short name for the test log.
    struct Found: Sendable, CustomTestStringConvertible {
        let name: String
        let message: String
        /// The parameter the refusal must name (a prefix of it, when the claims' order decides which one).
        let parameter: String

        var testDescription: String { name }
    }

    static let sign = #"{"method":"io.keyrotd.Sign","parameters":{"workspace":"acme","user_id":"u","claims":"#

    /// `Sign` calls whose claims were read as any JSON value: each level of nesting tried a bool, a number and a
    /// string before the array or object, and each failed try cost as much as the level was deep, so each claim of
    /// 500 brackets (1 KB) held the event loop for over a second, twice (on the event loop, then again in the
    /// connection's task). Now a claim must be a scalar, and the first that is not ends the reading.
    static let found = [
        Found(name: "five claims nested 500 arrays deep", message: sign + nested("[", "]"), parameter: "claims.c"),
        Found(
            name: "five claims nested 500 objects deep",
            message: sign + nested(#"{"b":"#, "}"),
            parameter: "claims.c"
        ),
        Found(
            name: "a thousand array claims",
            message: sign + "{" + (0..<1000).map { #""c\#($0)":[[1]]"# }.joined(separator: ",") + "}}}",
            parameter: "claims.c"
        ),
        Found(name: "a null claim", message: sign + #"{"c":null}}}"#, parameter: "claims.c"),
    ]

    /// Claims `c0` to `c4`, each `opener` 500 times around a 1, and the call's closing braces.
    static func nested(_ opener: String, _ closer: String) -> String {
        let claim = String(repeating: opener, count: 500) + "1" + String(repeating: closer, count: 500)
        return "{" + (0..<5).map { #""c\#($0)":"# + claim }.joined(separator: ",") + "}}}"
    }

    @Test(arguments: found)
    func aFoundCallIsRefusedQuicklyNamingTheClaim(_ found: Found) throws {
        let started = ContinuousClock.now
        let call = try VarlinkCall<KeyrotCall>(message: Data(found.message.utf8), interface: "io.keyrotd")
        #expect(ContinuousClock.now - started < .seconds(1))
        guard case .failure(let error) = call.target else {
            Issue.record("read as a call: \(call.target)")
            return
        }
        #expect(error.name == "org.varlink.service.InvalidParameter")
        guard case .string(let parameter)? = error.parameters["parameter"] else {
            Issue.record("no parameter named: \(String(describing: error))")
            return
        }
        #expect(parameter.hasPrefix(found.parameter))
    }

    @Test func scalarClaimsStillReadAsTheirValues() throws {
        let message = Self.sign + #"{"s":"x\u0000","n":-0,"big":18446744073709551616,"b":false}}}"#
        let call = try VarlinkCall<KeyrotCall>(message: Data(message.utf8), interface: "io.keyrotd")
        guard case .success(.service(.sign(let parameters))) = call.target else {
            Issue.record("not read as Sign: \(call.target)")
            return
        }
        let expected: [String: JSONValue] = [
            "s": .string("x\u{0}"), "n": .number(0), "big": .number(18_446_744_073_709_551_616), "b": .bool(false),
        ]
        #expect(parameters.claims == expected)
    }
}
