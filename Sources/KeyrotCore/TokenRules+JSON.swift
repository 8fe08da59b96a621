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

    /// A received JOSE header: `alg` must be a string, `kid` a string if present (`null` is not absent); `crit` is
    /// noted, not understood.
    struct ReceivedHeader: Decodable {
        var alg: String
        var kid: String?
        var crit: Bool?

        enum CodingKeys: String, CodingKey { case alg, kid, crit }

        init(alg: String, kid: String?) {
            self.alg = alg
            self.kid = kid
            crit = nil
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            alg = try container.decode(String.self, forKey: .alg)
            kid = container.contains(.kid) ? try container.decode(String.self, forKey: .kid) : nil
            crit = container.contains(.crit) ? true : nil
        }
    }

    /// The claims keyrotd checks: the registered times must be numbers if present (`null` is not absent: a reader
    /// that kept it would refuse the token); `user_id` counts only as a string.
    struct ReceivedClaims: Decodable {
        var userID: String?
        var exp: Double?
        var nbf: Double?
        var iat: Double?

        private enum CodingKeys: String, CodingKey {
            case userID = "user_id"
            case exp, nbf, iat
        }

        init(userID: String?, exp: Double?, nbf: Double?, iat: Double?) {
            self.userID = userID
            self.exp = exp
            self.nbf = nbf
            self.iat = iat
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            userID = try container.decodeIfPresent(LenientString.self, forKey: .userID)?.value
            func time(_ key: CodingKeys) throws -> Double? {
                container.contains(key) ? try container.decode(Double.self, forKey: key) : nil
            }
            exp = try time(.exp)
            nbf = try time(.nbf)
            iat = try time(.iat)
        }
    }

    /// A string, or nil for any other JSON value (a `user_id` of 42 is a missing `user_id`, not malformed JSON).
    struct LenientString: Decodable {
        var value: String?

        init(from decoder: any Decoder) throws {
            value = try? decoder.singleValueContainer().decode(String.self)
        }
    }

    /// The claims other than the registered ones that are strings, numbers or booleans; read only on request.
    struct ExtraReceivedClaims: Decodable {
        var claims: [String: ClaimValue] = [:]

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: ClaimName.self)
            for key in container.allKeys where !TokenRules.reservedClaims.contains(key.stringValue) {
                if let value = try? container.decode(Bool.self, forKey: key) {
                    claims[key.stringValue] = .bool(value)
                } else if let value = try? container.decode(Double.self, forKey: key) {
                    claims[key.stringValue] = .number(value)
                } else if let value = try? container.decode(String.self, forKey: key) {
                    claims[key.stringValue] = .string(value)
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
