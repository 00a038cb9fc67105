/// The typed result of `CommandSpec.parse`: subscript it with the keys the declarations returned.
public struct ParsedArguments {
    let values: [Any]
    let given: [Bool]
    /// The exact bytes of each value given, when parsed from the raw command line.
    var rawValues: [[UInt8]?] = []

    /// The value of an option or positional; nil only for options/positionals declared optional and absent.
    public subscript<Value>(key: OptionKey<Value>) -> Value {
        guard let value = values[key.slot] as? Value else {
            preconditionFailure("\(key.label) read with a key from another CommandSpec")
        }
        return value
    }

    /// Whether the flag was given.
    public subscript(flag: FlagKey) -> Bool {
        values[flag.slot] as? Bool ?? false
    }

    /// Whether the user wrote the option (as opposed to its default applying), for warnings
    /// such as "--window is ignored by stop-and-wait".
    public func wasGiven<Value>(_ key: OptionKey<Value>) -> Bool {
        given[key.slot]
    }

    /// The exact bytes the user gave for an option or positional (which may not be valid
    /// UTF-8: paths are bytes); nil when it was not given or not parsed from the raw command line.
    public func bytes<Value>(of key: OptionKey<Value>) -> [UInt8]? {
        key.slot < rawValues.count ? rawValues[key.slot] : nil
    }
}
