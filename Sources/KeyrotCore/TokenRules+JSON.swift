/// The JSON shapes of keyrotd's tokens: what it writes (members in key order, so equal inputs give equal tokens)
/// and what it reads.
extension TokenRules {
    /// Extra claims, by name.
    struct ExtraClaims: Encodable {
        var claims: [String: ClaimValue]

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: ClaimName.self)
            for (name, value) in claims { try container.encode(value, forKey: ClaimName(name)) }
        }
    }

    /// A received JOSE header: `alg` must be a string, `kid` a string if present; `crit` is noted, not understood.
    struct ReceivedHeader: Decodable {
        var alg: String
        var kid: String?
        var crit: Bool?

        enum CodingKeys: String, CodingKey { case alg, kid, crit }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            alg = try container.decode(String.self, forKey: .alg)
            kid = try container.decodeIfPresent(String.self, forKey: .kid)
            crit = container.contains(.crit) ? true : nil
        }
    }

    /// Received claims: the registered times must be numbers; `user_id` counts only as a string; other claims
    /// are kept when they are strings, numbers or booleans.
    struct ReceivedClaims: Decodable {
        var userID: String?
        var exp: Double?
        var nbf: Double?
        var iat: Double?
        var extra: [String: ClaimValue] = [:]

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: ClaimName.self)
            for key in container.allKeys {
                switch key.stringValue {
                case "user_id": userID = try? container.decode(String.self, forKey: key)
                case "exp": exp = try container.decode(Double.self, forKey: key)
                case "nbf": nbf = try container.decode(Double.self, forKey: key)
                case "iat": iat = try container.decode(Double.self, forKey: key)
                default:
                    if let value = try? container.decode(Bool.self, forKey: key) {
                        extra[key.stringValue] = .bool(value)
                    } else if let value = try? container.decode(Double.self, forKey: key) {
                        extra[key.stringValue] = .number(value)
                    } else if let value = try? container.decode(String.self, forKey: key) {
                        extra[key.stringValue] = .string(value)
                    }
                }
            }
        }
    }

    /// Any claim name, as a coding key.
    struct ClaimName: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ name: String) { stringValue = name }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
